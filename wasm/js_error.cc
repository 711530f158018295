#include "js_error.h"

#include <emscripten/emscripten.h>

// fuPendingError is declared in js_error.post.js, which shares the module factory's scope.
EM_JS(void, fu_set_pending_error, (const char* message),
      { fuPendingError = new Error(UTF8ToString(message)); });

namespace fu::wasm {

void set_pending_js_error(const char* message) { fu_set_pending_error(message); }

}  // namespace fu::wasm
