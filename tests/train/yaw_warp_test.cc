#include "train/yaw_warp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "base/error.h"
#include "train/augment.h"
#include "train/data_test_support.h"

namespace fu::train {
namespace {

constexpr double kDegree = 3.14159265358979323846 / 180.0;

// dlib-resnet's template (models/dlib-resnet.fum): 150x150 chips.
ChipFacePoints dlib_points() {
  return {{44.580, 44.496}, {103.434, 44.477}, {74.013, 77.450}, {74.013, 110.259}};
}

// The same face, exactly symmetric about the chip's middle column (74.5).
ChipFacePoints symmetric_points() {
  return {{44.5, 44.5}, {104.5, 44.5}, {74.5, 77.5}, {74.5, 110.5}};
}

image::Image noise(int width, int height, std::uint64_t seed) {
  Rng rng(seed);
  image::Image im(width, height, 3);
  for (std::size_t i = 0; i < im.size_bytes(); ++i) {
    im.data()[i] = static_cast<std::uint8_t>(uniform_below(rng, 256));
  }
  return im;
}

image::Image mirrored(const image::Image& im) { return mirror_horizontally(im); }

// A dark chip with a bright 5x5 spot on each of the template's four points.
image::Image spots(const ChipFacePoints& p, int size) {
  image::Image im(size, size, 1);
  std::fill(im.data(), im.data() + im.size_bytes(), 0);
  for (const image::Point& c : {p.right_eye, p.left_eye, p.nose_tip, p.mouth_center}) {
    for (int y = static_cast<int>(c.y) - 2; y <= static_cast<int>(c.y) + 2; ++y) {
      for (int x = static_cast<int>(c.x) - 2; x <= static_cast<int>(c.x) + 2; ++x) {
        im.row(y)[x] = 255;
      }
    }
  }
  return im;
}

// The brightness-weighted centre of the pixels within `radius` of `near`.
image::Point centroid(const image::Image& im, image::Point near, int radius) {
  double sx = 0, sy = 0, sw = 0;
  for (int y = static_cast<int>(near.y) - radius; y <= static_cast<int>(near.y) + radius; ++y) {
    for (int x = static_cast<int>(near.x) - radius; x <= static_cast<int>(near.x) + radius; ++x) {
      const double w = im.row(y)[x];
      sx += w * x;
      sy += w * y;
      sw += w;
    }
  }
  return {sx / sw, sy / sw};
}

TEST(YawWarpTest, NoTurnGivesTheChipBack) {
  const YawWarp warp(dlib_points(), 150, 150);
  const image::Image chip = noise(150, 150, 3);
  const image::Image out = warp.apply(chip, 0.0);
  ASSERT_EQ(out.size_bytes(), chip.size_bytes());
  int worst = 0;
  for (std::size_t i = 0; i < chip.size_bytes(); ++i) {
    worst = std::max(worst, std::abs(out.data()[i] - chip.data()[i]));
  }
  EXPECT_EQ(worst, 0);
}

// The geometry a flat picture cannot have: the nose, 3.5 cm in front of the eyes, moves along
// the eye line by 3.5 cm x tan(yaw) in eye distances (the eyes' own distance shrinks by cos(yaw)),
// in the direction of the turn. The realignment then rolls the face a little, as the pipeline's
// four-point alignment does a real turned face (the nose and mouth have moved, the eyes less).
TEST(YawWarpTest, TheNoseMovesAgainstTheEyes) {
  const ChipFacePoints p = dlib_points();
  const YawWarp warp(p, 150, 150);
  EXPECT_NEAR(
      warp.depth_cm(p.nose_tip.x, p.nose_tip.y) - warp.depth_cm(p.right_eye.x, p.right_eye.y), 3.5,
      0.2);
  const image::Image chip = spots(p, 150);
  for (double degrees : {-25.0, -10.0, 10.0, 25.0}) {
    SCOPED_TRACE(degrees);
    const image::Image out = warp.apply(chip, degrees * kDegree);
    const image::Point right = centroid(out, p.right_eye, 9);
    const image::Point left = centroid(out, p.left_eye, 9);
    const image::Point nose = centroid(out, p.nose_tip, 9);
    const double eyes = std::hypot(left.x - right.x, left.y - right.y);
    const image::Point mid{(left.x + right.x) / 2, (left.y + right.y) / 2};
    const double along =
        ((nose.x - mid.x) * (left.x - right.x) + (nose.y - mid.y) * (left.y - right.y)) / eyes;
    EXPECT_NEAR(along / eyes * 6.3, 3.5 * std::tan(degrees * kDegree), 0.3);
    // Aligned again: the eyes' midpoint stays near its place in the template.
    EXPECT_NEAR(mid.x, (p.left_eye.x + p.right_eye.x) / 2, 6.0);
    EXPECT_NEAR(mid.y, p.right_eye.y, 3.0);
  }
}

// One head model for both sides: turning a mirrored face one way is the mirror of turning the
// face the other way.
TEST(YawWarpTest, TurningTheMirrorImageIsTheMirrorOfTheOppositeTurn) {
  const YawWarp warp(symmetric_points(), 150, 150);
  const image::Image chip = noise(150, 150, 5);
  for (double degrees : {12.0, 30.0}) {
    const image::Image a = warp.apply(mirrored(chip), -degrees * kDegree);
    const image::Image b = mirrored(warp.apply(chip, degrees * kDegree));
    int worst = 0;
    for (std::size_t i = 0; i < a.size_bytes(); ++i) {
      worst = std::max(worst, std::abs(a.data()[i] - b.data()[i]));
    }
    EXPECT_LE(worst, 1) << degrees << " degrees";
  }
}

// Turned far, the cheek beyond the nose is squeezed behind it and the near cheek is stretched: a
// strip 1 to 2 cm from the nose's midline on either side.
TEST(YawWarpTest, TheFarCheekIsSqueezedAndTheNearCheekStretched) {
  const ChipFacePoints p = dlib_points();
  const YawWarp warp(p, 150, 150);
  // Around the nose tip's row, each column gets its own level (x + 50); the rest of the chip is 0.
  image::Image chip(150, 150, 1);
  std::fill(chip.data(), chip.data() + chip.size_bytes(), 0);
  const int row = static_cast<int>(p.nose_tip.y + 0.5);
  for (int y = row - 8; y <= row + 8; ++y) {
    for (int x = 0; x < 150; ++x) chip.row(y)[x] = static_cast<std::uint8_t>(x + 50);
  }
  const double cm = (p.left_eye.x - p.right_eye.x) / 6.3;
  // Output pixels of the row whose level comes from columns 1 to 2 cm from the nose, on one side.
  auto width_of = [&](const image::Image& out, int side) {
    const double a = p.nose_tip.x + side * cm + 50;
    const double b = p.nose_tip.x + side * 2 * cm + 50;
    int n = 0;
    for (int x = 0; x < 150; ++x) {
      const int v = out.row(row)[x];
      if (v >= std::min(a, b) && v <= std::max(a, b)) ++n;
    }
    return n;
  };
  const image::Image frontal = warp.apply(chip, 0.0);
  EXPECT_NEAR(width_of(frontal, +1), cm, 1.5);
  EXPECT_NEAR(width_of(frontal, -1), cm, 1.5);
  // A positive turn carries the nose to the image's right: the far side is the right.
  const image::Image turned = warp.apply(chip, 30 * kDegree);
  EXPECT_LE(width_of(turned, +1), 0.35 * cm);
  EXPECT_GE(width_of(turned, -1), 1.3 * cm);
}

TEST(YawWarpTest, ReadsTheTemplateAndRefusesWhatItCannotTurn) {
  nn::ModelMetadata m;
  m.name = "embedder";
  m.properties["embedder.keypoints"] = "right_eye,left_eye,nose_tip,mouth_center";
  m.properties["embedder.template"] = "44.580,44.496,103.434,44.477,74.013,77.450,74.013,110.259";
  const ChipFacePoints p = chip_face_points(m);
  EXPECT_DOUBLE_EQ(p.left_eye.x, 103.434);
  EXPECT_DOUBLE_EQ(p.mouth_center.y, 110.259);
  m.properties["embedder.keypoints"] = "right_eye,left_eye,nose_tip,chin";
  EXPECT_NE(face::testing::error_of([&] { chip_face_points(m); }).find("no 'mouth_center'"),
            std::string::npos);

  const YawWarp warp(dlib_points(), 150, 150);
  EXPECT_NE(face::testing::error_of([&] {
              warp.apply(noise(150, 150, 1), 36 * kDegree);
            }).find("at most 35 degrees"),
            std::string::npos);
  EXPECT_NO_THROW(warp.apply(noise(150, 150, 1), -35 * kDegree));
  EXPECT_NE(face::testing::error_of([&] {
              warp.apply(noise(112, 112, 1), 0.1);
            }).find("made for 150x150 chips"),
            std::string::npos);
  EXPECT_NE(face::testing::error_of([&] { warp.apply(noise(150, 150, 1), std::nan("")); }), "");
  ChipFacePoints upside_down = dlib_points();
  upside_down.nose_tip.y = 20;
  EXPECT_NE(face::testing::error_of([&] { YawWarp(upside_down, 150, 150); }).find("below its eyes"),
            std::string::npos);
}

// In the augmentation, a turn draws its values last: the other transforms are as they were.
TEST(YawWarpTest, AugmentationTurnsWithoutChangingTheOtherDraws) {
  AugmentOptions plain;
  plain.geometry_probability = plain.brightness_probability = 1.0;
  AugmentOptions turning = plain;
  turning.yaw_probability = 1.0;
  turning.max_yaw_degrees = 20.0;
  turning.yaw_warp = std::make_shared<const YawWarp>(dlib_points(), 150, 150);
  for (std::uint64_t seed = 1; seed < 20; ++seed) {
    Rng a(seed);
    Rng b(seed);
    const Augmentation x = draw_augmentation(a, plain, 150, 150);
    const Augmentation y = draw_augmentation(b, turning, 150, 150);
    EXPECT_FALSE(x.yaw);
    EXPECT_TRUE(y.yaw);
    EXPECT_LE(std::abs(y.yaw_radians), 20 * kDegree);
    EXPECT_EQ(x.shift_x, y.shift_x);
    EXPECT_EQ(x.brightness_delta, y.brightness_delta);
    EXPECT_EQ(x.mirror, y.mirror);
  }
  Rng rng(7);
  const image::Image chip = noise(150, 150, 9);
  Augmentation only_yaw;
  only_yaw.yaw = true;
  only_yaw.yaw_radians = 15 * kDegree;
  const image::Image out = apply_augmentation(chip, only_yaw, turning.yaw_warp.get());
  const image::Image direct = turning.yaw_warp->apply(chip, 15 * kDegree);
  EXPECT_TRUE(std::equal(out.data(), out.data() + out.size_bytes(), direct.data()));
  EXPECT_NE(face::testing::error_of([&] { apply_augmentation(chip, only_yaw); }), "");

  AugmentOptions no_warp = turning;
  no_warp.yaw_warp.reset();
  EXPECT_NE(face::testing::error_of([&] {
              draw_augmentation(rng, no_warp, 150, 150);
            }).find("need a yaw warp"),
            std::string::npos);
  AugmentOptions too_far = turning;
  too_far.max_yaw_degrees = 40;
  EXPECT_NE(face::testing::error_of([&] {
              draw_augmentation(rng, too_far, 150, 150);
            }).find("max_yaw_degrees 40"),
            std::string::npos);
}

}  // namespace
}  // namespace fu::train
