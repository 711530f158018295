#include "image/y4m.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "base/error.h"

namespace fu::image {
namespace {

// A file in the temporary folder, removed afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    path_ = ::testing::TempDir() + "y4m_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter_++) + ".y4m";
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

// One frame of a width x height 4:2:0 picture with constant planes.
std::string frame(int width, int height, char y, char u, char v) {
  const std::size_t luma = static_cast<std::size_t>(width) * height;
  const std::size_t chroma = static_cast<std::size_t>((width + 1) / 2) * ((height + 1) / 2);
  return "FRAME\n" + std::string(luma, y) + std::string(chroma, u) + std::string(chroma, v);
}

std::string error_of(const std::string& bytes) {
  TempFile file(bytes);
  try {
    Y4mReader reader(file.path());
    Image rgb;
    while (reader.next(rgb)) {
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Y4mReader, ReadsFramesInOrderAsRgb) {
  // Odd sizes: the chroma planes round up.
  const std::string video =
      "YUV4MPEG2 W5 H3 F10:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n" + frame(5, 3, 16, 128, 128) +
      frame(5, 3, static_cast<char>(235), 128, 128) + frame(5, 3, 81, 90, static_cast<char>(240));
  TempFile file(video);
  Y4mReader reader(file.path());
  EXPECT_EQ(reader.width(), 5);
  EXPECT_EQ(reader.height(), 3);
  EXPECT_DOUBLE_EQ(reader.frame_rate(), 10.0);
  Image rgb;
  ASSERT_TRUE(reader.next(rgb));
  EXPECT_EQ(rgb.channels(), 3);
  EXPECT_EQ(rgb.at(4, 2, 0), 0);  // video black
  ASSERT_TRUE(reader.next(rgb));
  EXPECT_EQ(rgb.at(0, 0, 1), 255);  // video white
  ASSERT_TRUE(reader.next(rgb));
  // BT.601 limited-range pure red is Y 81, U 90, V 240.
  EXPECT_NEAR(rgb.at(2, 1, 0), 255, 2);
  EXPECT_NEAR(rgb.at(2, 1, 1), 0, 2);
  EXPECT_NEAR(rgb.at(2, 1, 2), 0, 2);
  EXPECT_FALSE(reader.next(rgb));
  EXPECT_EQ(reader.frames_read(), 3);
}

TEST(Y4mReader, FrameParametersAndMissingTagsAreAccepted) {
  TempFile file("YUV4MPEG2 W2 H2\n" + std::string("FRAME Ixyz") +
                frame(2, 2, 100, 128, 128).substr(5));
  Y4mReader reader(file.path());
  EXPECT_EQ(reader.frame_rate(), 0.0);
  Image rgb;
  EXPECT_TRUE(reader.next(rgb));
}

TEST(Y4mReader, RejectsWhatItCannotRead) {
  EXPECT_NE(error_of("P6 2 2 255\n").find("not a .y4m video"), std::string::npos);
  EXPECT_NE(error_of("YUV4MPEG2 W2 H2 C444\n").find("C444 is not supported"), std::string::npos);
  EXPECT_NE(error_of("YUV4MPEG2 W2 H2 C420p10\n").find("not supported"), std::string::npos);
  EXPECT_NE(error_of("YUV4MPEG2 W0 H2\n").find("W is '0'"), std::string::npos);
  EXPECT_NE(error_of("YUV4MPEG2 W99999 H2\n").find("expected 1 to 8192"), std::string::npos);
  EXPECT_NE(error_of("YUV4MPEG2 H2\n").find("lacks W or H"), std::string::npos);
  const std::string cut = error_of("YUV4MPEG2 W4 H4\n" + frame(4, 4, 1, 2, 3).substr(0, 20));
  EXPECT_NE(cut.find("frame 1 is cut short"), std::string::npos) << cut;
  EXPECT_NE(error_of("YUV4MPEG2 W2 H2\nFRAMX\n").find("does not start with FRAME"),
            std::string::npos);
  EXPECT_NE(error_of("").find("header line is missing"), std::string::npos);
  try {
    Y4mReader reader("/nonexistent/video.y4m");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read video (/nonexistent/video.y4m): the file cannot be opened");
  }
}

}  // namespace
}  // namespace fu::image
