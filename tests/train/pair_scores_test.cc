#include "train/pair_scores.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "base/error.h"

namespace fu::train {
namespace {

struct Set {
  std::vector<float> data;
  std::vector<int> labels;
  std::size_t dimension;
  LabeledEmbeddings view() const { return {data.data(), labels.size(), dimension, &labels}; }
};

// `identities` random directions, each seen `per_identity` times with noise, like embeddings of
// several photos per person.
Set synthetic_set(std::size_t identities, std::size_t per_identity, std::size_t dimension,
                  unsigned seed, float noise = 0.5f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Set set{{}, {}, dimension};
  for (std::size_t id = 0; id < identities; ++id) {
    std::vector<float> centre(dimension);
    for (float& v : centre) v = normal(rng);
    for (std::size_t k = 0; k < per_identity; ++k) {
      double sum = 0;
      std::vector<float> e(dimension);
      for (std::size_t i = 0; i < dimension; ++i) {
        e[i] = centre[i] + noise * normal(rng);
        sum += e[i] * e[i];
      }
      for (float v : e) set.data.push_back(static_cast<float>(v / std::sqrt(sum)));
      set.labels.push_back(static_cast<int>(id));
    }
  }
  return set;
}

double reference_dot(const Set& s, std::size_t i, std::size_t j) {
  double sum = 0;
  for (std::size_t k = 0; k < s.dimension; ++k) {
    sum += static_cast<double>(s.data[i * s.dimension + k]) * s.data[j * s.dimension + k];
  }
  return sum;
}

TEST(ScoreHistogram, BinsAreExactAtTheirEdges) {
  for (int b : {0, 1, 12345, ScoreHistogram::kBins / 2, ScoreHistogram::kBins - 1}) {
    const float edge = ScoreHistogram::lower_edge(b);
    EXPECT_EQ(ScoreHistogram::bin_of(edge), b);
    EXPECT_EQ(ScoreHistogram::bin_of(std::nextafter(edge, 2.0f)), b);
    if (b > 0) {
      EXPECT_EQ(ScoreHistogram::bin_of(std::nextafter(edge, -2.0f)), b - 1);
    }
  }
  EXPECT_EQ(ScoreHistogram::bin_of(1.0f), ScoreHistogram::kBins - 1);
  EXPECT_EQ(ScoreHistogram::bin_of(1.0001f), ScoreHistogram::kBins - 1);
  EXPECT_EQ(ScoreHistogram::bin_of(-1.5f), 0);
  EXPECT_EQ(ScoreHistogram::bin_of(std::nanf("")), 0);
  EXPECT_FLOAT_EQ(ScoreHistogram::lower_edge(ScoreHistogram::kBins / 2), 0.0f);
  EXPECT_FLOAT_EQ(ScoreHistogram::lower_edge(0), -1.0f);
}

TEST(PairScores, EveryPairOnceWithTheRightScoreAndLabel) {
  // 37 rows (no whole tile) and 629 rows (two column blocks of 512, a partial tile).
  for (std::size_t per : {1u, 37u}) {
    const Set s = synthetic_set(per == 1 ? 37 : 17, per == 1 ? 1 : 37, 20, 3);
    const std::size_t n = s.labels.size();
    const std::vector<ScoredPair> pairs = score_all_pairs(s.view());
    ASSERT_EQ(pairs.size(), n * (n - 1) / 2);
    std::size_t at = 0, same = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j, ++at) {
        EXPECT_NEAR(pairs[at].score, reference_dot(s, i, j), 1e-5) << i << "," << j;
        EXPECT_EQ(pairs[at].same, s.labels[i] == s.labels[j]);
        same += pairs[at].same;
      }
    }
    EXPECT_EQ(same, per == 1 ? 0u : 17u * 37 * 36 / 2);
  }
}

TEST(PairScores, HistogramAgreesWithTheExactScores) {
  const Set s = synthetic_set(120, 5, 64, 4);
  const std::vector<ScoredPair> exact = score_all_pairs(s.view());
  for (int threads : {1, 3}) {
    const ScoreHistogram h = score_all_pairs_histogram(s.view(), threads);
    ScoreHistogram expected;
    for (const ScoredPair& p : exact) expected.add(p.score, p.same);
    EXPECT_EQ(h.same(), expected.same()) << threads;
    EXPECT_EQ(h.different(), expected.different()) << threads;
  }
  const ScoreHistogram h = score_all_pairs_histogram(s.view());
  EXPECT_EQ(h.same_pairs(), 120u * 10);
  EXPECT_EQ(h.different_pairs(), 600u * 599 / 2 - 1200);

  // At every bin edge the histogram's ROC is the exact ROC at that threshold.
  const RocCurve exact_roc = roc_curve(exact);
  const RocCurve hist_roc = h.roc();
  std::vector<float> same_scores, different_scores;
  for (const ScoredPair& e : exact) (e.same ? same_scores : different_scores).push_back(e.score);
  std::sort(same_scores.begin(), same_scores.end());
  std::sort(different_scores.begin(), different_scores.end());
  auto at_or_above = [](const std::vector<float>& sorted, float threshold) {
    return static_cast<std::uint64_t>(sorted.end() -
                                      std::lower_bound(sorted.begin(), sorted.end(), threshold));
  };
  for (const RocPoint& p : hist_roc.points) {
    ASSERT_EQ(p.true_accepts, at_or_above(same_scores, p.threshold)) << p.threshold;
    ASSERT_EQ(p.false_accepts, at_or_above(different_scores, p.threshold)) << p.threshold;
  }
  // TAR at FAR: never above the exact value and within one bin's worth of same pairs below it.
  for (double far : {1e-2, 1e-3, 1e-4}) {
    const TarAtFar e = tar_at_far(exact_roc, far);
    const TarAtFar a = tar_at_far(hist_roc, far);
    ASSERT_TRUE(e.measurable && a.measurable);
    EXPECT_LE(a.tar, e.tar);
    const std::uint64_t bin_same = h.same()[ScoreHistogram::bin_of(e.threshold)];
    EXPECT_GE(a.tar + static_cast<double>(bin_same) / hist_roc.same_pairs, e.tar) << far;
    EXPECT_LE(a.far, far);
  }
}

TEST(PairScores, RejectsMismatchedLabels) {
  const Set s = synthetic_set(3, 2, 8, 5);
  std::vector<int> short_labels = {0, 1};
  EXPECT_THROW(score_all_pairs({s.data.data(), 6, 8, &short_labels}), Error);
  EXPECT_THROW(score_all_pairs_histogram({s.data.data(), 6, 8, nullptr}), Error);
  std::vector<int> none;
  EXPECT_EQ(score_all_pairs_histogram({nullptr, 0, 8, &none}).different_pairs(), 0u);
}

TEST(PairScores, ThroughputReport) {
  // A quarter of LFW's size (13,233 images, 87.6 million pairs) keeps the test quick; the
  // printed rate tells the full size's time.
  const Set s = synthetic_set(1100, 3, 128, 6);
  const auto start = std::chrono::steady_clock::now();
  const ScoreHistogram h = score_all_pairs_histogram(s.view());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double pairs = static_cast<double>(h.same_pairs() + h.different_pairs());
  EXPECT_EQ(pairs, 3300.0 * 3299 / 2);
  std::printf(
      "[   INFO   ] %.1f million 128-d pairs in %.2f s: %.0f million pairs/s, LFW's "
      "87.6 million would take %.1f s\n",
      pairs / 1e6, seconds, pairs / seconds / 1e6, 87.6e6 / (pairs / seconds));
}

}  // namespace
}  // namespace fu::train
