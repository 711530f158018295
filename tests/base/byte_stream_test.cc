#include "base/byte_stream.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/error.h"

namespace fu {
namespace {

// A zero-length read into an empty vector (data() null) once reached memcpy, whose pointers must
// be valid even for 0 bytes: a checkpoint with an empty optimizer state reads exactly that.
TEST(ByteReader, ZeroLengthRawReadIntoAnEmptyVectorReadsNothing) {
  const std::vector<std::uint8_t> bytes = {7, 8};
  ByteReader r(bytes.data(), bytes.size(), "test bytes");
  std::vector<std::uint8_t> empty;
  r.raw(empty.data(), empty.size(), "nothing");
  EXPECT_EQ(r.offset(), 0u);
  EXPECT_EQ(r.u8("first"), 7);
  r.raw(empty.data(), 0, "nothing at the end");
  EXPECT_EQ(r.u8("second"), 8);
  r.raw(empty.data(), 0, "nothing past the end");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_THROW(r.u8("missing"), Error);
}

}  // namespace
}  // namespace fu
