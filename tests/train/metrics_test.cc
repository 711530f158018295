#include "train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"

namespace fu::train {
namespace {

std::vector<ScoredPair> pairs_of(const std::vector<float>& same, const std::vector<float>& diff,
                                 int fold = 0) {
  std::vector<ScoredPair> pairs;
  for (float s : same) pairs.push_back({s, true, fold});
  for (float s : diff) pairs.push_back({s, false, fold});
  return pairs;
}

TEST(Metrics, AccuracyAtThresholdAcceptsAtEquality) {
  const auto pairs = pairs_of({0.9f, 0.7f, 0.5f}, {0.6f, 0.3f, 0.1f});
  EXPECT_DOUBLE_EQ(accuracy_at_threshold(pairs, 0.65f), 5.0 / 6);
  EXPECT_DOUBLE_EQ(accuracy_at_threshold(pairs, 0.5f), 5.0 / 6);  // 0.5 accepted, 0.6 too
  EXPECT_DOUBLE_EQ(accuracy_at_threshold(pairs, 0.7f), 5.0 / 6);
  EXPECT_DOUBLE_EQ(accuracy_at_threshold(pairs, 2.0f), 0.5);
  EXPECT_DOUBLE_EQ(accuracy_at_threshold(pairs, -2.0f), 0.5);
  EXPECT_THROW(accuracy_at_threshold({}, 0.5f), Error);
}

TEST(Metrics, BestThresholdIsTheMiddleOfTheBestGap) {
  // Sorted: 0.9s 0.7s 0.6d 0.5s 0.3d 0.1d. Accepting down to 0.7 or down to 0.5 both give 5/6;
  // the higher one wins, placed midway between 0.7 and 0.6.
  const ThresholdChoice c =
      best_accuracy_threshold(pairs_of({0.9f, 0.7f, 0.5f}, {0.6f, 0.3f, 0.1f}));
  EXPECT_DOUBLE_EQ(c.accuracy, 5.0 / 6);
  EXPECT_FLOAT_EQ(c.threshold, 0.65f);

  const ThresholdChoice separable = best_accuracy_threshold(pairs_of({0.8f, 0.6f}, {0.2f, 0.4f}));
  EXPECT_DOUBLE_EQ(separable.accuracy, 1.0);
  EXPECT_FLOAT_EQ(separable.threshold, 0.5f);

  // Only different pairs: reject everything, just above the highest score.
  const ThresholdChoice none = best_accuracy_threshold(pairs_of({}, {0.2f, 0.4f}));
  EXPECT_DOUBLE_EQ(none.accuracy, 1.0);
  EXPECT_GT(none.threshold, 0.4f);
  EXPECT_LT(none.threshold, 0.40001f);
  // Only same pairs: accept everything.
  const ThresholdChoice all = best_accuracy_threshold(pairs_of({0.2f, 0.4f}, {}));
  EXPECT_FLOAT_EQ(all.threshold, 0.2f);
  EXPECT_DOUBLE_EQ(all.accuracy, 1.0);
}

TEST(Metrics, BestThresholdTreatsTiesAsOneGroup) {
  // A same and a different pair share 0.5: a threshold cannot split them.
  const ThresholdChoice c = best_accuracy_threshold(pairs_of({0.9f, 0.5f}, {0.5f, 0.1f}));
  EXPECT_DOUBLE_EQ(c.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(accuracy_at_threshold(pairs_of({0.9f, 0.5f}, {0.5f, 0.1f}), c.threshold), 0.75);
}

TEST(Metrics, KFoldOnSeparableDataIsPerfect) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> high(0.6f, 1.0f), low(-0.5f, 0.4f);
  std::vector<ScoredPair> pairs;
  for (int fold = 0; fold < 10; ++fold) {
    for (int i = 0; i < 300; ++i) {
      pairs.push_back({high(rng), true, fold});
      pairs.push_back({low(rng), false, fold});
    }
  }
  const KFoldAccuracy k = k_fold_accuracy(pairs);
  EXPECT_DOUBLE_EQ(k.mean, 1.0);
  EXPECT_DOUBLE_EQ(k.sample_std, 0.0);
  ASSERT_EQ(k.folds.size(), 10u);
  for (const FoldAccuracy& f : k.folds) {
    EXPECT_EQ(f.pairs, 600u);
    EXPECT_GT(f.threshold, 0.4f);
    EXPECT_LT(f.threshold, 0.6f);
  }
}

TEST(Metrics, KFoldMeanAndSampleStandardDeviation) {
  // Fold 0 is perfect; fold 1 has one pair on the wrong side of any sensible threshold.
  std::vector<ScoredPair> pairs = pairs_of({0.9f, 0.8f}, {0.1f, 0.2f}, 0);
  for (const ScoredPair& p : pairs_of({0.9f, 0.15f}, {0.1f, 0.2f}, 1)) pairs.push_back(p);
  const KFoldAccuracy k = k_fold_accuracy(pairs);
  ASSERT_EQ(k.folds.size(), 2u);
  // Fold 0 chosen on fold 1 (accept >= 0.55: 3/4) is perfect; fold 1 at fold 0's 0.5 is 3/4.
  EXPECT_FLOAT_EQ(k.folds[0].threshold, 0.55f);
  EXPECT_DOUBLE_EQ(k.folds[0].accuracy, 1.0);
  EXPECT_FLOAT_EQ(k.folds[1].threshold, 0.5f);
  EXPECT_DOUBLE_EQ(k.folds[1].accuracy, 0.75);
  EXPECT_DOUBLE_EQ(k.mean, 0.875);
  EXPECT_NEAR(k.sample_std, std::sqrt(2 * 0.125 * 0.125 / 1), 1e-12);
  EXPECT_NEAR(k.standard_error, k.sample_std / std::sqrt(2.0), 1e-12);
  EXPECT_THROW(k_fold_accuracy(pairs_of({0.9f}, {0.1f})), Error);
}

TEST(Metrics, RocCurveStepsOncePerDistinctScore) {
  const RocCurve roc = roc_curve(pairs_of({0.9f, 0.7f, 0.7f, 0.2f}, {0.7f, 0.5f, 0.1f, 0.0f}));
  EXPECT_EQ(roc.same_pairs, 4u);
  EXPECT_EQ(roc.different_pairs, 4u);
  // +inf, 0.9, 0.7 (two same and one different together), 0.5, 0.2, 0.1, 0.0
  ASSERT_EQ(roc.points.size(), 7u);
  EXPECT_TRUE(std::isinf(roc.points[0].threshold));
  EXPECT_EQ(roc.points[0].true_accepts, 0u);
  EXPECT_FLOAT_EQ(roc.points[2].threshold, 0.7f);
  EXPECT_EQ(roc.points[2].true_accepts, 3u);
  EXPECT_EQ(roc.points[2].false_accepts, 1u);
  EXPECT_DOUBLE_EQ(roc.points[2].tar, 0.75);
  EXPECT_DOUBLE_EQ(roc.points[2].far, 0.25);
  EXPECT_DOUBLE_EQ(roc.points.back().tar, 1.0);
  EXPECT_DOUBLE_EQ(roc.points.back().far, 1.0);
}

TEST(Metrics, TarAtFarKnownValues) {
  // 10 different pairs: FAR resolution 0.1.
  std::vector<float> diff;
  for (int i = 0; i < 10; ++i) diff.push_back(0.05f * i);  // 0 .. 0.45
  const RocCurve roc = roc_curve(pairs_of({0.95f, 0.8f, 0.44f, 0.42f, 0.3f}, diff));
  // FAR <= 0.1 allows the 0.45 pair: accept >= 0.42 gives 4/5 (0.40 would add a 2nd false accept).
  TarAtFar t = tar_at_far(roc, 0.1);
  EXPECT_TRUE(t.measurable);
  EXPECT_DOUBLE_EQ(t.tar, 0.8);
  EXPECT_DOUBLE_EQ(t.far, 0.1);
  EXPECT_FLOAT_EQ(t.threshold, 0.42f);
  EXPECT_FLOAT_EQ(threshold_at_far(roc, 0.1), 0.42f);
  // One false accept in 10 is the smallest FAR these pairs can show.
  t = tar_at_far(roc, 0.05);
  EXPECT_FALSE(t.measurable) << "0.05 is below 1/10";
  EXPECT_TRUE(std::isnan(t.tar));
  EXPECT_THROW(threshold_at_far(roc, 0.05), Error);
  t = tar_at_far(roc, 1.0);
  EXPECT_DOUBLE_EQ(t.tar, 1.0);
  EXPECT_THROW(tar_at_far(roc, 0.0), Error);
  EXPECT_THROW(tar_at_far(roc, 1.5), Error);
  EXPECT_THROW(tar_at_far(roc_curve(pairs_of({0.5f}, {})), 0.1), Error);
}

TEST(Metrics, TarAtFarWithTiesNeverSplitsAGroup) {
  // Three different pairs tie with two same pairs at 0.6: FAR 0.1 of 20 allows 2 false accepts,
  // but accepting 0.6 makes 3, so the 0.6 same pairs cannot be counted.
  std::vector<float> diff(17, 0.1f);
  diff.insert(diff.end(), {0.6f, 0.6f, 0.6f});
  const RocCurve roc = roc_curve(pairs_of({0.9f, 0.6f, 0.6f, 0.3f}, diff));
  const TarAtFar t = tar_at_far(roc, 0.1);
  EXPECT_DOUBLE_EQ(t.tar, 0.25);
  EXPECT_DOUBLE_EQ(t.far, 0.0);
  EXPECT_FLOAT_EQ(t.threshold, 0.9f);
  // FAR 0.15 allows 3: the tie group fits, and so does the 0.3 same pair below it.
  EXPECT_DOUBLE_EQ(tar_at_far(roc, 0.15).tar, 1.0);
  EXPECT_FLOAT_EQ(tar_at_far(roc, 0.15).threshold, 0.3f);
}

TEST(Metrics, TargetFarCountsWholePairs) {
  // 1e-3 of 1000 different pairs is exactly one false accept despite rounding of 1e-3.
  std::vector<float> diff(999, 0.0f);
  diff.push_back(0.5f);
  const RocCurve roc = roc_curve(pairs_of({0.7f, 0.4f}, diff));
  const TarAtFar t = tar_at_far(roc, 1e-3);
  EXPECT_TRUE(t.measurable);
  EXPECT_DOUBLE_EQ(t.far, 1e-3);
  EXPECT_DOUBLE_EQ(t.tar, 1.0);
  EXPECT_FLOAT_EQ(t.threshold, 0.4f);
}

TEST(Metrics, SvgIsSelfContainedAndHoldsEveryCurve) {
  std::mt19937 rng(2);
  std::normal_distribution<float> same(0.6f, 0.15f), diff(0.0f, 0.15f);
  std::vector<ScoredPair> a, b;
  for (int i = 0; i < 20000; ++i) {
    a.push_back({same(rng), true, 0});
    a.push_back({diff(rng), false, 0});
    b.push_back({same(rng) - 0.2f, true, 0});
    b.push_back({diff(rng), false, 0});
  }
  RocPlotOptions options;
  options.title = "test <ROC> & more";
  const std::string svg = roc_svg({{"model A", roc_curve(a)}, {"model B", roc_curve(b)}}, options);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("</svg>\n"), std::string::npos);
  EXPECT_EQ(svg.find("<svg", 1), std::string::npos);
  std::size_t curves = 0;
  for (std::size_t at = 0; (at = svg.find("class=\"roc-curve\" d=\"M", at)) != std::string::npos;
       ++at) {
    ++curves;
  }
  EXPECT_EQ(curves, 2u);
  EXPECT_NE(svg.find("test &lt;ROC&gt; &amp; more"), std::string::npos);
  EXPECT_NE(svg.find("model A"), std::string::npos);
  EXPECT_NE(svg.find("@ 1e-3"), std::string::npos);
  // 20000 different pairs cannot measure FAR 1e-5: the legend says so instead of a number.
  options.marked_fars = {1e-3, 1e-5};
  EXPECT_NE(roc_svg({{"model A", roc_curve(a)}}, options).find("FAR 1e-5 not measurable"),
            std::string::npos);
  // The 40000-point curves are reduced to what shows at this size.
  EXPECT_LT(svg.size(), 60000u);
  // Balanced tags: every element opened is closed or self-closed.
  std::size_t opens = 0, closes = 0, self_closed = 0;
  for (std::size_t i = 0; i + 1 < svg.size(); ++i) {
    if (svg[i] == '<' && svg[i + 1] != '/') ++opens;
    if (svg[i] == '<' && svg[i + 1] == '/') ++closes;
    if (svg[i] == '/' && svg[i + 1] == '>') ++self_closed;
  }
  EXPECT_EQ(opens, closes + self_closed);
}

}  // namespace
}  // namespace fu::train
