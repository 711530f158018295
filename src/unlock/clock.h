// The time source of the unlock session: milliseconds on a wall clock (the lockout outlives the
// process, so its times must mean the same after a reload). Injected so that tests, and the CLI
// replaying a video at its own frame rate, decide without waiting.
#pragma once

#include <functional>

namespace fu::unlock {

using Clock = std::function<double()>;

// Milliseconds since the Unix epoch (std::chrono::system_clock; Date.now() in the browser).
Clock system_clock();

}  // namespace fu::unlock
