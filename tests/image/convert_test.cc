#include "image/convert.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/error.h"
#include "image/test_images.h"

namespace fu::image {
namespace {

Image rgb_pixels(const std::vector<std::array<std::uint8_t, 3>>& pixels) {
  Image image(static_cast<int>(pixels.size()), 1, 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    for (int c = 0; c < 3; ++c) image.at(static_cast<int>(i), 0, c) = pixels[i][c];
  }
  return image;
}

TEST(ConvertTest, GreyUsesBt601Luma) {
  const Image rgb =
      rgb_pixels({{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}, {10, 20, 30}, {0, 0, 0}});
  const Image grey = rgb_to_grey(rgb);
  ASSERT_EQ(grey.channels(), 1);
  // 0.299 * 255 = 76.2, 0.587 * 255 = 149.7, 0.114 * 255 = 29.1, 2.99 + 11.74 + 3.42 = 18.15.
  const std::vector<int> expected = {76, 150, 29, 255, 18, 0};
  for (int x = 0; x < 6; ++x) EXPECT_EQ(grey.at(x, 0, 0), expected[x]) << x;
}

TEST(ConvertTest, EveryGreyLevelSurvivesGreyToRgbToGrey) {
  Image grey(256, 1, 1);
  for (int x = 0; x < 256; ++x) grey.at(x, 0, 0) = static_cast<std::uint8_t>(x);
  const Image rgb = grey_to_rgb(grey);
  EXPECT_EQ(rgb.at(200, 0, 0), 200);
  EXPECT_EQ(rgb.at(200, 0, 2), 200);
  EXPECT_TRUE(testing::same_pixels(grey, rgb_to_grey(rgb)));
}

TEST(ConvertTest, RgbaConversionsIgnoreAlpha) {
  Image rgba(1, 1, 4);
  rgba.at(0, 0, 0) = 10;
  rgba.at(0, 0, 1) = 20;
  rgba.at(0, 0, 2) = 30;
  rgba.at(0, 0, 3) = 0;  // fully transparent: the colour still counts
  const Image rgb = rgba_to_rgb(rgba);
  ASSERT_EQ(rgb.channels(), 3);
  EXPECT_EQ(rgb.at(0, 0, 2), 30);
  EXPECT_EQ(rgba_to_grey(rgba).at(0, 0, 0), 18);
}

TEST(ConvertTest, SwapRedBlueIsItsOwnInverse) {
  const Image bgr = testing::random_image(7, 5, 3);
  const Image rgb = swap_red_blue(bgr);
  EXPECT_EQ(rgb.at(3, 2, 0), bgr.at(3, 2, 2));
  EXPECT_EQ(rgb.at(3, 2, 1), bgr.at(3, 2, 1));
  EXPECT_EQ(rgb.at(3, 2, 2), bgr.at(3, 2, 0));
  EXPECT_TRUE(testing::same_pixels(bgr, swap_red_blue(rgb)));
  const Image bgra = testing::random_image(3, 3, 4);
  EXPECT_EQ(swap_red_blue(bgra).at(1, 1, 3), bgra.at(1, 1, 3));
}

TEST(ConvertTest, ConvertChannelsCoversEveryPair) {
  const Image rgb = rgb_pixels({{10, 20, 30}});
  const Image rgba = convert_channels(rgb, 4);
  ASSERT_EQ(rgba.channels(), 4);
  EXPECT_EQ(rgba.at(0, 0, 1), 20);
  EXPECT_EQ(rgba.at(0, 0, 3), 255);
  const Image grey_rgba = convert_channels(convert_channels(rgb, 1), 4);
  EXPECT_EQ(grey_rgba.at(0, 0, 0), 18);
  EXPECT_EQ(grey_rgba.at(0, 0, 2), 18);
  EXPECT_EQ(grey_rgba.at(0, 0, 3), 255);
  EXPECT_TRUE(testing::same_pixels(convert_channels(rgb, 3), rgb));
  EXPECT_THROW(convert_channels(rgb, 2), Error);
}

TEST(ConvertTest, WrongChannelCountIsAClearError) {
  try {
    rgb_to_grey(Image(4, 2, 4));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot convert RGB image to grey (4x2x4): expected 3 channels");
  }
  EXPECT_THROW(grey_to_rgb(Image(1, 1, 3)), Error);
  EXPECT_THROW(rgba_to_rgb(Image()), Error);
  EXPECT_THROW(swap_red_blue(Image(1, 1, 1)), Error);
}

TEST(ConvertTest, NormalizesARegionPerChannel) {
  Image rgb(4, 3, 3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = static_cast<std::uint8_t>(100 * c + 10 * y + x);
    }
  }
  ChannelNormalization norm;
  norm.mean = {1.0f, 2.0f, 3.0f, 0.0f};
  norm.scale = {0.5f, 1.0f, 2.0f, 1.0f};
  // Region columns 1..2, rows 1..2.
  std::vector<float> out(2 * 2 * 3, -1.0f);
  normalize_to_float(ImageView(rgb).crop(Rect{1, 1, 2, 2}), norm, out.data(), out.size());
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float pixel = static_cast<float>(100 * c + 10 * (y + 1) + (x + 1));
        EXPECT_FLOAT_EQ(out[(y * 2 + x) * 3 + c], (pixel - norm.mean[c]) * norm.scale[c]);
      }
    }
  }
  const ImageF whole = normalize_to_float(rgb, norm);
  EXPECT_FLOAT_EQ(whole.at(3, 2, 2), (200 + 20 + 3 - 3.0f) * 2.0f);
}

TEST(ConvertTest, NormalizeRefusesASmallBuffer) {
  std::vector<float> out(11);
  try {
    normalize_to_float(Image(2, 2, 3), ChannelNormalization(), out.data(), out.size());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot normalize image (2x2x3): output buffer holds 11 floats, 12 needed");
  }
}

}  // namespace
}  // namespace fu::image
