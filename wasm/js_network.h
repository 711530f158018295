// The object behind the JS `Network` class: a planned network plus the input tensor that JS
// fills in place, so a frame crosses the JS/wasm boundary with one copy and no allocation.
// Every public method is an entry point from JS and reports failures through with_js_errors().
#pragma once

#include <emscripten/val.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/network.h"

namespace fu::wasm {

class JsNetwork {
 public:
  // Returns null with a JS Error pending when the bytes are not a Uint8Array holding a valid
  // model, or when the backend is not in this build.
  // `threads` is undefined (1) or a whole number up to maxThreads() of this core.
  static JsNetwork* create(const emscripten::val& model_bytes, const std::string& backend,
                           const emscripten::val& threads);

  emscripten::val input_shape() const;  // [n, h, w, c]
  unsigned output_count() const;
  emscripten::val output_shape(int index) const;
  std::string backend() const;
  emscripten::val metadata() const;

  // A Float32Array over the input tensor. The tensor always has input_shape(), so JS cannot
  // pass an input of the wrong size: an oversized .set() fails in JS with a RangeError.
  emscripten::val input_view() const;
  void run();
  // A Float32Array over output `index`, valid until the next run(); JS keeps it with .slice().
  emscripten::val output_view(int index) const;

 private:
  JsNetwork(const std::vector<std::uint8_t>& model_bytes, nn::Backend backend, int threads);
  std::size_t checked_output(int index, const char* verb) const;

  nn::Network network_;
  nn::Tensor input_;
  // Executor-owned; null until the first run, so reading outputs before then is an error
  // rather than a view of whatever the buffers held.
  const std::vector<nn::Tensor>* outputs_ = nullptr;
};

}  // namespace fu::wasm
