#include "train/contrastive_loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "train/distillation_loss.h"

namespace fu::train {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ContrastiveLoss, HandComputedValueAndCounts) {
  // dim 2: pair 0 same at D = 5 (3-4-5), pair 1 different at D = 1 < margin 1.5,
  // pair 2 different at D = 2 > margin.
  const std::vector<float> a = {3, 0, 0, 0, 1, 1};
  const std::vector<float> b = {0, 4, 1, 0, 1, -1};
  const std::vector<int> y = {0, 1, 1};
  std::vector<float> ga(6, kInf), gb(6, kInf);
  const ContrastiveLoss r =
      contrastive_loss(a.data(), b.data(), y.data(), 3, 2, 1.5f, ga.data(), gb.data());
  EXPECT_DOUBLE_EQ(r.value, (25.0 + 0.25 + 0.0) / 3);  // no factor 1/2, mean over pairs
  EXPECT_EQ(r.same_pairs, 1);
  EXPECT_EQ(r.different_pairs, 2);
  EXPECT_EQ(r.different_inside_margin, 1);
  EXPECT_DOUBLE_EQ(r.mean_same_distance, 5.0);
  EXPECT_DOUBLE_EQ(r.mean_different_distance, 1.5);
  // Same pair: 2/3 * (a - b); different inside: -2/3 * 0.5 * (a - b) / 1; outside: 0.
  EXPECT_FLOAT_EQ(ga[0], 2.0f / 3 * 3);
  EXPECT_FLOAT_EQ(ga[1], 2.0f / 3 * -4);
  EXPECT_FLOAT_EQ(ga[2], -1.0f / 3 * -1);
  EXPECT_FLOAT_EQ(ga[3], 0.0f);
  EXPECT_EQ(ga[4], 0.0f);
  EXPECT_EQ(ga[5], 0.0f);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(gb[i], -ga[i]) << i;
}

double loss_at(const std::vector<float>& a, const std::vector<float>& b, const std::vector<int>& y,
               int dim, float margin) {
  return contrastive_loss(a.data(), b.data(), y.data(), static_cast<int>(y.size()), dim, margin,
                          nullptr, nullptr)
      .value;
}

TEST(ContrastiveLoss, GradientMatchesCentralDifferences) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.4f);
  const int pairs = 6, dim = 5;
  const float margin = 1.2f;
  std::vector<float> a(pairs * dim), b(pairs * dim);
  for (float& v : a) v = normal(rng);
  for (float& v : b) v = normal(rng);
  const std::vector<int> y = {0, 1, 1, 0, 1, 1};
  std::vector<float> ga(a.size(), kInf), gb(b.size(), kInf);
  const ContrastiveLoss r =
      contrastive_loss(a.data(), b.data(), y.data(), pairs, dim, margin, ga.data(), gb.data());
  // The random pairs must exercise both branches of the hinge, or the check proves less.
  ASSERT_GT(r.different_inside_margin, 0);
  const double h = 1e-3;
  double worst = 0.0;
  for (int side = 0; side < 2; ++side) {
    std::vector<float>& x = side == 0 ? a : b;
    const std::vector<float>& g = side == 0 ? ga : gb;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float saved = x[i];
      x[i] = static_cast<float>(saved + h);
      const double plus = loss_at(a, b, y, dim, margin);
      x[i] = static_cast<float>(saved - h);
      const double minus = loss_at(a, b, y, dim, margin);
      x[i] = saved;
      // The step actually taken in float, so rounding of saved +- h does not bias the slope.
      const double step =
          static_cast<double>(static_cast<float>(saved + h)) - static_cast<float>(saved - h);
      const double numeric = (plus - minus) / step;
      worst = std::max(worst, std::abs(numeric - g[i]));
      EXPECT_NEAR(g[i], numeric, 1e-4 + 1e-3 * std::abs(numeric)) << "side " << side << " i " << i;
    }
  }
  std::ostringstream worst_text;
  worst_text << std::scientific << worst;
  RecordProperty("worst_abs_error", worst_text.str());
}

TEST(ContrastiveLoss, ZeroDistanceGivesFiniteZeroGradient) {
  const std::vector<float> a = {0.6f, 0.8f, 1, 0};
  const std::vector<float> b = {0.6f, 0.8f, 0, 1};
  const std::vector<int> y = {1, 0};
  std::vector<float> ga(4, kInf), gb(4, kInf);
  const ContrastiveLoss r =
      contrastive_loss(a.data(), b.data(), y.data(), 2, 2, 1.0f, ga.data(), gb.data());
  EXPECT_DOUBLE_EQ(r.value, (1.0 + 2.0) / 2);  // hinge at D = 0 costs margin^2
  EXPECT_EQ(ga[0], 0.0f);
  EXPECT_EQ(ga[1], 0.0f);
  EXPECT_EQ(gb[0], 0.0f);
  EXPECT_EQ(gb[1], 0.0f);
  // Just above zero the gradient is the unit vector of a - b times 2/P * (margin - D).
  std::vector<float> a2 = a;
  a2[0] += 1e-6f;
  contrastive_loss(a2.data(), b.data(), y.data(), 2, 2, 1.0f, ga.data(), gb.data());
  EXPECT_NEAR(ga[0], -1.0f, 1e-5f);
  EXPECT_EQ(ga[1], 0.0f);
}

TEST(ContrastiveLoss, TinyDistanceGradientIsBounded) {
  // D far below any float rounding of the direction: the gradient stays finite and bounded.
  const std::vector<float> a = {1e-30f, 0, 1, 0};
  const std::vector<float> b = {0, 0, 0, 1};
  const std::vector<int> y = {1, 0};
  std::vector<float> ga(4, kInf), gb(4, kInf);
  contrastive_loss(a.data(), b.data(), y.data(), 2, 2, 0.5f, ga.data(), gb.data());
  for (float g : ga) EXPECT_TRUE(std::isfinite(g));
  EXPECT_LE(std::abs(ga[0]), 2.0f / 2 * 0.5f);
}

TEST(ContrastiveLoss, UnitEmbeddingsDistanceFromCosine) {
  // D = sqrt(2 - 2 cos): orthogonal unit vectors are sqrt(2) apart.
  const std::vector<float> a = {1, 0, 1, 0};
  const std::vector<float> b = {0, 1, 1, 0};
  const std::vector<int> y = {1, 0};
  const ContrastiveLoss r =
      contrastive_loss(a.data(), b.data(), y.data(), 2, 2, 2.0f, nullptr, nullptr);
  EXPECT_NEAR(r.mean_different_distance, std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(r.value, (2.0 - std::sqrt(2.0)) * (2.0 - std::sqrt(2.0)) / 2, 1e-12);
}

TEST(ContrastiveLoss, Errors) {
  const std::vector<float> a = {1, 0, 0, 1};
  const std::vector<float> b = {0, 1, 0, 1};
  std::vector<float> g(4);
  const std::vector<int> same = {0, 0};
  EXPECT_EQ(error_of([&] {
              contrastive_loss(a.data(), b.data(), same.data(), 2, 2, 1.0f, g.data(), g.data());
            }),
            "cannot compute contrastive loss (2 same, 0 different): each batch needs both "
            "same-person and different-person pairs");
  const std::vector<int> diff = {1, 1};
  EXPECT_NE(error_of([&] {
              contrastive_loss(a.data(), b.data(), diff.data(), 2, 2, 1.0f, nullptr, nullptr);
            }).find("each batch needs both"),
            std::string::npos);
  const std::vector<int> bad = {0, 2};
  EXPECT_EQ(error_of([&] {
              contrastive_loss(a.data(), b.data(), bad.data(), 2, 2, 1.0f, nullptr, nullptr);
            }),
            "cannot compute contrastive loss (label 2 of pair 1): labels are 0 (same person) or 1 "
            "(different)");
  const std::vector<int> ok = {0, 1};
  for (float m : {0.0f, -1.0f, kInf, std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_NE(error_of([&] {
                contrastive_loss(a.data(), b.data(), ok.data(), 2, 2, m, nullptr, nullptr);
              }).find("the margin must be finite and positive"),
              std::string::npos)
        << m;
  }
  std::vector<float> nan_a = a;
  nan_a[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(error_of([&] {
              contrastive_loss(nan_a.data(), b.data(), ok.data(), 2, 2, 1.0f, nullptr, nullptr);
            }),
            "cannot compute contrastive loss (pair 1, element 1): the embedding is not finite "
            "(diverged training or a bad input)");
  EXPECT_THROW(contrastive_loss(a.data(), b.data(), ok.data(), 0, 2, 1.0f, nullptr, nullptr),
               Error);
  EXPECT_THROW(contrastive_loss(a.data(), b.data(), ok.data(), 2, 0, 1.0f, nullptr, nullptr),
               Error);
  EXPECT_THROW(contrastive_loss(a.data(), b.data(), ok.data(), 2, 2, 1.0f, g.data(), nullptr),
               Error);
  EXPECT_THROW(contrastive_loss(nullptr, b.data(), ok.data(), 2, 2, 1.0f, nullptr, nullptr), Error);
}

TEST(DistillationLoss, ValueAndGradient) {
  const std::vector<float> s = {1, 2, 0, 0};
  const std::vector<float> t = {1, 0, 3, 4};
  std::vector<float> g(4, kInf);
  const DistillationLoss r = distillation_loss(s.data(), t.data(), 2, 2, g.data());
  EXPECT_DOUBLE_EQ(r.value, (4.0 + 25.0) / 2);
  EXPECT_DOUBLE_EQ(r.mean_distance, (2.0 + 5.0) / 2);
  const std::vector<float> expected = {0, 2, -3, -4};  // 2/N * (s - t), N = 2
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(g[i], expected[i]) << i;
  // Central differences on random values.
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> s2(12), t2(12), g2(12, kInf);
  for (float& v : s2) v = normal(rng);
  for (float& v : t2) v = normal(rng);
  distillation_loss(s2.data(), t2.data(), 3, 4, g2.data());
  for (int i = 0; i < 12; ++i) {
    const float saved = s2[i];
    s2[i] = saved + 1e-2f;
    const double plus = distillation_loss(s2.data(), t2.data(), 3, 4, nullptr).value;
    s2[i] = saved - 1e-2f;
    const double minus = distillation_loss(s2.data(), t2.data(), 3, 4, nullptr).value;
    s2[i] = saved;
    const double step = static_cast<double>(saved + 1e-2f) - static_cast<double>(saved - 1e-2f);
    EXPECT_NEAR(g2[i], (plus - minus) / step, 1e-4) << i;
  }
}

TEST(DistillationLoss, Errors) {
  std::vector<float> s = {1, 2};
  const std::vector<float> t = {1, 0};
  EXPECT_THROW(distillation_loss(s.data(), t.data(), 0, 2, nullptr), Error);
  EXPECT_THROW(distillation_loss(s.data(), nullptr, 1, 2, nullptr), Error);
  s[1] = kInf;
  EXPECT_EQ(error_of([&] { distillation_loss(s.data(), t.data(), 1, 2, nullptr); }),
            "cannot compute distillation loss (sample 0, element 1): the student's embedding is "
            "not finite");
}

}  // namespace
}  // namespace fu::train
