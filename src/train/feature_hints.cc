#include "train/feature_hints.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "base/error.h"
#include "nn/ops/sgemm.h"
#include "train/ridge.h"

namespace fu::train {

FeatureHintFitter::FeatureHintFitter(std::string value, int student_channels, int teacher_channels)
    : value_(std::move(value)), s_n_(student_channels), t_n_(teacher_channels) {
  if (s_n_ < 1 || t_n_ < 1) {
    throw Error("cannot fit feature hint at " + value_ + ": a side has no channels");
  }
  s_sum_.assign(s_n_, 0.0);
  t_sum_.assign(t_n_, 0.0);
  tt_.assign(static_cast<std::size_t>(t_n_) * t_n_, 0.0);
  ts_.assign(static_cast<std::size_t>(t_n_) * s_n_, 0.0);
  ss_.assign(s_n_, 0.0);
}

void FeatureHintFitter::add(const float* student, const float* teacher, std::size_t rows) {
  const std::string what = "cannot fit feature hint at " + value_ + ": ";
  std::vector<double> t(t_n_), s(s_n_);
  for (std::size_t r = 0; r < rows; ++r) {
    for (int j = 0; j < t_n_; ++j) t[j] = teacher[r * t_n_ + j];
    for (int c = 0; c < s_n_; ++c) s[c] = student[r * s_n_ + c];
    for (double v : t) {
      if (!std::isfinite(v)) throw Error(what + "the teacher's activations are not finite");
    }
    for (double v : s) {
      if (!std::isfinite(v)) throw Error(what + "the student's activations are not finite");
    }
    for (int i = 0; i < t_n_; ++i) {
      t_sum_[i] += t[i];
      double* g = tt_.data() + static_cast<std::size_t>(i) * t_n_;
      for (int j = 0; j <= i; ++j) g[j] += t[i] * t[j];
      double* x = ts_.data() + static_cast<std::size_t>(i) * s_n_;
      for (int c = 0; c < s_n_; ++c) x[c] += t[i] * s[c];
    }
    for (int c = 0; c < s_n_; ++c) {
      s_sum_[c] += s[c];
      ss_[c] += s[c] * s[c];
    }
  }
  rows_ += rows;
}

FeatureHint FeatureHintFitter::fit(double ridge) const {
  if (rows_ < 2) {
    throw Error("cannot fit feature hint at " + value_ +
                ": it needs the activations of at least 2 pixels");
  }
  const double n = static_cast<double>(rows_);
  std::vector<double> s_mean(s_n_), t_mean(t_n_);
  for (int c = 0; c < s_n_; ++c) s_mean[c] = s_sum_[c] / n;
  for (int j = 0; j < t_n_; ++j) t_mean[j] = t_sum_[j] / n;
  // The centred sums: sum (x - mx)(y - my) = sum x y - n mx my.
  std::vector<double> gram(tt_.size());
  std::vector<double> cross(ts_.size());
  double trace = 0.0;
  for (int i = 0; i < t_n_; ++i) {
    for (int j = 0; j <= i; ++j) {
      const double v = tt_[static_cast<std::size_t>(i) * t_n_ + j] - n * t_mean[i] * t_mean[j];
      gram[static_cast<std::size_t>(i) * t_n_ + j] = v;
      gram[static_cast<std::size_t>(j) * t_n_ + i] = v;
    }
    trace += gram[static_cast<std::size_t>(i) * t_n_ + i];
    for (int c = 0; c < s_n_; ++c) {
      cross[static_cast<std::size_t>(i) * s_n_ + c] =
          ts_[static_cast<std::size_t>(i) * s_n_ + c] - n * t_mean[i] * s_mean[c];
    }
  }
  // Relative to the teacher's scale, and never zero: a constant teacher still solves.
  const double lambda = std::max(ridge * trace / t_n_, 1e-12);
  const std::vector<double> centred_cross = cross;
  solve_ridge(gram, cross, t_n_, s_n_, lambda);

  FeatureHint hint;
  hint.value = value_;
  hint.student_channels = s_n_;
  hint.teacher_channels = t_n_;
  hint.map.resize(static_cast<std::size_t>(s_n_) * t_n_);
  hint.bias.resize(s_n_);
  hint.weight.resize(s_n_);
  std::vector<double> s_var(s_n_);
  double mean_var = 0.0;
  for (int c = 0; c < s_n_; ++c) {
    s_var[c] = std::max(ss_[c] / n - s_mean[c] * s_mean[c], 0.0);
    mean_var += s_var[c] / s_n_;
  }
  // A channel that barely moved on the fitting faces (a unit that rarely fires) would otherwise
  // weigh without bound and its first move would swamp the rest: no channel weighs more than
  // ten times an average one.
  const double var_floor = std::max(0.1 * mean_var, 1e-12);
  // The least-squares residual of channel c is S_cc - x_c . C_c (exact without the ridge).
  double unexplained = 0.0;
  for (int c = 0; c < s_n_; ++c) {
    double explained = 0.0;
    for (int j = 0; j < t_n_; ++j) {
      explained += cross[static_cast<std::size_t>(j) * s_n_ + c] *
                   centred_cross[static_cast<std::size_t>(j) * s_n_ + c];
    }
    const double total = s_var[c] * n;
    unexplained += (total > 0.0 ? std::clamp(1.0 - explained / total, 0.0, 1.0) : 0.0) / s_n_;
  }
  hint.unexplained = unexplained;
  hint.fitted_rows = rows_;
  for (int c = 0; c < s_n_; ++c) {
    double bias = s_mean[c];
    for (int j = 0; j < t_n_; ++j) {
      const double m = cross[static_cast<std::size_t>(j) * s_n_ + c];
      hint.map[static_cast<std::size_t>(c) * t_n_ + j] = static_cast<float>(m);
      bias -= m * t_mean[j];
    }
    hint.bias[c] = static_cast<float>(bias);
    hint.weight[c] = static_cast<float>(1.0 / std::max(s_var[c], var_floor));
  }
  return hint;
}

FeatureHint fit_feature_hint(const std::string& value, const float* student, int student_channels,
                             const float* teacher, int teacher_channels, std::size_t rows,
                             double ridge) {
  FeatureHintFitter fitter(value, student_channels, teacher_channels);
  fitter.add(student, teacher, rows);
  return fitter.fit(ridge);
}

double feature_hint_loss(const FeatureHint& hint, const float* student, const float* teacher,
                         std::size_t rows, float* grad_student) {
  const int s_n = hint.student_channels;
  const int t_n = hint.teacher_channels;
  if (rows > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw Error("cannot compute feature hint at " + hint.value + ": too many pixels in one batch");
  }
  std::vector<float> target(rows * s_n);
  nn::ops::sgemm(false, true, static_cast<int>(rows), s_n, t_n, 1.0f, teacher, t_n, hint.map.data(),
                 t_n, 0.0f, target.data(), s_n);
  const double scale = 1.0 / (static_cast<double>(rows) * s_n);
  double sum = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (int c = 0; c < s_n; ++c) {
      const std::size_t i = r * s_n + c;
      const double d = static_cast<double>(student[i]) - target[i] - hint.bias[c];
      sum += hint.weight[c] * d * d;
      if (grad_student != nullptr) {
        grad_student[i] = static_cast<float>(2.0 * scale * hint.weight[c] * d);
      }
    }
  }
  const double value = sum * scale;
  if (!std::isfinite(value)) {
    throw Error("cannot compute feature hint at " + hint.value + ": the value is not finite");
  }
  return value;
}

}  // namespace fu::train
