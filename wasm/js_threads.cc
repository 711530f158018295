#include "js_threads.h"

#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "base/thread_pool.h"
#include "js_bytes.h"

namespace fu::wasm {

int max_threads() {
#ifdef FACEUNLOCK_WASM_MAX_THREADS
  return kThreadsAvailable ? FACEUNLOCK_WASM_MAX_THREADS : 1;
#else
  return 1;
#endif
}

int threads_from_js(const emscripten::val& value, const std::string& object) {
  if (value.isUndefined()) return 1;
  const int most = max_threads();
  const bool number = value.typeOf().as<std::string>() == "number";
  const double d = number ? value.as<double>() : 0.0;
  std::string shown = describe(value);
  if (number) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", d);
    shown = text;
  }
  if (!number || !(d >= 1) || std::floor(d) != d) {
    throw Error(object + ": threads is " + shown + ", expected a whole number from 1");
  }
  if (d > most) {
    throw Error(object + ": threads is " + shown + ", but this core runs at most " +
                std::to_string(most) +
                (kThreadsAvailable
                     ? ""
                     : " (it is the single-threaded core; faceunlock_core_mt runs more, in pages "
                       "served with COOP/COEP headers)"));
  }
  return static_cast<int>(d);
}

}  // namespace fu::wasm
