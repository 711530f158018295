// One libFuzzer program per target: FACEUNLOCK_FUZZ_ENTRY names the entry (tests/fuzz/CMakeLists).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fu::fuzz::FACEUNLOCK_FUZZ_ENTRY(data, size);
  return 0;
}
