// The thread count JS asks of an engine or network, checked against what this core can run:
// 1 in the single-threaded core, up to FACEUNLOCK_WASM_MAX_THREADS in faceunlock_core_mt (whose
// workers all start with the module; see wasm/CMakeLists.txt).
#pragma once

#include <emscripten/val.h>

#include <string>

namespace fu::wasm {

// Most threads, the calling one included, this core runs.
int max_threads();

// `value` undefined means 1. Throws fu::Error, prefixed with `object`, for anything but a whole
// number from 1 to max_threads(); the message names the multi-threaded core when this is not it.
int threads_from_js(const emscripten::val& value, const std::string& object);

}  // namespace fu::wasm
