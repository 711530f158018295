#include "train/contrastive_loss.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "base/error.h"

namespace fu::train {
namespace {

[[noreturn]] void fail(const std::string& value, const std::string& reason) {
  throw Error("cannot compute contrastive loss (" + value + "): " + reason);
}

}  // namespace

ContrastiveLoss contrastive_loss(const float* a, const float* b, const int* labels, int pairs,
                                 int dim, float margin, float* grad_a, float* grad_b) {
  if (pairs <= 0) fail("pairs " + std::to_string(pairs), "the batch is empty");
  if (dim <= 0) fail("dim " + std::to_string(dim), "the embedding size must be positive");
  if (a == nullptr || b == nullptr || labels == nullptr) fail("null", "missing input");
  if ((grad_a == nullptr) != (grad_b == nullptr)) {
    fail("one gradient null", "pass both gradients or neither");
  }
  if (!std::isfinite(margin) || margin <= 0.0f) {
    fail("margin " + std::to_string(margin),
         "the margin must be finite and positive (in (0, 2] for unit-length embeddings)");
  }
  const std::size_t n = static_cast<std::size_t>(pairs) * dim;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) {
      fail("pair " + std::to_string(i / dim) + ", element " + std::to_string(i % dim),
           "the embedding is not finite (diverged training or a bad input)");
    }
  }
  ContrastiveLoss r;
  for (int p = 0; p < pairs; ++p) {
    if (labels[p] == 0) {
      ++r.same_pairs;
    } else if (labels[p] == 1) {
      ++r.different_pairs;
    } else {
      fail("label " + std::to_string(labels[p]) + " of pair " + std::to_string(p),
           "labels are 0 (same person) or 1 (different)");
    }
  }
  // A batch of one kind collapses the embedding (all same) or has nothing to pull together (all
  // different); it is the pair sampler's bug, so say so instead of training on it.
  if (r.same_pairs == 0 || r.different_pairs == 0) {
    fail(
        std::to_string(r.same_pairs) + " same, " + std::to_string(r.different_pairs) + " different",
        "each batch needs both same-person and different-person pairs");
  }

  const double m = margin;
  const double scale = 2.0 / pairs;
  double total = 0.0;
  double same_distance = 0.0;
  double different_distance = 0.0;
  for (int p = 0; p < pairs; ++p) {
    const float* ap = a + static_cast<std::size_t>(p) * dim;
    const float* bp = b + static_cast<std::size_t>(p) * dim;
    double squared = 0.0;
    for (int k = 0; k < dim; ++k) {
      const double d = static_cast<double>(ap[k]) - bp[k];
      squared += d * d;
    }
    const double distance = std::sqrt(squared);
    // The factor multiplying (a - b) in d L / d a.
    double factor = 0.0;
    if (labels[p] == 0) {
      total += squared;
      same_distance += distance;
      factor = scale;
    } else {
      different_distance += distance;
      if (distance < m) {
        const double gap = m - distance;
        total += gap * gap;
        ++r.different_inside_margin;
        factor = -scale * gap / std::max(distance, kContrastiveDistanceEpsilon);
      }
    }
    if (grad_a != nullptr) {
      float* ga = grad_a + static_cast<std::size_t>(p) * dim;
      float* gb = grad_b + static_cast<std::size_t>(p) * dim;
      for (int k = 0; k < dim; ++k) {
        const double g = factor * (static_cast<double>(ap[k]) - bp[k]);
        ga[k] = static_cast<float>(g);
        gb[k] = static_cast<float>(-g);
      }
    }
  }
  r.value = total / pairs;
  r.mean_same_distance = same_distance / r.same_pairs;
  r.mean_different_distance = different_distance / r.different_pairs;
  return r;
}

}  // namespace fu::train
