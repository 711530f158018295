#include "image/resize.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "base/error.h"
#include "image/test_images.h"

namespace fu::image {
namespace {

TEST(ResizeTest, ConstantStaysConstant) {
  const Image flat(13, 7, 3, 93);
  for (auto [w, h] : {std::pair{5, 3}, std::pair{31, 19}, std::pair{1, 1}, std::pair{13, 40}}) {
    const Image out = resize_bilinear(flat, w, h);
    ASSERT_EQ(out.width(), w);
    for (std::size_t i = 0; i < out.size_bytes(); ++i) ASSERT_EQ(out.data()[i], 93);
    const ImageF out_float = resize_bilinear_float(flat, w, h);
    for (std::size_t i = 0; i < out_float.size(); ++i) ASSERT_EQ(out_float.data()[i], 93.0f);
  }
}

TEST(ResizeTest, SameSizeIsAnExactCopy) {
  const Image image = testing::random_image(17, 11, 4);
  EXPECT_TRUE(testing::same_pixels(image, resize_bilinear(image, 17, 11)));
}

TEST(ResizeTest, LinearGradientIsKeptInTheInterior) {
  // value = 10 x; upscaling 2x samples x_source = (x + 0.5) / 2 - 0.5.
  Image ramp(20, 3, 1);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 20; ++x) ramp.at(x, y, 0) = static_cast<std::uint8_t>(10 * x);
  }
  const ImageF up = resize_bilinear_float(ramp, 40, 6);
  for (int y = 0; y < 6; ++y) {
    for (int x = 1; x < 39; ++x) {
      ASSERT_NEAR(up.at(x, y, 0), 10.0f * ((x + 0.5f) / 2.0f - 0.5f), 1e-4f) << x << "," << y;
    }
    // The outermost half pixel clamps to the edge pixel.
    EXPECT_EQ(up.at(0, y, 0), 0.0f);
    EXPECT_EQ(up.at(39, y, 0), 190.0f);
  }
  // Downscaling 4x samples x_source = 4 x + 1.5: always between two pixels.
  const ImageF down = resize_bilinear_float(ramp, 5, 3);
  for (int x = 0; x < 5; ++x) EXPECT_NEAR(down.at(x, 1, 0), 10.0f * (4 * x + 1.5f), 1e-4f);
}

TEST(ResizeTest, HalvingAveragesEachTwoByTwoBlock) {
  const Image board = testing::checkerboard(16, 10);
  const Image half = resize_bilinear(board, 8, 5);
  for (std::size_t i = 0; i < half.size_bytes(); ++i) ASSERT_EQ(half.data()[i], 128);  // 127.5
  const ImageF half_float = resize_bilinear_float(board, 8, 5);
  for (std::size_t i = 0; i < half_float.size(); ++i) ASSERT_EQ(half_float.data()[i], 127.5f);

  const Image noise = testing::random_image(12, 8, 3);
  const ImageF halved = resize_bilinear_float(noise, 6, 4);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 6; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float mean = (noise.at(2 * x, 2 * y, c) + noise.at(2 * x + 1, 2 * y, c) +
                            noise.at(2 * x, 2 * y + 1, c) + noise.at(2 * x + 1, 2 * y + 1, c)) /
                           4.0f;
        ASSERT_NEAR(halved.at(x, y, c), mean, 1e-3f);
      }
    }
  }
}

TEST(ResizeTest, HalvingEvenSidesRoundsLikeTheGeneralPath) {
  // Even sides take an integer 2x2 average; its bytes must be those of the float lerps rounded
  // (resize_bilinear_float is the general path without the rounding), on every channel count and
  // on a view whose rows are padded (a crop).
  for (int channels : {1, 3, 4}) {
    const Image noise = testing::random_image(30, 22, channels, 3 + channels);
    for (const ImageView& source : {ImageView(noise), ImageView(noise).crop(Rect{3, 1, 24, 18})}) {
      const int w = source.width() / 2;
      const int h = source.height() / 2;
      const Image half = resize_bilinear(source, w, h);
      const ImageF exact = resize_bilinear_float(source, w, h);
      for (std::size_t i = 0; i < half.size_bytes(); ++i) {
        const float v = exact.data()[i];
        ASSERT_EQ(half.data()[i], static_cast<std::uint8_t>(v + 0.5f))
            << "channels " << channels << " byte " << i << " mean " << v;
      }
    }
  }
}

TEST(ResizeTest, WorksOnACroppedView) {
  const Image image = testing::random_image(10, 10, 1);
  const ImageView crop = ImageView(image).crop(Rect{2, 3, 4, 5});
  EXPECT_TRUE(testing::same_pixels(Image::copy_of(crop), resize_bilinear(crop, 4, 5)));
}

TEST(ResizeTest, RejectsBadSizes) {
  const Image image(4, 4, 1);
  EXPECT_THROW(resize_bilinear(image, 0, 4), Error);
  EXPECT_THROW(resize_bilinear_float(image, 4, -2), Error);
  EXPECT_THROW(resize_bilinear(Image(), 4, 4), Error);
}

}  // namespace
}  // namespace fu::image
