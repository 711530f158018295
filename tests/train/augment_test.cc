#include "train/augment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "base/error.h"
#include "train/data_test_support.h"

namespace fu::train {
namespace {

image::Image noise(int width, int height, int channels, std::uint64_t seed) {
  Rng rng(seed);
  image::Image im(width, height, channels);
  for (std::size_t i = 0; i < im.size_bytes(); ++i) {
    im.data()[i] = static_cast<std::uint8_t>(uniform_below(rng, 256));
  }
  return im;
}

double mean_of(const image::Image& im) {
  double sum = 0;
  for (std::size_t i = 0; i < im.size_bytes(); ++i) sum += im.data()[i];
  return sum / im.size_bytes();
}

double variance_of(const image::Image& im) {
  const double m = mean_of(im);
  double sum = 0;
  for (std::size_t i = 0; i < im.size_bytes(); ++i) sum += (im.data()[i] - m) * (im.data()[i] - m);
  return sum / im.size_bytes();
}

AugmentOptions nothing() {
  AugmentOptions o;
  o.mirror_probability = o.geometry_probability = o.brightness_probability = 0.0;
  o.contrast_probability = o.blur_probability = 0.0;
  return o;
}

TEST(AugmentTest, SameRngStateSameOutput) {
  const image::Image chip = noise(40, 48, 3, 1);
  AugmentOptions o;
  o.max_rotation_degrees = 8.0;
  Rng a(10);
  Rng b(10);
  int changed = 0;
  for (int i = 0; i < 20; ++i) {
    const image::Image x = augment(chip, o, a);
    ASSERT_TRUE(testing::same_pixels(x, augment(chip, o, b))) << i;
    EXPECT_EQ(x.width(), 40);
    EXPECT_EQ(x.height(), 48);
    EXPECT_EQ(x.channels(), 3);
    changed += !testing::same_pixels(x, chip);
  }
  // With these probabilities, nothing applies with probability 0.5^4 x 0.9 = 5.6%.
  EXPECT_GE(changed, 14);
  Rng c(11);
  Rng d(10);
  bool differs = false;
  for (int i = 0; i < 5; ++i)
    differs |= !testing::same_pixels(augment(chip, o, c), augment(chip, o, d));
  EXPECT_TRUE(differs);
}

TEST(AugmentTest, NothingEnabledMeansACopy) {
  const image::Image chip = noise(17, 9, 1, 2);
  Rng rng(1);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(testing::same_pixels(augment(chip, nothing(), rng), chip));
}

// Each transform draws its values whether it applies or not, so switching one off leaves the
// others as they were.
TEST(AugmentTest, SwitchingOneTransformOffKeepsTheOthers) {
  AugmentOptions all;
  all.mirror_probability = all.geometry_probability = all.brightness_probability = 1.0;
  all.contrast_probability = all.blur_probability = 1.0;
  AugmentOptions no_geometry = all;
  no_geometry.geometry_probability = 0.0;
  for (std::uint64_t seed = 1; seed < 20; ++seed) {
    Rng a(seed);
    Rng b(seed);
    const Augmentation x = draw_augmentation(a, all, 50, 60);
    const Augmentation y = draw_augmentation(b, no_geometry, 50, 60);
    EXPECT_TRUE(x.geometry);
    EXPECT_FALSE(y.geometry);
    EXPECT_EQ(y.shift_x, 0.0);
    EXPECT_EQ(y.scale, 1.0);
    EXPECT_EQ(x.brightness_delta, y.brightness_delta);
    EXPECT_EQ(x.contrast_factor, y.contrast_factor);
    EXPECT_EQ(x.mirror, y.mirror);
    EXPECT_EQ(x.blur, y.blur);
    EXPECT_TRUE(a() == b());  // the same number of draws
    EXPECT_LE(std::abs(x.shift_x), 0.05 * 50);
    EXPECT_LE(std::abs(x.shift_y), 0.05 * 60);
    EXPECT_GE(x.scale, 0.95);
    EXPECT_LE(x.scale, 1.05);
    EXPECT_EQ(x.rotation_radians, 0.0);  // max_rotation_degrees defaults to 0
    EXPECT_LE(std::abs(x.brightness_delta), 20.0);
    EXPECT_GE(x.contrast_factor, 0.8);
    EXPECT_LE(x.contrast_factor, 1.2);
  }
}

TEST(AugmentTest, ProbabilitiesAreHonoured) {
  AugmentOptions o;
  o.mirror_probability = 0.3;
  o.blur_probability = 0.1;
  Rng rng(3);
  int mirrors = 0, blurs = 0;
  for (int i = 0; i < 10000; ++i) {
    const Augmentation a = draw_augmentation(rng, o, 10, 10);
    mirrors += a.mirror;
    blurs += a.blur;
  }
  EXPECT_NEAR(mirrors / 10000.0, 0.3, 0.015);
  EXPECT_NEAR(blurs / 10000.0, 0.1, 0.01);
}

TEST(AugmentTest, MirrorFlipsLeftAndRight) {
  const image::Image chip = noise(7, 5, 3, 4);
  const image::Image m = mirror_horizontally(chip);
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 7; ++x) {
      for (int c = 0; c < 3; ++c) ASSERT_EQ(m.at(x, y, c), chip.at(6 - x, y, c));
    }
  }
  EXPECT_TRUE(testing::same_pixels(mirror_horizontally(m), chip));

  AugmentOptions o = nothing();
  o.mirror_probability = 1.0;
  Rng rng(1);
  EXPECT_TRUE(testing::same_pixels(augment(chip, o, rng), m));
}

TEST(AugmentTest, ShiftMovesContentAndReplicatesTheEdge) {
  const image::Image chip = noise(20, 16, 3, 5);
  EXPECT_TRUE(testing::same_pixels(shift_scale_rotate(chip, 0, 0, 1.0, 0.0), chip));
  const image::Image moved = shift_scale_rotate(chip, 3, -2, 1.0, 0.0);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 20; ++x) {
      // out(x, y) = in(x - 3, y + 2), the source clamped into the chip.
      const int sx = std::min(std::max(x - 3, 0), 19);
      const int sy = std::min(std::max(y + 2, 0), 15);
      for (int c = 0; c < 3; ++c) ASSERT_EQ(moved.at(x, y, c), chip.at(sx, sy, c)) << x << "," << y;
    }
  }
}

TEST(AugmentTest, ScaleGrowsAboutTheCentreAndRotationTurnsClockwise) {
  // A bright 5x5 square in the middle of a dark 21x21 chip.
  image::Image chip(21, 21, 1, 0);
  for (int y = 8; y <= 12; ++y) {
    for (int x = 8; x <= 12; ++x) chip.at(x, y, 0) = 255;
  }
  auto bright = [](const image::Image& im) {
    int n = 0;
    for (std::size_t i = 0; i < im.size_bytes(); ++i) n += im.data()[i] > 127;
    return n;
  };
  const image::Image bigger = shift_scale_rotate(chip, 0, 0, 1.4, 0.0);
  EXPECT_EQ(bright(chip), 25);
  EXPECT_EQ(bright(bigger), 49);  // 5 x 1.4 = 7 pixels a side
  EXPECT_EQ(bigger.at(10, 10, 0), 255);
  EXPECT_EQ(bigger.at(9, 9, 0), 255);
  EXPECT_GT(bigger.at(7, 7, 0), 127);  // the corner: 0.86^2 of the square's level
  EXPECT_LT(bigger.at(6, 6, 0), 128);

  // A quarter turn about the centre maps pixel centres onto pixel centres: out(c + R(p - c)) =
  // in(p) with R(dx, dy) = (-dy, dx).
  const image::Image pattern = noise(9, 9, 1, 6);
  const image::Image turned = shift_scale_rotate(pattern, 0, 0, 1.0, std::acos(-1.0) / 2);
  for (int y = 0; y < 9; ++y) {
    for (int x = 0; x < 9; ++x) {
      const int dx = x - 4, dy = y - 4;
      ASSERT_NEAR(turned.at(4 - dy, 4 + dx, 0), pattern.at(x, y, 0), 1) << x << "," << y;
    }
  }
}

TEST(AugmentTest, BrightnessAddsAndContrastStretchesAboutTheMean) {
  const image::Image flat = testing::uniform(6, 4, 100, 100, 100);
  EXPECT_TRUE(testing::same_pixels(adjust_brightness_contrast(flat, 20, 1.0),
                                   testing::uniform(6, 4, 120, 120, 120)));
  EXPECT_TRUE(testing::same_pixels(adjust_brightness_contrast(flat, 400, 1.0),
                                   testing::uniform(6, 4, 255, 255, 255)));
  EXPECT_TRUE(testing::same_pixels(adjust_brightness_contrast(flat, -101, 1.0),
                                   testing::uniform(6, 4, 0, 0, 0)));
  // Half the pixels 100, half 140: mean 120; factor 2 takes them to 80 and 160.
  image::Image two(4, 1, 1);
  two.at(0, 0, 0) = two.at(1, 0, 0) = 100;
  two.at(2, 0, 0) = two.at(3, 0, 0) = 140;
  const image::Image stretched = adjust_brightness_contrast(two, 0, 2.0);
  EXPECT_EQ(stretched.at(0, 0, 0), 80);
  EXPECT_EQ(stretched.at(3, 0, 0), 160);
  const image::Image flattened = adjust_brightness_contrast(two, 5, 0.5);
  EXPECT_EQ(flattened.at(0, 0, 0), 115);
  EXPECT_EQ(flattened.at(3, 0, 0), 135);
  // The mean is over all channels, so a colour cast survives contrast changes.
  const image::Image tinted = testing::uniform(3, 3, 200, 100, 0);
  const image::Image t = adjust_brightness_contrast(tinted, 0, 0.5);
  EXPECT_EQ(t.at(1, 1, 0), 150);
  EXPECT_EQ(t.at(1, 1, 1), 100);
  EXPECT_EQ(t.at(1, 1, 2), 50);

  const image::Image chip = noise(30, 30, 3, 7);
  AugmentOptions o = nothing();
  o.brightness_probability = 1.0;
  Rng rng(2);
  Rng peek = rng;
  const double delta = draw_augmentation(peek, o, 30, 30).brightness_delta;
  ASSERT_GT(std::abs(delta), 1.0);
  const image::Image brighter = augment(chip, o, rng);
  // Clamping at 0 and 255 bends the mean a little for noise; the sign and size still show.
  EXPECT_NEAR(mean_of(brighter) - mean_of(chip), delta, std::abs(delta) * 0.25 + 0.5);

  o = nothing();
  o.contrast_probability = 1.0;
  o.max_contrast = 0.5;
  Rng crng(9);
  Rng cpeek = crng;
  const double factor = draw_augmentation(cpeek, o, 30, 30).contrast_factor;
  const image::Image contrasted = augment(chip, o, crng);
  EXPECT_NEAR(mean_of(contrasted), mean_of(chip), 2.0);
  if (factor < 1.0) {
    EXPECT_LT(variance_of(contrasted), variance_of(chip));
  } else {
    EXPECT_GT(variance_of(contrasted), variance_of(chip) * 0.99);
  }
}

TEST(AugmentTest, BlurAveragesNeighbours) {
  image::Image dot(5, 5, 1, 0);
  dot.at(2, 2, 0) = 180;
  const image::Image b = box_blur(dot);
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 5; ++x) {
      const bool near = std::abs(x - 2) <= 1 && std::abs(y - 2) <= 1;
      EXPECT_EQ(b.at(x, y, 0), near ? 20 : 0) << x << "," << y;
    }
  }
  const image::Image flat = testing::uniform(4, 4, 9, 99, 199);
  EXPECT_TRUE(testing::same_pixels(box_blur(flat), flat));
  // Edges replicate: a corner pixel of a left/right split sees 6 of its own and 3 others.
  image::Image split(4, 4, 1, 0);
  for (int y = 0; y < 4; ++y) split.at(3, y, 0) = 90;
  EXPECT_EQ(box_blur(split).at(2, 0, 0), 30);
  EXPECT_EQ(box_blur(split).at(3, 0, 0), 60);

  const image::Image chip = noise(24, 24, 3, 8);
  AugmentOptions o = nothing();
  o.blur_probability = 1.0;
  Rng rng(4);
  const image::Image blurred = augment(chip, o, rng);
  EXPECT_TRUE(testing::same_pixels(blurred, box_blur(chip)));
  EXPECT_LT(variance_of(blurred), variance_of(chip) / 3);
  EXPECT_NE(face::testing::error_of([&] { box_blur(chip, 0); }).find("radius 0"),
            std::string::npos);
}

TEST(AugmentTest, BlendWeighsTwoFacesValueByValue) {
  const image::Image a = noise(7, 5, 3, 21);
  const image::Image b = noise(7, 5, 3, 22);
  EXPECT_TRUE(testing::same_pixels(blend(a, b, 1.0), a));
  EXPECT_TRUE(testing::same_pixels(blend(a, b, 0.0), b));
  const image::Image m = blend(a, b, 0.25);
  for (std::size_t i = 0; i < m.size_bytes(); ++i) {
    const double want = 0.25 * a.data()[i] + 0.75 * b.data()[i];
    ASSERT_LE(std::abs(m.data()[i] - want), 0.5) << "value " << i;
  }
  EXPECT_EQ(face::testing::error_of([&] { blend(a, noise(5, 7, 3, 1), 0.5); }),
            "cannot blend chips (7x5x3 with 5x7x3): they must have the same size and channels");
  EXPECT_NE(face::testing::error_of([&] { blend(a, b, 1.5); }).find("must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(face::testing::error_of([&] { blend(a, b, std::nan("")); }), "");
  EXPECT_EQ(face::testing::error_of([&] { blend(image::ImageView(), b, 0.5); }),
            "cannot blend chip (empty): no pixels");
}

TEST(AugmentTest, RefusesBadOptionsAndEmptyChips) {
  auto error_with = [](const std::function<void(AugmentOptions&)>& change) {
    AugmentOptions o;
    change(o);
    Rng rng;
    return face::testing::error_of([&] { draw_augmentation(rng, o, 10, 10); });
  };
  EXPECT_EQ(error_with([](AugmentOptions& o) { o.mirror_probability = 1.5; }),
            "cannot augment chip (mirror_probability 1.5): a probability must be in [0, 1]");
  EXPECT_NE(error_with([](AugmentOptions& o) { o.blur_probability = std::nan(""); }), "");
  EXPECT_NE(error_with([](AugmentOptions& o) { o.max_scale = 1.0; }).find("max_scale 1"),
            std::string::npos);
  EXPECT_NE(error_with([](AugmentOptions& o) { o.max_shift = -0.1; }).find("max_shift"),
            std::string::npos);
  EXPECT_NE(error_with([](AugmentOptions& o) { o.max_contrast = 1.0; }).find("max_contrast"),
            std::string::npos);
  EXPECT_EQ(error_with([](AugmentOptions&) {}), "");
  Rng rng;
  EXPECT_EQ(face::testing::error_of([&] { augment(image::ImageView(), AugmentOptions(), rng); }),
            "cannot augment chip (empty): no pixels");
}

}  // namespace
}  // namespace fu::train
