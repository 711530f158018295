#include "face/letterbox.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace fu::face {
namespace {

TEST(LetterboxTest, WideImagePadsTopAndBottomEvenly) {
  const Letterbox l = make_letterbox(200, 100, 128, 128);
  EXPECT_DOUBLE_EQ(l.scale, 0.64);
  EXPECT_DOUBLE_EQ(l.pad_x, 0.0);
  EXPECT_DOUBLE_EQ(l.pad_y, 32.0);
  // The image's corners (pixel edges) land on the padded region's corners.
  const image::Point top_left = l.to_input(image::Point{-0.5, -0.5});
  EXPECT_NEAR(top_left.x, -0.5, 1e-12);
  EXPECT_NEAR(top_left.y, 31.5, 1e-12);
  const image::Point bottom_right = l.to_input(image::Point{199.5, 99.5});
  EXPECT_NEAR(bottom_right.x, 127.5, 1e-12);
  EXPECT_NEAR(bottom_right.y, 95.5, 1e-12);
}

TEST(LetterboxTest, TallImagePadsLeftAndRight) {
  const Letterbox l = make_letterbox(480, 640, 128, 128);
  EXPECT_DOUBLE_EQ(l.scale, 0.2);
  EXPECT_DOUBLE_EQ(l.pad_x, 16.0);
  EXPECT_DOUBLE_EQ(l.pad_y, 0.0);
}

TEST(LetterboxTest, RoundTripIsExact) {
  const Letterbox l = make_letterbox(640, 480, 128, 128);
  for (const image::Point p : {image::Point{0, 0}, image::Point{639, 479},
                               image::Point{123.25, 7.5}, image::Point{-3, 500}}) {
    const image::Point back = l.to_image(l.to_input(p));
    EXPECT_NEAR(back.x, p.x, 1e-9);
    EXPECT_NEAR(back.y, p.y, 1e-9);
    const image::Point via_transform = l.image_to_input().apply(p);
    EXPECT_NEAR(via_transform.x, l.to_input(p).x, 1e-9);
    EXPECT_NEAR(via_transform.y, l.to_input(p).y, 1e-9);
  }
  Face input_face;
  input_face.box = FaceBox{40.0f, 30.0f, 20.0f, 24.0f};
  input_face.score = 0.7f;
  input_face.keypoints = {image::Point{50, 40}};
  const Face f = l.to_image(input_face);
  EXPECT_FLOAT_EQ(f.score, 0.7f);
  EXPECT_FLOAT_EQ(f.box.width, 100.0f);  // 20 / 0.2
  EXPECT_FLOAT_EQ(f.box.height, 120.0f);
  const image::Point corner = l.to_input(image::Point{f.box.x, f.box.y});
  EXPECT_NEAR(corner.x, 40.0, 1e-4);
  EXPECT_NEAR(corner.y, 30.0, 1e-4);
  const image::Point k = l.to_input(f.keypoints[0]);
  EXPECT_NEAR(k.x, 50.0, 1e-9);
  EXPECT_NEAR(k.y, 40.0, 1e-9);
}

TEST(LetterboxTest, ImagePlacedBetweenBlackBars) {
  const image::Image white(200, 100, 3, 255);
  const Letterbox l = make_letterbox(200, 100, 128, 128);
  const image::Image input = apply_letterbox(white, l);
  ASSERT_EQ(input.width(), 128);
  ASSERT_EQ(input.height(), 128);
  ASSERT_EQ(input.channels(), 3);
  EXPECT_EQ(input.at(64, 0, 0), 0);
  EXPECT_EQ(input.at(64, 31, 1), 0);
  EXPECT_EQ(input.at(64, 32, 2), 255);
  EXPECT_EQ(input.at(0, 64, 0), 255);
  EXPECT_EQ(input.at(127, 95, 0), 255);
  EXPECT_EQ(input.at(64, 96, 0), 0);
}

TEST(LetterboxTest, LargeImagesAreAveragedNotSkipped) {
  // A one-pixel checkerboard shrunk 8x must come out mid-grey, not a sample of black or white.
  image::Image board(1024, 1024, 1);
  for (int y = 0; y < 1024; ++y) {
    for (int x = 0; x < 1024; ++x) board.at(x, y, 0) = ((x + y) % 2) ? 255 : 0;
  }
  const image::Image input = apply_letterbox(board, make_letterbox(1024, 1024, 128, 128));
  for (int y = 1; y < 127; y += 9) {
    for (int x = 1; x < 127; x += 7) EXPECT_NEAR(input.at(x, y, 0), 127.5, 1.5);
  }
}

TEST(LetterboxTest, RejectsEmptySizes) { EXPECT_THROW(make_letterbox(0, 10, 128, 128), Error); }

}  // namespace
}  // namespace fu::face
