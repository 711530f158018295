#include "train/teacher_targets.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/error.h"

namespace fu::train {
namespace {

// Targets in a narrow cone: a shared direction plus small per-face offsets, like a face embedder.
std::vector<std::vector<float>> cone(int n, int dim, double spread, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<std::vector<float>> out(n, std::vector<float>(dim));
  for (auto& t : out) {
    double norm2 = 0.0;
    std::vector<double> v(dim);
    for (int k = 0; k < dim; ++k) {
      v[k] = (k == 0 ? 1.0 : 0.0) + spread * normal(rng);
      norm2 += v[k] * v[k];
    }
    for (int k = 0; k < dim; ++k) t[k] = static_cast<float>(v[k] / std::sqrt(norm2));
  }
  return out;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(TeacherTargets, CentringSpreadsANarrowConeAndKeepsUnitLength) {
  std::vector<std::vector<float>> t = cone(400, 16, 0.1, 3);
  const double before = cosine(t[0], t[1]);
  EXPECT_GT(before, 0.8);  // the premise: strangers look alike before centring
  const CenteringReport r = center_targets(t);
  EXPECT_GT(r.mean_norm, 0.9);
  EXPECT_GT(r.mean_cosine_before, 0.9);
  double mean_abs_cos = 0.0;
  for (int i = 0; i + 1 < 400; i += 2) mean_abs_cos += std::fabs(cosine(t[i], t[i + 1]));
  mean_abs_cos /= 200;
  EXPECT_LT(mean_abs_cos, 0.4);  // independent offsets: nearly orthogonal after centring
  for (const auto& v : t) {
    double n2 = 0;
    for (float x : v) n2 += x * x;
    EXPECT_NEAR(n2, 1.0, 1e-5);
  }
  // Centring again finds a mean near zero: the result is already centred.
  EXPECT_LT(center_targets(t).mean_norm, 0.05);
}

TEST(TeacherTargets, KeepsWhatTellsTwoFacesApart) {
  // Two faces symmetric about the shared direction become exact opposites.
  std::vector<std::vector<float>> t = {{0.8f, 0.6f}, {0.8f, -0.6f}};
  center_targets(t);
  EXPECT_NEAR(t[0][0], 0.0f, 1e-6);
  EXPECT_NEAR(t[0][1], 1.0f, 1e-6);
  EXPECT_NEAR(t[1][1], -1.0f, 1e-6);
}

TEST(TeacherTargets, RefusesWhatHasNoMeanOrNoDirection) {
  std::vector<std::vector<float>> one = {{1.0f, 0.0f}};
  EXPECT_THROW(center_targets(one), Error);
  std::vector<std::vector<float>> ragged = {{1.0f, 0.0f}, {1.0f}};
  EXPECT_THROW(center_targets(ragged), Error);
  std::vector<std::vector<float>> same = {{1.0f, 0.0f}, {1.0f, 0.0f}};
  try {
    center_targets(same);
    FAIL() << "equal targets have no direction after centring";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("equals their mean"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fu::train
