#include "image/encode.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fu::image {
namespace {

std::vector<std::uint8_t> read_back(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// An empty vector (whose data() is null) once reached fwrite, whose pointer must be valid even
// for 0 bytes: the sanitizer build reported it (tests/train write truncated caches this way).
TEST(WriteFile, EmptyBytesGiveAnEmptyFileInPlaceOfTheOldOne) {
  const std::string path =
      ::testing::TempDir() + "/faceunlock_encode_test_" + std::to_string(::getpid()) + ".bin";
  write_file(path, {1, 2, 3});
  ASSERT_EQ(read_back(path), (std::vector<std::uint8_t>{1, 2, 3}));
  write_file(path, {});
  std::ifstream probe(path, std::ios::binary);
  EXPECT_TRUE(probe.good()) << "the empty file must exist";
  EXPECT_TRUE(read_back(path).empty());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace fu::image
