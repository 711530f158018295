#include "base/crc32.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace fu {
namespace {

// The definition, one bit at a time: what the table-driven crc32 must agree with.
std::uint32_t bitwise_crc32(const std::uint8_t* data, std::size_t size) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return ~crc;
}

std::vector<std::uint8_t> seeded_bytes(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  std::uint32_t state = 12345;
  for (std::uint8_t& b : bytes) {
    state = state * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(state >> 24);
  }
  return bytes;
}

TEST(Crc32, CheckValueOfTheStandard) {
  const std::uint8_t digits[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(crc32(digits, sizeof(digits)), 0xCBF43926u);
  EXPECT_EQ(crc32(nullptr, 0), 0u);
}

// Lengths around the eight-byte steps, from every alignment of the start.
TEST(Crc32, AgreesWithTheBitwiseDefinitionAtEveryLengthAndOffset) {
  const std::vector<std::uint8_t> bytes = seeded_bytes(80);
  for (std::size_t start = 0; start < 8; ++start) {
    for (std::size_t size = 0; start + size <= bytes.size(); ++size) {
      EXPECT_EQ(crc32(bytes.data() + start, size), bitwise_crc32(bytes.data() + start, size))
          << "start " << start << ", size " << size;
    }
  }
}

TEST(Crc32, ContinuesFromAnEarlierCrc) {
  const std::vector<std::uint8_t> bytes = seeded_bytes(100);
  for (std::size_t split = 0; split <= bytes.size(); split += 7) {
    const std::uint32_t first = crc32(bytes.data(), split);
    EXPECT_EQ(crc32(bytes.data() + split, bytes.size() - split, first),
              crc32(bytes.data(), bytes.size()))
        << "split at " << split;
  }
}

}  // namespace
}  // namespace fu
