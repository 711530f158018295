#include "train/random.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "base/error.h"

namespace fu::train {
namespace {

// The expected numbers were computed outside C++ (a Python transcription of the standard's
// mt19937_64 and of these functions' definitions): a library whose engine or whose arithmetic
// here differed would draw other pairs from the same seed.
TEST(RandomTest, DrawsArePinnedToTheEngine) {
  Rng rng;  // the default seed, 5489
  Rng copy = rng;
  EXPECT_EQ(copy(), 14514284786278117030ull);
  EXPECT_DOUBLE_EQ(uniform01(rng), 0.7868209548678019);
  EXPECT_DOUBLE_EQ(uniform01(rng), 0.2504803406880286);
  Rng again;
  std::vector<std::uint64_t> digits;
  for (int i = 0; i < 4; ++i) digits.push_back(uniform_below(again, 10));
  EXPECT_EQ(digits, (std::vector<std::uint64_t>{0, 8, 0, 2}));
  Rng seeded(42);
  EXPECT_EQ(uniform_below(seeded, 7), 6u);
  EXPECT_EQ(uniform_below(seeded, 7), 3u);
  EXPECT_EQ(uniform_below(seeded, 7), 5u);
}

TEST(RandomTest, StreamsArePinnedAndIndependent) {
  EXPECT_EQ(stream_rng(1, 0)(), 10276022874973721191ull);
  EXPECT_EQ(stream_rng(1, 1)(), 15680271392084457219ull);
  EXPECT_EQ(stream_rng(7, 123456789)(), 3329519923678380104ull);
  // Neighbouring streams and seeds give unrelated numbers: about half the bits differ.
  for (std::uint64_t s = 0; s < 50; ++s) {
    const std::uint64_t x = stream_rng(3, s)() ^ stream_rng(3, s + 1)();
    const std::uint64_t y = stream_rng(s, 3)() ^ stream_rng(s + 1, 3)();
    EXPECT_GT(__builtin_popcountll(x), 12) << s;
    EXPECT_GT(__builtin_popcountll(y), 12) << s;
  }
}

TEST(RandomTest, UniformBelowIsInRangeAndEven) {
  Rng rng(7);
  EXPECT_EQ(uniform_below(rng, 0), 0u);
  EXPECT_EQ(uniform_below(rng, 1), 0u);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[uniform_below(rng, 6)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
  // A range just above half of 2^64 rejects almost half the draws; the results still fit.
  const std::uint64_t big = (std::numeric_limits<std::uint64_t>::max() / 2) + 3;
  for (int i = 0; i < 100; ++i) EXPECT_LT(uniform_below(rng, big), big);
}

TEST(RandomTest, UnitIntervalAndChance) {
  Rng rng(3);
  double sum = 0.0;
  int hits = 0;
  for (int i = 0; i < 20000; ++i) {
    const double u = uniform01(rng);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    hits += chance(rng, 0.25);
  }
  EXPECT_NEAR(sum / 20000, 0.5, 0.01);
  EXPECT_NEAR(hits / 20000.0, 0.25, 0.01);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(chance(rng, 0.0));
    EXPECT_TRUE(chance(rng, 1.0));
    const double v = uniform_between(rng, -2.0, 3.0);
    EXPECT_GE(v, -2.0);
    EXPECT_LT(v, 3.0);
  }
}

TEST(RandomTest, StateTextRestoresTheSequence) {
  Rng rng(11);
  for (int i = 0; i < 1000; ++i) rng();
  const std::string text = rng_state_text(rng);
  std::vector<std::uint64_t> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(rng());
  Rng restored(999);
  restore_rng_state(restored, text);
  for (std::uint64_t e : expected) EXPECT_EQ(restored(), e);

  Rng untouched(5);
  const Rng before = untouched;
  for (const std::string& bad : {std::string(""), std::string("12 34"), std::string("hello"),
                                 text + " 17", text.substr(0, text.size() / 2)}) {
    EXPECT_THROW(restore_rng_state(untouched, bad), Error) << bad.substr(0, 20);
    EXPECT_TRUE(untouched == before);
  }
}

}  // namespace
}  // namespace fu::train
