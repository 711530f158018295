#include "js_error.h"

#include <emscripten/emscripten.h>

// fuPendingError is declared in js_error.post.js, which shares the module factory's scope.
EM_JS(void, fu_set_pending_error, (const char* message),
      { fuPendingError = new Error(UTF8ToString(message)); });

EM_JS(void, fu_set_pending_mismatch, (const char* message, const char* stored, const char* running),
      {
        fuPendingError = new Error(UTF8ToString(message));
        fuPendingError.code = 'embedder-mismatch';
        fuPendingError.stored = UTF8ToString(stored);
        fuPendingError.running = UTF8ToString(running);
      });

namespace fu::wasm {

void set_pending_js_error(const char* message) { fu_set_pending_error(message); }

void set_pending_embedder_mismatch(const unlock::EmbedderMismatch& e) {
  fu_set_pending_mismatch(e.what(), e.stored().c_str(), e.running().c_str());
}

}  // namespace fu::wasm
