#include "train/distillation_loss.h"

#include <cmath>
#include <cstddef>
#include <string>

#include "base/error.h"

namespace fu::train {
namespace {

[[noreturn]] void fail(const std::string& value, const std::string& reason) {
  throw Error("cannot compute distillation loss (" + value + "): " + reason);
}

}  // namespace

DistillationLoss distillation_loss(const float* student, const float* teacher, int samples, int dim,
                                   float* grad_student) {
  if (samples <= 0) fail("samples " + std::to_string(samples), "the batch is empty");
  if (dim <= 0) fail("dim " + std::to_string(dim), "the embedding size must be positive");
  if (student == nullptr || teacher == nullptr) fail("null", "missing input");
  const double scale = 2.0 / samples;
  double total = 0.0;
  double distance = 0.0;
  for (int s = 0; s < samples; ++s) {
    const std::size_t row = static_cast<std::size_t>(s) * dim;
    double squared = 0.0;
    for (int k = 0; k < dim; ++k) {
      const float x = student[row + k];
      const float t = teacher[row + k];
      if (!std::isfinite(x) || !std::isfinite(t)) {
        fail("sample " + std::to_string(s) + ", element " + std::to_string(k),
             std::string(std::isfinite(x) ? "the teacher's" : "the student's") +
                 " embedding is not finite");
      }
      const double d = static_cast<double>(x) - t;
      squared += d * d;
      if (grad_student != nullptr) grad_student[row + k] = static_cast<float>(scale * d);
    }
    total += squared;
    distance += std::sqrt(squared);
  }
  DistillationLoss r;
  r.value = total / samples;
  r.mean_distance = distance / samples;
  return r;
}

}  // namespace fu::train
