#include "train/pair_sampler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <vector>

#include "base/error.h"

namespace fu::train {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// `sizes[k]` samples of identity k, interleaved (0, 1, 2, 0, 1, 2, ...) so that grouping by
// identity is not the sample order.
std::vector<int> interleaved(const std::vector<int>& sizes) {
  std::vector<int> ids;
  std::vector<int> left = sizes;
  for (bool any = true; any;) {
    any = false;
    for (std::size_t k = 0; k < left.size(); ++k) {
      if (left[k] > 0) {
        ids.push_back(static_cast<int>(k));
        --left[k];
        any = true;
      }
    }
  }
  return ids;
}

bool same_pairs(const std::vector<SamplePair>& a, const std::vector<SamplePair>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].a != b[i].a || a[i].b != b[i].b || a[i].same != b[i].same || a[i].hard != b[i].hard)
      return false;
  }
  return true;
}

TEST(PairSamplerTest, SameSeedSameSequenceOtherSeedOtherSequence) {
  const std::vector<int> ids = interleaved({5, 3, 8, 1, 2});
  PairSamplerOptions o;
  o.seed = 123;
  PairSampler a(ids, o);
  EXPECT_EQ(a.identity_count(), 5u);
  EXPECT_EQ(a.sample_count(), 19u);
  // Ids with gaps are fine: only identities with samples count.
  EXPECT_EQ(PairSampler({0, 0, 7, 7}, o).identity_count(), 2u);
  PairSampler b(ids, o);
  const std::vector<SamplePair> first = a.next_batch(1000);
  EXPECT_TRUE(same_pairs(first, b.next_batch(1000)));
  o.seed = 124;
  PairSampler c(ids, o);
  EXPECT_FALSE(same_pairs(first, c.next_batch(1000)));
}

// Pinned: the draws are specified (train/random.h), so this sequence is what every platform
// gives for seed 42; a change here changes every seeded training run. The expected text was
// computed outside C++, by a Python transcription of mt19937_64 and of the draws the header
// describes.
constexpr const char* kPinned = "2/1 1=0 1=0 0=1 0=1 0/4 2/0 4=3 ";

TEST(PairSamplerTest, SequenceIsPinned) {
  PairSamplerOptions o;
  o.seed = 42;
  PairSampler s({0, 0, 1, 1, 1, 2}, o);
  std::string got;
  for (const SamplePair& p : s.next_batch(8)) {
    got += std::to_string(p.a) + (p.same ? "=" : "/") + std::to_string(p.b) + " ";
  }
  EXPECT_EQ(got, kPinned);
}

TEST(PairSamplerTest, PairsAreWhatTheySayAndBalanced) {
  const std::vector<int> ids = interleaved({5, 3, 8, 1, 2, 1, 6});
  for (double fraction : {0.5, 0.3, 0.9}) {
    PairSamplerOptions o;
    o.seed = 9;
    o.same_fraction = fraction;
    PairSampler s(ids, o);
    const int n = 20000;
    int same = 0;
    for (const SamplePair& p : s.next_batch(n)) {
      ASSERT_NE(p.a, p.b);
      ASSERT_GE(p.a, 0);
      ASSERT_LT(p.a, static_cast<int>(ids.size()));
      ASSERT_GE(p.b, 0);
      ASSERT_LT(p.b, static_cast<int>(ids.size()));
      ASSERT_EQ(p.same, ids[p.a] == ids[p.b]);
      ASSERT_EQ(p.label(), p.same ? 0 : 1);
      EXPECT_FALSE(p.hard);
      same += p.same;
    }
    // 3 standard deviations of a binomial with n = 20000 is at most 0.011.
    EXPECT_NEAR(static_cast<double>(same) / n, fraction, 0.011) << fraction;
    EXPECT_EQ(s.state().pairs, static_cast<std::uint64_t>(n));
    EXPECT_EQ(s.state().same_pairs, static_cast<std::uint64_t>(same));
  }
}

TEST(PairSamplerTest, DrawsAreUniformWhereTheySaySo) {
  // Identity 0 has 1 sample, 1 has 2, 2 has 7.
  const std::vector<int> ids = {2, 0, 1, 2, 2, 1, 2, 2, 2, 2};
  PairSamplerOptions o;
  o.seed = 5;
  PairSampler s(ids, o);
  std::vector<int> same_anchor(ids.size(), 0);
  std::map<int, int> partner_of_lonely;  // partners of sample 1 (identity 0) in different pairs
  int lonely_anchor = 0;
  const int n = 90000;
  for (const SamplePair& p : s.next_batch(n)) {
    if (p.same) {
      ++same_anchor[p.a];
    } else if (p.a == 1) {
      ++partner_of_lonely[p.b];
      ++lonely_anchor;
    }
  }
  // The lonely sample never takes part in a same pair; every other sample anchors equally often.
  EXPECT_EQ(same_anchor[1], 0);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 1) {
      EXPECT_NEAR(same_anchor[i], n / 2 / 9, 300) << i;
    }
  }
  // Different pairs: anchors uniform over all 10 samples, partners uniform over the other 9.
  EXPECT_NEAR(lonely_anchor, n / 2 / 10, 300);
  EXPECT_EQ(partner_of_lonely.count(1), 0u);
  for (const auto& [partner, count] : partner_of_lonely) {
    EXPECT_NEAR(count, lonely_anchor / 9.0, 130) << partner;
  }
  EXPECT_EQ(partner_of_lonely.size(), 9u);
}

TEST(PairSamplerTest, StateRestoresTheSequence) {
  const std::vector<int> ids = interleaved({4, 4, 4, 2});
  PairSamplerOptions o;
  o.seed = 77;
  PairSampler uninterrupted(ids, o);
  uninterrupted.next_batch(500);
  const std::vector<SamplePair> expected = uninterrupted.next_batch(300);

  PairSampler before(ids, o);
  before.next_batch(500);
  const PairSamplerState saved = before.state();
  EXPECT_EQ(saved.pairs, 500u);
  // Resumed in a fresh sampler, even one seeded differently: the state decides.
  PairSamplerOptions other = o;
  other.seed = 1;
  PairSampler resumed(ids, other);
  resumed.restore(saved);
  EXPECT_TRUE(same_pairs(resumed.next_batch(300), expected));
  EXPECT_EQ(resumed.state().pairs, 800u);
  EXPECT_EQ(resumed.state().same_pairs, uninterrupted.state().same_pairs);

  PairSampler untouched(ids, o);
  PairSamplerState bad = saved;
  bad.rng = "not a state";
  EXPECT_NE(error_of([&] { untouched.restore(bad); }).find("cannot restore random state"),
            std::string::npos);
  PairSampler fresh(ids, o);
  EXPECT_TRUE(same_pairs(untouched.next_batch(50), fresh.next_batch(50)));
}

TEST(PairSamplerTest, RefusesImpossibleRequests) {
  PairSamplerOptions o;
  EXPECT_NE(error_of([&] {
              PairSampler({0, 1, 2}, o);
            }).find("cannot sample pairs (3 identities, 3 samples): no identity has two"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              PairSampler({4, 4, 4}, o);
            }).find("at least two identities"),
            std::string::npos);
  EXPECT_NE(error_of([&] { PairSampler({}, o); }).find("empty"), std::string::npos);
  EXPECT_NE(error_of([&] {
              PairSampler({0, -1}, o);
            }).find("negative identity -1"),
            std::string::npos);
  // What is impossible for one kind of pair is fine when only the other is asked for.
  o.same_fraction = 0.0;
  PairSampler only_different({0, 1, 2}, o);
  for (const SamplePair& p : only_different.next_batch(100)) EXPECT_FALSE(p.same);
  o.same_fraction = 1.0;
  PairSampler only_same({4, 4, 4}, o);
  for (const SamplePair& p : only_same.next_batch(100)) EXPECT_TRUE(p.same);

  for (double bad : {-0.1, 1.5, std::nan("")}) {
    PairSamplerOptions b;
    b.same_fraction = bad;
    EXPECT_NE(error_of([&] {
                PairSampler({0, 0, 1, 1}, b);
              }).find("must be in [0, 1]"),
              std::string::npos);
    b = PairSamplerOptions();
    b.hard_fraction = bad;
    EXPECT_NE(error_of([&] {
                PairSampler({0, 0, 1, 1}, b);
              }).find("hard fraction"),
              std::string::npos);
  }
  PairSamplerOptions k;
  k.hard_k = 0;
  EXPECT_NE(error_of([&] { PairSampler({0, 0, 1, 1}, k); }).find("hard k 0"), std::string::npos);
  k = PairSamplerOptions();
  k.hard_candidates = -1;
  EXPECT_NE(error_of([&] {
              PairSampler({0, 0, 1, 1}, k);
            }).find("hard candidates -1"),
            std::string::npos);

  PairSampler s({0, 0, 1, 1}, PairSamplerOptions());
  EXPECT_NE(error_of([&] {
              s.set_embeddings({{1, 0}, {0, 1}});
            }).find("expected one per sample"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              s.set_embeddings({{1, 0}, {0, 1}, {1}, {1, 1}});
            }).find("embedding 2 has 1 values"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              s.set_embeddings({{1, 0}, {0, 0}, {1, 1}, {1, 1}});
            }).find("embedding 1 has length 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              s.set_embeddings({{1, 0}, {0, 1}, {1, std::nanf("")}, {1, 1}});
            }).find("embedding 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              s.set_embeddings({{}, {}, {}, {}});
            }).find("embedding 0 is empty"),
            std::string::npos);
  EXPECT_FALSE(s.has_embeddings());
}

// Embeddings of `identities` people, `per` samples each, around random unit directions in
// `dimension` dimensions (identity-major).
std::vector<std::vector<float>> clustered(int identities, int per, int dimension, float noise,
                                          std::uint64_t seed, std::vector<int>* ids) {
  Rng rng(seed);
  auto gaussian = [&] {
    // Box-Muller on the portable uniforms: a test fixture, not part of any draw under test.
    const double u = 1.0 - uniform01(rng);
    const double v = uniform01(rng);
    return static_cast<float>(std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v));
  };
  std::vector<std::vector<float>> out;
  for (int k = 0; k < identities; ++k) {
    std::vector<float> centre(dimension);
    for (float& c : centre) c = gaussian();
    for (int j = 0; j < per; ++j) {
      std::vector<float> e(dimension);
      for (int d = 0; d < dimension; ++d) e[d] = centre[d] + noise * gaussian();
      out.push_back(e);
      ids->push_back(k);
    }
  }
  return out;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(PairSamplerTest, HardNegativesAreNearerThanRandomOnes) {
  std::vector<int> ids;
  const auto embeddings = clustered(60, 5, 16, 0.7f, 3, &ids);
  PairSamplerOptions o;
  o.seed = 4;
  o.same_fraction = 0.5;
  o.hard_fraction = 0.5;
  o.hard_k = 3;
  o.hard_candidates = 64;
  PairSampler s(ids, o);
  // Without embeddings, hard_fraction does nothing.
  for (const SamplePair& p : s.next_batch(200)) EXPECT_FALSE(p.hard);
  s.set_embeddings(embeddings);
  EXPECT_TRUE(s.has_embeddings());
  double hard_sum = 0, random_sum = 0;
  int hard = 0, random = 0, different = 0;
  for (const SamplePair& p : s.next_batch(6000)) {
    if (p.same) continue;
    ++different;
    ASSERT_NE(ids[p.a], ids[p.b]);
    const double c = cosine(embeddings[p.a], embeddings[p.b]);
    if (p.hard) {
      hard_sum += c;
      ++hard;
    } else {
      random_sum += c;
      ++random;
    }
  }
  EXPECT_NEAR(static_cast<double>(hard) / different, 0.5, 0.03);
  const double hard_mean = hard_sum / hard;
  const double random_mean = random_sum / random;
  std::printf("mean cosine of different pairs: mined %.3f, random %.3f\n", hard_mean, random_mean);
  // Random directions in 16-d have cosines around 0 (sd 0.25); the best 3 of 64 sit far above.
  EXPECT_GT(hard_mean, random_mean + 0.3);
  EXPECT_EQ(s.state().hard_pairs, static_cast<std::uint64_t>(hard));

  s.clear_embeddings();
  for (const SamplePair& p : s.next_batch(200)) EXPECT_FALSE(p.hard);
}

TEST(PairSamplerTest, ExhaustiveMiningWithKOnePicksTheNearestNegative) {
  std::vector<int> ids;
  const auto embeddings = clustered(12, 3, 8, 0.8f, 8, &ids);
  PairSamplerOptions o;
  o.same_fraction = 0.0;
  o.hard_fraction = 1.0;
  o.hard_k = 1;
  o.hard_candidates = 0;  // all
  PairSampler s(ids, o);
  s.set_embeddings(embeddings);
  for (const SamplePair& p : s.next_batch(200)) {
    ASSERT_TRUE(p.hard);
    int best = -1;
    double best_cos = -2;
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (ids[j] == ids[p.a]) continue;
      const double c = cosine(embeddings[p.a], embeddings[j]);
      if (c > best_cos) {
        best_cos = c;
        best = static_cast<int>(j);
      }
    }
    EXPECT_EQ(p.b, best) << "anchor " << p.a;
  }
}

// The cost the header states, measured: mining with 256 candidates among 10,000 samples of
// 128-d embeddings.
TEST(PairSamplerTest, MiningCostIsPerCandidateNotPerSample) {
  std::vector<int> ids;
  const auto embeddings = clustered(2000, 5, 128, 0.7f, 12, &ids);
  PairSamplerOptions o;
  o.same_fraction = 0.0;
  o.hard_fraction = 1.0;
  o.hard_candidates = 256;
  PairSampler s(ids, o);
  s.set_embeddings(embeddings);
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  s.next_batch(2000);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("2000 mined pairs (256 candidates, 128-d, 10000 samples): %.3f s\n", seconds);
  // Exhaustive mining would be 40x the work; 2 s is far above what 256 candidates take.
  EXPECT_LT(seconds, 2.0);
}

}  // namespace
}  // namespace fu::train
