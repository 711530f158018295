#include "image/image.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <vector>

#include "base/error.h"

namespace fu::image {
namespace {

TEST(ImageTest, StartsFilledAndPacked) {
  Image image(5, 3, 3, 7);
  EXPECT_EQ(image.width(), 5);
  EXPECT_EQ(image.height(), 3);
  EXPECT_EQ(image.channels(), 3);
  EXPECT_EQ(image.stride_bytes(), 15u);
  EXPECT_EQ(image.size_bytes(), 45u);
  for (std::size_t i = 0; i < image.size_bytes(); ++i) ASSERT_EQ(image.data()[i], 7);
  image.at(4, 2, 1) = 9;
  EXPECT_EQ(image.data()[2 * 15 + 4 * 3 + 1], 9);
}

TEST(ImageTest, DefaultIsEmptyAndItsViewIsEmpty) {
  Image image;
  EXPECT_TRUE(image.empty());
  EXPECT_TRUE(ImageView(image).empty());
  EXPECT_EQ(shape_text(image), "empty");
}

TEST(ImageTest, RejectsInvalidSizes) {
  EXPECT_THROW(Image(0, 3, 1), Error);
  EXPECT_THROW(Image(3, -1, 1), Error);
  EXPECT_THROW(Image(3, 3, 2), Error);
  EXPECT_THROW(ImageF(3, 3, 5), Error);
  try {
    Image(0, 4, 3);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot create image (0x4x3): width and height must be positive");
  }
}

TEST(ImageTest, SizeOverflowIsAnErrorNotAnAllocation) {
  // 2^31 * 2^31 * 4 * 4 bytes overflows even a 64-bit size_t.
  EXPECT_THROW(check_image_size(INT_MAX, INT_MAX, 4, sizeof(float), "image"), Error);
  EXPECT_NO_THROW(check_image_size(640, 480, 4, sizeof(float), "image"));
}

TEST(ImageViewTest, WrapsACallerBufferWithPaddedRows) {
  // A 3x2 RGBA frame with 4 bytes of padding per row.
  std::vector<std::uint8_t> buffer(2 * 16);
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<std::uint8_t>(i);
  ImageView view(buffer.data(), 3, 2, 4, 16);
  EXPECT_EQ(view.at(0, 1, 0), 16);
  EXPECT_EQ(view.at(2, 1, 3), 16 + 11);
  const Image copy = Image::copy_of(view);
  EXPECT_EQ(copy.stride_bytes(), 12u);
  EXPECT_EQ(copy.at(2, 1, 3), 16 + 11);
}

TEST(ImageViewTest, RejectsBadArguments) {
  std::vector<std::uint8_t> buffer(100);
  EXPECT_THROW(ImageView(nullptr, 2, 2, 1), Error);
  EXPECT_THROW(ImageView(buffer.data(), 4, 2, 3, 11), Error);  // stride < 12
  EXPECT_THROW(ImageView(buffer.data(), 0, 2, 3), Error);
  EXPECT_NO_THROW(ImageView(buffer.data(), 4, 2, 3, 12));
}

TEST(ImageViewTest, CropSeesTheRegion) {
  Image image(6, 5, 1);
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 6; ++x) image.at(x, y, 0) = static_cast<std::uint8_t>(10 * y + x);
  }
  const ImageView crop = ImageView(image).crop(Rect{2, 1, 3, 4});
  EXPECT_EQ(crop.width(), 3);
  EXPECT_EQ(crop.height(), 4);
  EXPECT_EQ(crop.stride_bytes(), 6u);
  EXPECT_EQ(crop.at(0, 0, 0), 12);
  EXPECT_EQ(crop.at(2, 3, 0), 44);
  EXPECT_THROW(ImageView(image).crop(Rect{4, 0, 3, 1}), Error);
  EXPECT_THROW(ImageView(image).crop(Rect{-1, 0, 2, 2}), Error);
  EXPECT_THROW(ImageView(image).crop(Rect{0, 0, 0, 2}), Error);
  EXPECT_THROW(ImageView(image).crop(Rect{1, 1, INT_MAX, 1}), Error);
}

}  // namespace
}  // namespace fu::image
