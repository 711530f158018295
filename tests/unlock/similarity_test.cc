#include "unlock/similarity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "base/error.h"

namespace fu::unlock {
namespace {

TEST(Similarity, NormalisedVectorHasUnitLengthAndSameDirection) {
  const std::vector<float> v = l2_normalized(std::vector<float>{3.0f, 0.0f, 4.0f});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.0f);
  EXPECT_FLOAT_EQ(v[2], 0.8f);
  EXPECT_NEAR(cosine_similarity(v, v), 1.0f, 1e-6f);
}

TEST(Similarity, CosineOfKnownAngles) {
  const std::vector<float> x = {1.0f, 0.0f};
  const std::vector<float> y = {0.0f, 1.0f};
  const std::vector<float> d = l2_normalized(std::vector<float>{1.0f, 1.0f});
  EXPECT_FLOAT_EQ(cosine_similarity(x, y), 0.0f);
  EXPECT_FLOAT_EQ(cosine_similarity(x, std::vector<float>{-1.0f, 0.0f}), -1.0f);
  EXPECT_NEAR(cosine_similarity(x, d), std::sqrt(0.5f), 1e-6f);
}

TEST(Similarity, RejectsVectorsWithoutADirection) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(l2_normalized(std::vector<float>{}), Error);
  EXPECT_THROW(l2_normalized(std::vector<float>{0.0f, 0.0f}), Error);
  EXPECT_THROW(l2_normalized(std::vector<float>{1.0f, nan}), Error);
  EXPECT_THROW(l2_normalized(std::vector<float>{inf, 1.0f}), Error);
  try {
    l2_normalized(std::vector<float>{0.0f, 0.0f, 0.0f});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot normalise embedding (3 values): all values are zero, so it has no "
                 "direction");
  }
}

TEST(Similarity, HandlesExtremeMagnitudes) {
  // Squares of these overflow or underflow float; the double accumulator keeps the direction.
  const std::vector<float> big = l2_normalized(std::vector<float>{3e38f, 3e38f});
  EXPECT_NEAR(big[0], std::sqrt(0.5f), 1e-6f);
  const std::vector<float> tiny = l2_normalized(std::vector<float>{1e-40f, 0.0f});
  EXPECT_FLOAT_EQ(tiny[0], 1.0f);
}

TEST(Similarity, SizeMismatchIsAnError) {
  EXPECT_THROW(cosine_similarity({1.0f, 0.0f}, {1.0f, 0.0f, 0.0f}), Error);
}

}  // namespace
}  // namespace fu::unlock
