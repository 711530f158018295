#include "train/teacher_targets.h"

#include <cmath>
#include <string>

#include "base/error.h"

namespace fu::train {

CenteringReport center_targets(std::vector<std::vector<float>>& targets) {
  if (targets.size() < 2) {
    throw Error("cannot centre the teacher's embeddings (" + std::to_string(targets.size()) +
                " faces): the mean of fewer than two says nothing");
  }
  const std::size_t dim = targets[0].size();
  std::vector<double> mean(dim, 0.0);
  for (const std::vector<float>& t : targets) {
    if (t.size() != dim || dim == 0) {
      throw Error("cannot centre the teacher's embeddings: sizes differ (" +
                  std::to_string(t.size()) + " and " + std::to_string(dim) + ")");
    }
    for (std::size_t k = 0; k < dim; ++k) mean[k] += t[k];
  }
  double mean_norm2 = 0.0;
  for (double& v : mean) {
    v /= static_cast<double>(targets.size());
    mean_norm2 += v * v;
  }
  CenteringReport report;
  report.mean_norm = std::sqrt(mean_norm2);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::vector<float>& t = targets[i];
    double dot = 0.0, t_norm2 = 0.0, c_norm2 = 0.0;
    for (std::size_t k = 0; k < dim; ++k) {
      dot += t[k] * mean[k];
      t_norm2 += static_cast<double>(t[k]) * t[k];
      const double c = t[k] - mean[k];
      c_norm2 += c * c;
    }
    if (report.mean_norm > 0 && t_norm2 > 0) {
      report.mean_cosine_before += dot / (std::sqrt(t_norm2) * report.mean_norm);
    }
    if (!(c_norm2 > 1e-12)) {
      throw Error("cannot centre the teacher's embeddings: face " + std::to_string(i) +
                  " equals their mean, so it has no direction left");
    }
    const double inv = 1.0 / std::sqrt(c_norm2);
    for (std::size_t k = 0; k < dim; ++k) t[k] = static_cast<float>((t[k] - mean[k]) * inv);
  }
  report.mean_cosine_before /= static_cast<double>(targets.size());
  return report;
}

}  // namespace fu::train
