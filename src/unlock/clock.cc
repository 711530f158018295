#include "unlock/clock.h"

#include <chrono>

namespace fu::unlock {

Clock system_clock() {
  return [] {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration<double, std::milli>(since_epoch).count();
  };
}

}  // namespace fu::unlock
