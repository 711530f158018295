#include "image/warp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "base/error.h"
#include "image/resize.h"
#include "image/test_images.h"

namespace fu::image {
namespace {

constexpr double kPi = 3.14159265358979323846;

void expect_transform_near(const AffineTransform& actual, const AffineTransform& expected,
                           double tolerance) {
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(actual.coefficients()[i], expected.coefficients()[i], tolerance) << "entry " << i;
  }
}

TEST(AffineTransformTest, SimilarityTurnsXTowardsY) {
  const Point p = AffineTransform::similarity(2.0, kPi / 2, 10.0, 20.0).apply(Point{1.0, 0.0});
  EXPECT_NEAR(p.x, 10.0, 1e-12);
  EXPECT_NEAR(p.y, 22.0, 1e-12);
}

TEST(AffineTransformTest, ComposeAppliesInnerFirst) {
  const AffineTransform scale = AffineTransform::similarity(2.0, 0.0, 0.0, 0.0);
  const AffineTransform shift = AffineTransform::translation(5.0, 0.0);
  const Point p = compose(shift, scale).apply(Point{1.0, 1.0});
  EXPECT_DOUBLE_EQ(p.x, 7.0);
  EXPECT_DOUBLE_EQ(p.y, 2.0);
  const Point q = compose(scale, shift).apply(Point{1.0, 1.0});
  EXPECT_DOUBLE_EQ(q.x, 12.0);
  EXPECT_DOUBLE_EQ(q.y, 2.0);
}

TEST(AffineTransformTest, InverseUndoesComposition) {
  const AffineTransform a(1.5, 0.3, -4.0, -0.2, 0.8, 7.0);
  const AffineTransform b = AffineTransform::similarity(0.7, 1.1, 3.0, -2.0);
  const AffineTransform ab = compose(a, b);
  expect_transform_near(compose(ab, ab.inverse()), AffineTransform::identity(), 1e-12);
  expect_transform_near(compose(ab.inverse(), ab), AffineTransform::identity(), 1e-12);
  // (a b)^-1 = b^-1 a^-1.
  expect_transform_near(ab.inverse(), compose(b.inverse(), a.inverse()), 1e-12);
  const Point p{12.5, -3.25};
  const Point back = ab.inverse().apply(ab.apply(p));
  EXPECT_NEAR(back.x, p.x, 1e-12);
  EXPECT_NEAR(back.y, p.y, 1e-12);
}

TEST(AffineTransformTest, SingularHasNoInverse) {
  EXPECT_THROW(AffineTransform(1, 2, 0, 2, 4, 0).inverse(), Error);
  EXPECT_THROW(AffineTransform::similarity(0.0, 0.3, 1.0, 1.0).inverse(), Error);
}

TEST(WarpTest, IdentityCopies) {
  const Image image = testing::random_image(19, 13, 3);
  EXPECT_TRUE(testing::same_pixels(image, warp_affine(image, AffineTransform(), 19, 13)));
}

TEST(WarpTest, IntegerTranslationShiftsExactly) {
  const Image image = testing::random_image(10, 8, 1);
  WarpOptions options;
  options.border_value = {7, 0, 0, 0};
  // Input (x, y) lands on output (x + 3, y - 2).
  const Image out = warp_affine(image, AffineTransform::translation(3.0, -2.0), 10, 8, options);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 10; ++x) {
      const int sx = x - 3;
      const int sy = y + 2;
      const bool inside = sx >= 0 && sx < 10 && sy >= 0 && sy < 8;
      ASSERT_EQ(out.at(x, y, 0), inside ? image.at(sx, sy, 0) : 7) << x << "," << y;
    }
  }
}

TEST(WarpTest, ReplicateBorderRepeatsTheEdge) {
  const Image image = testing::random_image(6, 5, 3);
  WarpOptions options;
  options.border = BorderMode::kReplicate;
  const Image out = warp_affine(image, AffineTransform::translation(-100.5, 2.0), 8, 9, options);
  for (int y = 0; y < 9; ++y) {
    const int sy = std::min(std::max(y - 2, 0), 4);
    for (int c = 0; c < 3; ++c) ASSERT_EQ(out.at(0, y, c), image.at(5, sy, c)) << y;
  }
}

TEST(WarpTest, ConstantBorderFillsEveryChannel) {
  const Image image(4, 4, 3, 50);
  WarpOptions options;
  options.border_value = {1, 2, 3, 0};
  const Image out = warp_affine(image, AffineTransform::translation(100.0, 0.0), 3, 2, options);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 3; ++x) {
      EXPECT_EQ(out.at(x, y, 0), 1);
      EXPECT_EQ(out.at(x, y, 1), 2);
      EXPECT_EQ(out.at(x, y, 2), 3);
    }
  }
  // Half a pixel past the edge, taps blend image and border equally: (50 + 1) / 2 rounds to 26.
  const Image half = warp_affine(image, AffineTransform::translation(0.5, 0.0), 4, 4, options);
  EXPECT_EQ(half.at(0, 1, 0), 26);
  EXPECT_EQ(half.at(1, 1, 0), 50);
}

TEST(WarpTest, QuarterTurnAboutTheCentreIsExact) {
  const int n = 9;
  const Image image = testing::random_image(n, n, 3);
  const double c = (n - 1) / 2.0;
  // Turning +x towards +y about (c, c) sends input (x, y) to output (n - 1 - y, x).
  const AffineTransform turn = compose(AffineTransform::translation(c, c),
                                       compose(AffineTransform::similarity(1.0, kPi / 2, 0.0, 0.0),
                                               AffineTransform::translation(-c, -c)));
  const Image out = warp_affine(image, turn, n, n);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      for (int ch = 0; ch < 3; ++ch) ASSERT_EQ(out.at(n - 1 - y, x, ch), image.at(x, y, ch));
    }
  }
}

TEST(WarpTest, HalfPixelShiftOfARampIsLinear) {
  Image ramp(10, 2, 1);
  for (int x = 0; x < 10; ++x)
    ramp.at(x, 0, 0) = ramp.at(x, 1, 0) = static_cast<std::uint8_t>(20 * x);
  const Image out = warp_affine(ramp, AffineTransform::translation(-0.5, 0.0), 9, 2);
  for (int x = 0; x < 9; ++x) EXPECT_EQ(out.at(x, 0, 0), 20 * x + 10);
}

TEST(WarpTest, ScalingMatchesResizeWithTheSameConvention) {
  // resize samples x_in = (x_out + 0.5) / s - 0.5, i.e. x_out = s x_in + (s - 1) / 2, and clamps
  // like the replicate border.
  const Image image = testing::random_image(12, 10, 3);
  WarpOptions options;
  options.border = BorderMode::kReplicate;
  const AffineTransform up(2.0, 0.0, 0.5, 0.0, 2.0, 0.5);
  EXPECT_LE(testing::max_abs_difference(warp_affine(image, up, 24, 20, options),
                                        resize_bilinear(image, 24, 20)),
            1);
}

TEST(WarpTest, RejectsBadArguments) {
  const Image image(4, 4, 1);
  EXPECT_THROW(warp_affine(image, AffineTransform(0, 0, 0, 0, 0, 0), 4, 4), Error);
  EXPECT_THROW(warp_affine(image, AffineTransform(), 0, 4), Error);
  EXPECT_THROW(warp_affine(Image(), AffineTransform(), 4, 4), Error);
}

// Five face-like landmarks (eyes, nose, mouth corners).
const std::vector<Point> kLandmarks = {
    {38.3, 51.7}, {73.5, 51.5}, {56.0, 71.7}, {41.5, 92.4}, {70.7, 92.2}};

std::vector<Point> apply_all(const AffineTransform& t, const std::vector<Point>& points) {
  std::vector<Point> out;
  for (const Point& p : points) out.push_back(t.apply(p));
  return out;
}

double squared_error(const AffineTransform& t, const std::vector<Point>& source,
                     const std::vector<Point>& destination) {
  double sum = 0.0;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const Point p = t.apply(source[i]);
    sum += (p.x - destination[i].x) * (p.x - destination[i].x) +
           (p.y - destination[i].y) * (p.y - destination[i].y);
  }
  return sum;
}

TEST(EstimateSimilarityTest, RecoversAnExactTransform) {
  const AffineTransform truth = AffineTransform::similarity(1.7, -0.4, 12.0, -30.0);
  expect_transform_near(estimate_similarity(kLandmarks, apply_all(truth, kLandmarks)), truth, 1e-9);
  // Two points are enough.
  const std::vector<Point> two(kLandmarks.begin(), kLandmarks.begin() + 2);
  expect_transform_near(estimate_similarity(two, apply_all(truth, two)), truth, 1e-9);
}

TEST(EstimateSimilarityTest, IsTheLeastSquaresFitUnderNoise) {
  const AffineTransform truth = AffineTransform::similarity(0.9, 0.25, -5.0, 8.0);
  std::vector<Point> noisy = apply_all(truth, kLandmarks);
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 1.5);
  for (Point& p : noisy) {
    p.x += noise(rng);
    p.y += noise(rng);
  }
  const AffineTransform fit = estimate_similarity(kLandmarks, noisy);
  const double best = squared_error(fit, kLandmarks, noisy);
  EXPECT_LT(best, squared_error(truth, kLandmarks, noisy));
  // Nudging any of the four similarity parameters (c, k, tx, ty) only increases the error.
  const auto& m = fit.coefficients();
  for (int parameter = 0; parameter < 4; ++parameter) {
    for (double step : {-1e-4, 1e-4}) {
      double c = m[0], k = m[3], tx = m[2], ty = m[5];
      (parameter == 0 ? c : parameter == 1 ? k : parameter == 2 ? tx : ty) += step;
      const AffineTransform nudged(c, -k, tx, k, c, ty);
      EXPECT_GT(squared_error(nudged, kLandmarks, noisy), best) << parameter << " " << step;
    }
  }
}

TEST(EstimateSimilarityTest, NeverReflects) {
  std::vector<Point> mirrored;
  for (const Point& p : kLandmarks) mirrored.push_back(Point{-p.x, p.y});
  const AffineTransform fit = estimate_similarity(kLandmarks, mirrored);
  const auto& m = fit.coefficients();
  // A similarity's linear part is [c -k; k c].
  EXPECT_DOUBLE_EQ(m[0], m[4]);
  EXPECT_DOUBLE_EQ(m[1], -m[3]);
}

TEST(EstimateSimilarityTest, RejectsDegenerateInput) {
  const std::vector<Point> one = {{1.0, 2.0}};
  EXPECT_THROW(estimate_similarity(one, one), Error);
  EXPECT_THROW(estimate_similarity({}, {}), Error);
  const std::vector<Point> same = {{5.0, 5.0}, {5.0, 5.0}, {5.0, 5.0}};
  try {
    estimate_similarity(same, kLandmarks);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot estimate similarity transform (3 source, 5 destination points): counts "
                 "differ");
  }
  const std::vector<Point> three(kLandmarks.begin(), kLandmarks.begin() + 3);
  try {
    estimate_similarity(same, three);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot estimate similarity transform (3 source, 3 destination points): the "
                 "source points all coincide");
  }
  EXPECT_THROW(estimate_similarity(three, same), Error);
  std::vector<Point> with_nan = three;
  with_nan[1].x = std::nan("");
  EXPECT_THROW(estimate_similarity(with_nan, three), Error);
}

}  // namespace
}  // namespace fu::image
