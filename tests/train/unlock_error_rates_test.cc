#include "train/unlock_error_rates.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "unlock/fusion.h"
#include "unlock/gallery.h"

namespace fu::train {
namespace {

struct Set {
  std::vector<std::vector<float>> embeddings;
  std::vector<int> labels;
};

// `photos[i]` noisy, unnormalised views of identity i's random direction: with noise 1 in 16
// dimensions, same-identity scores spread around 0.5 and different ones around 0, so thresholds
// from 0.1 to 0.7 all see both errors.
Set synthetic_set(const std::vector<int>& photos, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Set set;
  for (std::size_t id = 0; id < photos.size(); ++id) {
    std::vector<float> centre(16);
    for (float& v : centre) v = normal(rng);
    for (int k = 0; k < photos[id]; ++k) {
      std::vector<float> e(16);
      for (std::size_t i = 0; i < e.size(); ++i) e[i] = 3.0f * (centre[i] + normal(rng));
      set.embeddings.push_back(e);
      set.labels.push_back(static_cast<int>(id) * 7);  // labels need not be 0..K-1
    }
  }
  return set;
}

// Every `size`-subset of {0..n-1}, lexicographically.
void for_each_subset(int n, int size, const std::function<void(const std::vector<int>&)>& visit) {
  std::vector<int> pick(size);
  for (int i = 0; i < size; ++i) pick[i] = i;
  while (true) {
    visit(pick);
    int i = size - 1;
    while (i >= 0 && pick[i] == n - size + i) --i;
    if (i < 0) return;
    ++pick[i];
    for (int j = i + 1; j < size; ++j) pick[j] = pick[j - 1] + 1;
  }
}

// The fused decision of a sequence of frames through the shipped unlock::DecisionFusion.
bool fused_accept(const std::vector<bool>& frames, int required, int window) {
  unlock::DecisionFusion fusion(required, window);
  for (const bool accepted : frames) fusion.add({"u", accepted ? 0.9f : 0.1f, accepted});
  return fusion.fused().accepted;
}

TEST(FractionOfWindowsAccepted, MatchesEverySequenceThroughDecisionFusion) {
  for (const auto& [required, window] : std::vector<std::pair<int, int>>{{3, 5}, {1, 3}, {2, 2}}) {
    for (int n = window; n <= 8; ++n) {
      for (int accepted = 0; accepted <= n; ++accepted) {
        int total = 0, fused = 0;
        // The first `accepted` photos accept.
        for_each_subset(n, window, [&](const std::vector<int>& pick) {
          std::vector<bool> frames;
          for (const int i : pick) frames.push_back(i < accepted);
          ++total;
          fused += fused_accept(frames, required, window) ? 1 : 0;
        });
        EXPECT_NEAR(fraction_of_windows_accepted(n, accepted, window, required),
                    static_cast<double>(fused) / total, 1e-12)
            << n << " photos, " << accepted << " accept, " << required << " of " << window;
        EXPECT_NEAR(fraction_of_windows_with(n, accepted, window, 0, required - 1),
                    static_cast<double>(total - fused) / total, 1e-12);
        if (fused == total) {
          EXPECT_EQ(fraction_of_windows_with(n, accepted, window, 0, required - 1), 0.0);
        }
      }
    }
  }
  EXPECT_EQ(fraction_of_windows_accepted(4, 4, 5, 3), 0.0);  // no full window
}

TEST(RateUpperBound, IsWhereSeeingSoFewErrorsBecomesUnlikely) {
  // No errors: (1 - p)^n = alpha exactly.
  for (const std::uint64_t n : {1ull, 20ull, 78000ull, 68000000ull}) {
    EXPECT_NEAR(rate_upper_bound({0, n}), 1.0 - std::pow(0.05, 1.0 / n), 1e-9 / n + 1e-15) << n;
  }
  EXPECT_EQ(rate_upper_bound({5, 5}), 1.0);
  EXPECT_EQ(rate_upper_bound({0, 0}), 1.0);
  // 3 of 20: the binomial CDF at the bound, summed directly with binomial coefficients.
  const double p = rate_upper_bound({3, 20});
  auto cdf = [](double q) {
    const double choose[] = {1, 20, 190, 1140};
    double sum = 0.0;
    for (int i = 0; i <= 3; ++i) sum += choose[i] * std::pow(q, i) * std::pow(1 - q, 20 - i);
    return sum;
  };
  EXPECT_NEAR(cdf(p), 0.05, 1e-9);
  EXPECT_GT(p, 3.0 / 20);
  EXPECT_THROW(rate_upper_bound({1, 10}, 0.0), Error);
}

TEST(AllPairsRates, CountsWhatAOneTemplateGalleryDecides) {
  const Set set = synthetic_set({4, 3, 5, 1, 2, 4}, 11);
  const std::vector<float> thresholds = {0.1f, 0.4f, 0.7f};
  std::vector<PairRates> expected(thresholds.size());
  for (std::size_t i = 0; i < set.embeddings.size(); ++i) {
    unlock::Gallery gallery;
    gallery.enroll("a", set.embeddings[i]);
    for (std::size_t j = i + 1; j < set.embeddings.size(); ++j) {
      const bool same = set.labels[i] == set.labels[j];
      for (std::size_t l = 0; l < thresholds.size(); ++l) {
        const bool accepted = gallery.verify("a", set.embeddings[j], thresholds[l]).accepted;
        ErrorCount& c = same ? expected[l].false_rejects : expected[l].false_accepts;
        ++c.trials;
        c.errors += same != accepted;
      }
    }
  }
  for (const int threads : {1, 2, 3}) {
    const std::vector<PairRates> got =
        all_pairs_rates(set.embeddings, set.labels, thresholds, threads);
    ASSERT_EQ(got.size(), thresholds.size());
    for (std::size_t l = 0; l < thresholds.size(); ++l) {
      EXPECT_EQ(got[l].threshold, thresholds[l]);
      EXPECT_EQ(got[l].false_accepts.errors, expected[l].false_accepts.errors) << l;
      EXPECT_EQ(got[l].false_accepts.trials, expected[l].false_accepts.trials) << l;
      EXPECT_EQ(got[l].false_rejects.errors, expected[l].false_rejects.errors) << l;
      EXPECT_EQ(got[l].false_rejects.trials, expected[l].false_rejects.trials) << l;
    }
  }
  // The test would pass vacuously if every pair were decided right or wrong.
  EXPECT_GT(expected[0].false_accepts.errors, 0u);
  EXPECT_GT(expected[2].false_rejects.errors, 0u);
  EXPECT_LT(expected[2].false_accepts.errors, expected[0].false_accepts.errors);
}

TEST(EnrolledRates, MatchesEnrollingAndProbingEverySequence) {
  // Identities with 6, 5, 7 photos can be users (2 templates + 3 frames); 3 and 4 photos only
  // make impostor sequences; 1 and 2 photos only single impostor frames.
  const Set set = synthetic_set({6, 3, 5, 1, 7, 2, 4}, 5);
  EnrollmentProtocol protocol;
  protocol.templates = 2;
  protocol.required = 2;
  protocol.window = 3;
  const std::vector<float> thresholds = {0.2f, 0.5f};

  std::map<int, std::vector<std::size_t>> photos;
  for (std::size_t i = 0; i < set.labels.size(); ++i) photos[set.labels[i]].push_back(i);
  struct Expected {
    ErrorCount frame_fa, frame_fr;
    double fused_accepts = 0.0, fused_rejects = 0.0;
  };
  std::vector<Expected> expected(thresholds.size());
  int users = 0, impostor_attempts = 0;
  for (const auto& [user, own] : photos) {
    if (own.size() < 5) continue;
    ++users;
    unlock::Gallery gallery;
    gallery.enroll("u", set.embeddings[own[0]]);
    gallery.enroll("u", set.embeddings[own[1]]);
    for (const auto& [label, list] : photos) {
      const std::size_t first = label == user ? 2 : 0;
      const int n = static_cast<int>(list.size() - first);
      for (std::size_t l = 0; l < thresholds.size(); ++l) {
        std::vector<bool> accepts;
        for (std::size_t k = first; k < list.size(); ++k) {
          accepts.push_back(gallery.verify("u", set.embeddings[list[k]], thresholds[l]).accepted);
          ErrorCount& c = label == user ? expected[l].frame_fr : expected[l].frame_fa;
          ++c.trials;
          c.errors += (label == user) != accepts.back();
        }
        if (n < 3) continue;
        int total = 0, fused = 0;
        for_each_subset(n, 3, [&](const std::vector<int>& pick) {
          std::vector<bool> frames;
          for (const int i : pick) frames.push_back(accepts[i]);
          ++total;
          fused += fused_accept(frames, 2, 3) ? 1 : 0;
        });
        const double accepted = static_cast<double>(fused) / total;
        if (label == user) {
          expected[l].fused_rejects += 1.0 - accepted;
        } else {
          expected[l].fused_accepts += accepted;
          if (l == 0) ++impostor_attempts;
        }
      }
    }
  }
  ASSERT_EQ(users, 3);
  for (const int threads : {1, 2}) {
    const EnrolledReport report =
        enrolled_rates(set.embeddings, set.labels, thresholds, protocol, threads);
    EXPECT_EQ(report.users, 3u);
    EXPECT_EQ(report.genuine_attempts, 3u);
    EXPECT_EQ(report.impostor_attempts, static_cast<std::uint64_t>(impostor_attempts));
    ASSERT_EQ(report.levels.size(), thresholds.size());
    for (std::size_t l = 0; l < thresholds.size(); ++l) {
      const EnrolledRates& r = report.levels[l];
      EXPECT_EQ(r.frame_false_accepts.errors, expected[l].frame_fa.errors);
      EXPECT_EQ(r.frame_false_accepts.trials, expected[l].frame_fa.trials);
      EXPECT_EQ(r.frame_false_rejects.errors, expected[l].frame_fr.errors);
      EXPECT_EQ(r.frame_false_rejects.trials, expected[l].frame_fr.trials);
      EXPECT_NEAR(r.fused_far, expected[l].fused_accepts / impostor_attempts, 1e-12);
      EXPECT_NEAR(r.fused_frr, expected[l].fused_rejects / users, 1e-12);
    }
  }
  EXPECT_GT(expected[0].frame_fa.errors, 0u);
  EXPECT_GT(expected[1].frame_fr.errors, 0u);
  EXPECT_GT(expected[0].fused_accepts, 0.0);
}

TEST(EnrolledRates, RefusesWhatItCannotMeasure) {
  const Set set = synthetic_set({4, 4}, 3);
  const std::vector<float> t = {0.5f};
  try {
    enrolled_rates(set.embeddings, set.labels, t);  // 5 + 5 photos needed
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("none has the 10 photos"), std::string::npos) << e.what();
  }
  EnrollmentProtocol bad;
  bad.required = 6;
  EXPECT_THROW(enrolled_rates(set.embeddings, set.labels, t, bad), Error);
  bad = {};
  bad.templates = 0;
  EXPECT_THROW(enrolled_rates(set.embeddings, set.labels, t, bad), Error);
  std::vector<int> short_labels(set.labels.begin(), set.labels.end() - 1);
  EXPECT_THROW(all_pairs_rates(set.embeddings, short_labels, t), Error);
  EXPECT_THROW(all_pairs_rates(set.embeddings, set.labels, {NAN}), Error);
  std::vector<std::vector<float>> ragged = set.embeddings;
  ragged[3].pop_back();
  EXPECT_THROW(all_pairs_rates(ragged, set.labels, t), Error);
}

}  // namespace
}  // namespace fu::train
