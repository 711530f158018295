// How C++ errors reach JavaScript. Every bound entry point runs its body through
// with_js_errors(): a caught exception leaves `new Error(message)` pending in the module's JS and
// the call returns normally; the wrappers in js_error.post.js throw it once wasm has returned.
//
// Why not throw from inside the call (an EM_JS import doing `throw new Error(...)`): that unwinds
// the wasm frames without their epilogues. In Emscripten 3.1.6 the shadow-stack pointer is then
// never restored and Embind's converted arguments are never destroyed, so each failed call leaked
// stack and pinned its argument (e.g. the model's Uint8Array); ~400k errors corrupted memory.
#pragma once

#include <emscripten/val.h>

#include <exception>
#include <utility>

#include "unlock/embedder_identity.h"

namespace fu::wasm {

// Creates the JS Error with this message and holds it until the wrapper throws it.
void set_pending_js_error(const char* message);
// The same with `code` and the two identities as properties of the Error ({code:
// 'embedder-mismatch', stored, running}), so that JS can tell this failure from the others without
// parsing messages.
void set_pending_embedder_mismatch(const unlock::EmbedderMismatch& e);

// What a failed call returns to the wrapper, which throws instead of passing it on.
template <typename T>
T value_after_error() {
  return T();
}
template <>
inline emscripten::val value_after_error<emscripten::val>() {
  return emscripten::val::undefined();  // val has no default constructor
}

// Returns body()'s result, or a default value (nullptr, undefined, 0) with an Error pending.
template <typename Body>
auto with_js_errors(Body&& body) -> decltype(body()) {
  try {
    return std::forward<Body>(body)();
  } catch (const unlock::EmbedderMismatch& e) {
    set_pending_embedder_mismatch(e);
  } catch (const std::exception& e) {  // fu::Error is a std::runtime_error
    set_pending_js_error(e.what());
  }
  return value_after_error<decltype(body())>();
}

}  // namespace fu::wasm
