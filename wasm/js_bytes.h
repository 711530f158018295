// Moving byte and float buffers between JavaScript typed arrays and C++-owned memory. Copies go
// through typed_memory_view + TypedArray.set (one memcpy in the engine) rather than
// vecFromJSArray, which converts element by element and costs milliseconds per image.
#pragma once

#include <emscripten/val.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/tensor.h"

namespace fu::wasm {

// "number", "null", "[object Float32Array]": enough for an error message to say what was passed.
std::string describe(const emscripten::val& value);

// Copies a Uint8Array (Node's Buffer included) into C++ memory. Throws fu::Error naming `what`
// for anything else, so that a mistaken argument gives a message instead of garbage bytes.
std::vector<std::uint8_t> bytes_from_js(const emscripten::val& array, const char* what);

// Copies a Float32Array into C++ memory; throws fu::Error naming `what` for anything else.
std::vector<float> floats_from_js(const emscripten::val& array, const char* what);

// A new Float32Array holding a copy of `values`, independent of the wasm heap.
emscripten::val float32_array_of(const std::vector<float>& values);

// A new Uint8Array holding a copy of `bytes`, independent of the wasm heap.
emscripten::val bytes_to_js(const std::vector<std::uint8_t>& bytes);

// A Float32Array aliasing the tensor's elements. It goes stale when the wasm memory grows, so
// callers take a fresh one for every use instead of keeping it.
emscripten::val float_view(const nn::Tensor& tensor);

// [n, h, w, c] as a JS array.
emscripten::val shape_to_js(const nn::Shape& shape);

}  // namespace fu::wasm
