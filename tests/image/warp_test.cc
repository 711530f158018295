#include "image/warp.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// warp_affine's contract the slow way, one output pixel at a time: the inverse-mapped point
// (snapped to an integer within 1e-9), clamped for a replicated border, and four taps read with
// explicit border tests, blended in float in the documented order. warp_affine computes an
// axis-aligned transform's taps once per row and column and reads interior taps without border
// tests; both must give exactly these bytes.
Image warp_per_pixel(const Image& input, const AffineTransform& input_to_output, int out_width,
                     int out_height, const WarpOptions& options) {
  const AffineTransform inverse = input_to_output.inverse();
  const bool replicate = options.border == BorderMode::kReplicate;
  const int width = input.width();
  const int height = input.height();
  auto snap = [](double v) {
    const double r = std::nearbyint(v);
    return std::fabs(v - r) < 1e-9 ? r : v;
  };
  auto tap = [&](int x, int y, int c) -> float {
    if (x < 0 || x >= width || y < 0 || y >= height) {
      if (!replicate) return options.border_value[c];
      x = std::clamp(x, 0, width - 1);
      y = std::clamp(y, 0, height - 1);
    }
    return input.at(x, y, c);
  };
  Image out(out_width, out_height, input.channels());
  for (int y = 0; y < out_height; ++y) {
    for (int x = 0; x < out_width; ++x) {
      const Point p = inverse.apply(Point{static_cast<double>(x), static_cast<double>(y)});
      double sx = snap(p.x);
      double sy = snap(p.y);
      if (replicate) {
        sx = std::fmin(std::fmax(sx, 0.0), width - 1.0);
        sy = std::fmin(std::fmax(sy, 0.0), height - 1.0);
      } else if (!(sx > -1.0 && sx < width && sy > -1.0 && sy < height)) {
        for (int c = 0; c < input.channels(); ++c) out.at(x, y, c) = options.border_value[c];
        continue;
      }
      const int x0 = static_cast<int>(std::floor(sx));
      const int y0 = static_cast<int>(std::floor(sy));
      const float fx = static_cast<float>(sx - x0);
      const float fy = static_cast<float>(sy - y0);
      for (int c = 0; c < input.channels(); ++c) {
        const float upper = tap(x0, y0, c) + (tap(x0 + 1, y0, c) - tap(x0, y0, c)) * fx;
        const float lower = tap(x0, y0 + 1, c) + (tap(x0 + 1, y0 + 1, c) - tap(x0, y0 + 1, c)) * fx;
        const float v = upper + (lower - upper) * fy;
        out.at(x, y, c) =
            static_cast<std::uint8_t>(v <= 0.0f ? 0.0f : (v >= 255.0f ? 255.0f : v + 0.5f));
      }
    }
  }
  return out;
}

TEST(WarpTest, EveryPathGivesThePerPixelSamples) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> scale(0.3, 2.5);
  std::uniform_real_distribution<double> shift(-12.0, 12.0);
  std::uniform_real_distribution<double> angle(-0.6, 0.6);
  int cases = 0;
  for (int channels : {1, 3, 4}) {
    const Image input = testing::random_image(23, 17, channels, 5 + channels);
    for (BorderMode border : {BorderMode::kConstant, BorderMode::kReplicate}) {
      WarpOptions options;
      options.border = border;
      options.border_value = {7, 100, 200, 255};
      for (int i = 0; i < 12; ++i) {
        // Axis-aligned (quality's box-to-square warp, the detector's letterbox) and rotated
        // (alignment), each reaching past the input's edges so that border taps occur.
        const AffineTransform t =
            i % 2 == 0
                ? AffineTransform(scale(rng), 0.0, shift(rng), 0.0, scale(rng), shift(rng))
                : AffineTransform::similarity(scale(rng), angle(rng), shift(rng), shift(rng));
        const Image got = warp_affine(input, t, 29, 21, options);
        const Image want = warp_per_pixel(input, t, 29, 21, options);
        ASSERT_TRUE(testing::same_pixels(got, want))
            << "channels " << channels << ", case " << i << ", border "
            << (border == BorderMode::kReplicate ? "replicate" : "constant");
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 72);
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
