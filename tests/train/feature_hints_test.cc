#include "train/feature_hints.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "base/error.h"

namespace fu::train {
namespace {

std::vector<float> gaussian(std::size_t n, std::mt19937& rng, float sigma = 1.0f) {
  std::normal_distribution<float> g(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

// A student that is an exact linear map of its teacher: the fit finds the map, and the loss
// on the fitting rows is nil.
TEST(FeatureHints, FitRecoversALinearMapOfTheTeacher) {
  std::mt19937 rng(1);
  const int s_n = 3, t_n = 5;
  const std::size_t rows = 400;
  const std::vector<float> teacher = gaussian(rows * t_n, rng);
  const std::vector<float> map = gaussian(s_n * t_n, rng);
  const std::vector<float> bias = {0.5f, -2.0f, 3.0f};
  std::vector<float> student(rows * s_n);
  for (std::size_t r = 0; r < rows; ++r) {
    for (int c = 0; c < s_n; ++c) {
      double v = bias[c];
      for (int j = 0; j < t_n; ++j) v += map[c * t_n + j] * teacher[r * t_n + j];
      student[r * s_n + c] = static_cast<float>(v);
    }
  }
  const FeatureHint hint =
      fit_feature_hint("stage", student.data(), s_n, teacher.data(), t_n, rows, 1e-9);
  EXPECT_EQ(hint.value, "stage");
  ASSERT_EQ(hint.map.size(), map.size());
  for (std::size_t i = 0; i < map.size(); ++i) EXPECT_NEAR(hint.map[i], map[i], 1e-4) << i;
  for (int c = 0; c < s_n; ++c) EXPECT_NEAR(hint.bias[c], bias[c], 1e-4) << c;
  EXPECT_LT(feature_hint_loss(hint, student.data(), teacher.data(), rows, nullptr), 1e-8);
}

// Half of the student's variance comes from the teacher, half from noise it never sees: the
// fitted loss reads as the unexplained share, about one half.
TEST(FeatureHints, LossIsTheShareTheTeacherLeavesUnexplained) {
  std::mt19937 rng(2);
  const std::size_t rows = 20000;
  const std::vector<float> teacher = gaussian(rows * 2, rng);
  const std::vector<float> noise = gaussian(rows, rng);
  std::vector<float> student(rows);
  for (std::size_t r = 0; r < rows; ++r) student[r] = 4.0f * teacher[r * 2] + 4.0f * noise[r];
  const FeatureHint hint = fit_feature_hint("x", student.data(), 1, teacher.data(), 2, rows);
  EXPECT_NEAR(hint.map[0], 4.0f, 0.1f);
  EXPECT_NEAR(hint.map[1], 0.0f, 0.1f);
  EXPECT_NEAR(feature_hint_loss(hint, student.data(), teacher.data(), rows, nullptr), 0.5, 0.02);
  EXPECT_NEAR(hint.unexplained, 0.5, 0.02);
  EXPECT_EQ(hint.fitted_rows, rows);
}

// Fitted a batch at a time, the sums are those of one batch holding every row.
TEST(FeatureHints, FitOverBatchesIsTheFitOverAllRows) {
  std::mt19937 rng(4);
  const int s_n = 2, t_n = 3;
  const std::size_t rows = 90;
  const std::vector<float> teacher = gaussian(rows * t_n, rng);
  const std::vector<float> student = gaussian(rows * s_n, rng);
  const FeatureHint whole = fit_feature_hint("v", student.data(), s_n, teacher.data(), t_n, rows);
  FeatureHintFitter fitter("v", s_n, t_n);
  fitter.add(student.data(), teacher.data(), 50);
  fitter.add(student.data() + 50 * s_n, teacher.data() + 50 * t_n, rows - 50);
  const FeatureHint parts = fitter.fit();
  for (std::size_t i = 0; i < whole.map.size(); ++i) EXPECT_NEAR(whole.map[i], parts.map[i], 1e-6);
  for (int c = 0; c < s_n; ++c) {
    EXPECT_NEAR(whole.bias[c], parts.bias[c], 1e-6);
    EXPECT_NEAR(whole.weight[c], parts.weight[c], 1e-5 * whole.weight[c]);
  }
  EXPECT_THROW(FeatureHintFitter("v", s_n, t_n).fit(), Error);
}

TEST(FeatureHints, GradientMatchesCentralDifferences) {
  std::mt19937 rng(3);
  const int s_n = 4, t_n = 6;
  const std::size_t rows = 30;
  const std::vector<float> fit_teacher = gaussian(rows * t_n, rng);
  const std::vector<float> fit_student = gaussian(rows * s_n, rng, 2.0f);
  const FeatureHint hint =
      fit_feature_hint("v", fit_student.data(), s_n, fit_teacher.data(), t_n, rows);
  // Other faces than the fitting ones: the loss is then well away from its minimum.
  const std::vector<float> teacher = gaussian(rows * t_n, rng);
  std::vector<float> student = gaussian(rows * s_n, rng, 2.0f);
  std::vector<float> grad(student.size(), std::numeric_limits<float>::infinity());
  const double value = feature_hint_loss(hint, student.data(), teacher.data(), rows, grad.data());
  EXPECT_GT(value, 0.1);
  const float h = 1e-2f;
  for (std::size_t i = 0; i < student.size(); ++i) {
    const float keep = student[i];
    student[i] = keep + h;
    const double up = feature_hint_loss(hint, student.data(), teacher.data(), rows, nullptr);
    student[i] = keep - h;
    const double down = feature_hint_loss(hint, student.data(), teacher.data(), rows, nullptr);
    student[i] = keep;
    const double numeric = (up - down) / (2.0 * h);
    ASSERT_NEAR(grad[i], numeric, 1e-4 * (1.0 + std::fabs(numeric))) << i;
  }
}

TEST(FeatureHints, RefusesTooFewRowsAndValuesThatAreNotFinite) {
  const std::vector<float> one = {1.0f, 2.0f};
  EXPECT_THROW(fit_feature_hint("v", one.data(), 1, one.data(), 1, 1), Error);
  std::vector<float> student = {1.0f, 2.0f, 3.0f};
  const std::vector<float> teacher = {0.0f, 1.0f, 2.0f};
  EXPECT_THROW(fit_feature_hint("v", student.data(), 0, teacher.data(), 1, 3), Error);
  student[1] = std::numeric_limits<float>::quiet_NaN();
  try {
    fit_feature_hint("stage2", student.data(), 1, teacher.data(), 1, 3);
    FAIL() << "a NaN activation was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot fit feature hint at stage2"), std::string::npos);
  }
  // A constant student channel fits without dividing by its zero variance.
  const std::vector<float> constant = {1.0f, 1.0f, 1.0f};
  const FeatureHint hint = fit_feature_hint("c", constant.data(), 1, teacher.data(), 1, 3);
  EXPECT_TRUE(std::isfinite(hint.weight[0]));
  EXPECT_TRUE(std::isfinite(feature_hint_loss(hint, constant.data(), teacher.data(), 3, nullptr)));
}

}  // namespace
}  // namespace fu::train
