#include "unlock/similarity.h"

#include <cmath>
#include <string>

#include "base/error.h"

namespace fu::unlock {

float dot_product(const float* a, const float* b, std::size_t size) {
  double sum = 0.0;
  for (std::size_t i = 0; i < size; ++i) sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) {
    throw Error("cannot compare embeddings (" + std::to_string(a.size()) + " and " +
                std::to_string(b.size()) + " values): sizes differ");
  }
  return dot_product(a.data(), b.data(), a.size());
}

std::vector<float> l2_normalized(const float* values, std::size_t size) {
  const std::string object = "cannot normalise embedding (" + std::to_string(size) + " values): ";
  if (size == 0) throw Error(object + "it is empty");
  double sum = 0.0;
  for (std::size_t i = 0; i < size; ++i) {
    if (!std::isfinite(values[i])) {
      throw Error(object + "value " + std::to_string(i) + " is not finite");
    }
    sum += static_cast<double>(values[i]) * values[i];
  }
  if (sum == 0.0) throw Error(object + "all values are zero, so it has no direction");
  const double inverse_norm = 1.0 / std::sqrt(sum);
  std::vector<float> out(size);
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<float>(values[i] * inverse_norm);
  }
  return out;
}

std::vector<float> l2_normalized(const std::vector<float>& values) {
  return l2_normalized(values.data(), values.size());
}

}  // namespace fu::unlock
