#include "train/threshold_calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"

namespace fu::train {
namespace {

// P(Poisson(mean) <= k) by the plain recurrence in long double, which holds exp(-2000) (about
// 1e-869) where double underflows: a different computation from the library's log-space sum.
long double poisson_cdf(long double mean, std::int64_t k) {
  long double term = std::exp(-mean);
  long double sum = term;
  for (std::int64_t i = 1; i <= k; ++i) {
    term *= mean / i;
    sum += term;
  }
  return sum;
}

// Rounding up to a multiple of 1e-6 adds less than 1e-6, and the float nearest that multiple
// lies at most half an ulp (3e-8 below 1) from it.
constexpr double kMicroAndAnUlp = 1e-6 + 6e-8;

TEST(AllowedFalseAccepts, IsTheLargestCountWhoseCdfStaysWithinAlpha) {
  for (const double mean : {3.0, 3.5, 10.0, 47.3, 100.0, 2000.0}) {
    const std::int64_t k = allowed_false_accepts(mean, 0.05);
    ASSERT_GE(k, 0) << mean;
    EXPECT_LE(poisson_cdf(mean, k), 0.05L) << mean;
    EXPECT_GT(poisson_cdf(mean, k + 1), 0.05L) << mean;
  }
  // By hand: P(X <= 4 | 10) = 0.0293, P(X <= 5 | 10) = 0.0671.
  EXPECT_EQ(allowed_false_accepts(10.0, 0.05), 4);
  // exp(-3) = 0.0498 <= 0.05 < exp(-2.9) = 0.0550: the smallest mean that allows anything.
  EXPECT_EQ(allowed_false_accepts(3.0, 0.05), 0);
  EXPECT_EQ(allowed_false_accepts(2.9, 0.05), -1);
  EXPECT_EQ(allowed_false_accepts(0.0, 0.05), -1);
}

TEST(AllowedFalseAccepts, RefusesMeaninglessArguments) {
  EXPECT_THROW(allowed_false_accepts(-1.0, 0.05), Error);
  EXPECT_THROW(allowed_false_accepts(NAN, 0.05), Error);
  EXPECT_THROW(allowed_false_accepts(10.0, 0.0), Error);
  EXPECT_THROW(allowed_false_accepts(10.0, 1.0), Error);
}

// A population whose different-identity scores are offset + scale i / n for i < n and whose
// same-identity scores sit near the top: the k highest different scores are known exactly.
struct Population {
  std::vector<ScoredPair> pairs;
  float different_score(std::size_t i) const { return pairs[i].score; }
};

Population uniform_population(std::size_t n, float offset, float scale = 1.0f) {
  Population p;
  for (std::size_t i = 0; i < n; ++i) {
    p.pairs.push_back({offset + scale * static_cast<float>(i) / static_cast<float>(n), false, 0});
  }
  for (int i = 0; i < 50; ++i) p.pairs.push_back({0.9f + 0.001f * i, true, 0});
  return p;
}

TEST(CalibrateLevels, TakesTheStrictestBoundPlusTheSpread) {
  // Scores 0.5 i / n: a's and b's bounds lie 0.0001 apart, well inside both populations' range,
  // so the chosen threshold still accepts some of each.
  const std::size_t n = 100000;
  const Population a = uniform_population(n, 0.0f, 0.5f);
  const Population b = uniform_population(n, 0.0001f, 0.5f);
  const double target = 1e-2;
  const std::int64_t k = allowed_false_accepts(target * n, 0.05);
  ASSERT_GT(k, 0);
  // Accepting score >= the (k+1)-th highest score lets exactly k + 1 through; the k-th highest,
  // exactly k: that is the lowest threshold within the bound.
  const float t_a = a.different_score(n - k);
  const float t_b = b.different_score(n - k);

  const std::vector<LevelThreshold> levels =
      calibrate_levels({{"a", roc_curve(a.pairs)}, {"b", roc_curve(b.pairs)}}, {target});
  ASSERT_EQ(levels.size(), 1u);
  const LevelThreshold& level = levels[0];
  ASSERT_TRUE(level.calibrated);
  EXPECT_EQ(level.populations_used, 2);
  ASSERT_EQ(level.populations.size(), 2u);
  EXPECT_EQ(level.populations[0].threshold, t_a);
  EXPECT_EQ(level.populations[1].threshold, t_b);
  EXPECT_EQ(level.populations[0].allowed_false_accepts, k);
  EXPECT_DOUBLE_EQ(level.populations[0].far, static_cast<double>(k) / n);
  // The point estimate admits target * n = 1000 false accepts: looser than the bound.
  EXPECT_LT(level.populations[0].point_threshold, t_a);
  EXPECT_EQ(level.strictest, t_b);
  EXPECT_FLOAT_EQ(level.spread, t_b - t_a);
  const double wanted = static_cast<double>(t_b) + (t_b - t_a);
  EXPECT_GE(level.threshold, static_cast<float>(wanted));
  EXPECT_LT(level.threshold, wanted + kMicroAndAnUlp);
  // Written with 6 decimals it reads back as itself.
  EXPECT_NEAR(level.threshold * 1e6, std::round(level.threshold * 1e6), 0.05);
  // On both populations the chosen threshold keeps the rate.
  ASSERT_EQ(level.checks.size(), 2u);
  for (const PopulationCheck& c : level.checks) EXPECT_LE(c.far, target) << c.population;
  // The check counts every score at or above the highest score <= threshold (an upper bound).
  float at_or_below = -1.0f;
  for (std::size_t i = 0; i < n; ++i) {
    if (a.different_score(i) <= level.threshold) at_or_below = a.different_score(i);
  }
  std::uint64_t expected_a = 0;
  for (std::size_t i = 0; i < n; ++i) expected_a += a.different_score(i) >= at_or_below;
  EXPECT_EQ(level.checks[0].false_accepts, expected_a);
  EXPECT_GT(expected_a, 0u);
  EXPECT_LT(expected_a, static_cast<std::uint64_t>(k));
}

TEST(CalibrateLevels, OnePopulationHasNoSpreadAndWithoutTheRuleNoMargin) {
  const std::size_t n = 100000;
  const Population a = uniform_population(n, 0.0f);
  const Population b = uniform_population(n, 0.02f);
  const std::int64_t k = allowed_false_accepts(1e-3 * n, 0.05);
  const auto single = calibrate_levels({{"a", roc_curve(a.pairs)}}, {1e-3});
  EXPECT_EQ(single[0].spread, 0.0f);
  EXPECT_GE(single[0].threshold, a.different_score(n - k));
  EXPECT_LT(single[0].threshold, a.different_score(n - k) + kMicroAndAnUlp);

  MarginRule no_spread;
  no_spread.add_spread = false;
  const auto both =
      calibrate_levels({{"a", roc_curve(a.pairs)}, {"b", roc_curve(b.pairs)}}, {1e-3}, no_spread);
  EXPECT_GE(both[0].threshold, b.different_score(n - k));
  EXPECT_LT(both[0].threshold, b.different_score(n - k) + kMicroAndAnUlp);
}

TEST(CalibrateLevels, LeavesOutPopulationsTooSmallForATarget) {
  const Population big = uniform_population(1000000, 0.0f);
  const Population small = uniform_population(1000, 0.1f);  // 2e-5 * 1000 = 0.02 expected
  const auto levels = calibrate_levels(
      {{"big", roc_curve(big.pairs)}, {"small", roc_curve(small.pairs)}}, {1e-2, 2e-5});
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].populations_used, 2);
  EXPECT_EQ(levels[1].populations_used, 1);
  EXPECT_FALSE(levels[1].populations[1].measurable);
  EXPECT_EQ(levels[1].spread, 0.0f);
  EXPECT_GE(levels[1].threshold, levels[0].threshold);

  const auto none = calibrate_levels({{"small", roc_curve(small.pairs)}}, {2e-5});
  EXPECT_FALSE(none[0].calibrated);
}

TEST(CalibrateLevels, AStricterLevelNeverSitsBelowALooserOne) {
  // b's top 2% of scores bunch in [0.999, 0.9995): its 1e-2 threshold (about 0.99926) lies far
  // above a's (about 0.9905) and its 1e-3 one (about 0.99948) near a's (about 0.99916), so the
  // 1e-2 spread is large, the 1e-3 spread small, and strictest + spread would fall.
  Population a = uniform_population(100000, 0.0f);
  Population b;
  for (int i = 0; i < 100000; ++i) {
    b.pairs.push_back({i < 98000 ? 0.0f : 0.999f + 0.0005f * (i - 98000) / 2000.0f, false, 0});
  }
  b.pairs.push_back({1.0f, true, 0});
  const auto levels =
      calibrate_levels({{"a", roc_curve(a.pairs)}, {"b", roc_curve(b.pairs)}}, {1e-2, 1e-3});
  ASSERT_TRUE(levels[0].calibrated && levels[1].calibrated);
  ASSERT_LT(levels[1].strictest + levels[1].spread, levels[0].threshold) << "not the case tested";
  EXPECT_EQ(levels[1].threshold, levels[0].threshold);
}

TEST(CalibrateLevels, RefusesWhatCannotBeCalibrated) {
  const Population a = uniform_population(1000, 0.0f);
  const RocCurve roc = roc_curve(a.pairs);
  EXPECT_THROW(calibrate_levels({}, {1e-3}), Error);
  EXPECT_THROW(calibrate_levels({{"a", roc}}, {1e-4, 1e-3}), Error);
  EXPECT_THROW(calibrate_levels({{"a", roc}}, {0.0}), Error);
  std::vector<ScoredPair> only_different(a.pairs.begin(), a.pairs.begin() + 1000);
  try {
    calibrate_levels({{"lonely", roc_curve(only_different)}}, {1e-3});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("population lonely"), std::string::npos) << e.what();
  }
}

TEST(PointAtOrBelow, BoundsTheRateFromAbove) {
  std::vector<ScoredPair> pairs = {
      {0.1f, false, 0}, {0.2f, false, 0}, {0.3f, false, 0}, {0.4f, true, 0}};
  const RocCurve roc = roc_curve(pairs);
  EXPECT_EQ(point_at_or_below(roc, 0.25f).false_accepts, 2u);  // the point at 0.2
  EXPECT_EQ(point_at_or_below(roc, 0.2f).false_accepts, 2u);
  EXPECT_EQ(point_at_or_below(roc, 0.35f).false_accepts, 1u);
  EXPECT_EQ(point_at_or_below(roc, 0.5f).false_accepts, 0u);
  EXPECT_EQ(point_at_or_below(roc, -1.0f).false_accepts, 3u);
}

}  // namespace
}  // namespace fu::train
