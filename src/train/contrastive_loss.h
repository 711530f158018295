// The contrastive loss of the Siamese network (Hadsell, Chopra and LeCun's DrLIM form, without
// its factor 1/2). For pair i with embeddings a_i, b_i, label y_i and D_i = |a_i - b_i|:
//
//   L_i = (1 - y_i) * D_i^2 + y_i * max(0, margin - D_i)^2      y = 0 same person, 1 different
//   L   = (1 / P) * sum_i L_i                                   the MEAN over the P pairs
//
// There is no factor 1/2: a same-person pair at distance D costs D^2, and the gradients are
//   d L / d a_i = (2 / P) * (a_i - b_i)                                       same person
//   d L / d a_i = -(2 / P) * (margin - D_i) * (a_i - b_i) / D_i  if D_i < margin, else 0  different
//   d L / d b_i = -d L / d a_i
//
// Margin and unit-length embeddings: the embedder L2-normalises its output, so D = sqrt(2 -
// 2 cos) lies in [0, 2] (0 identical, sqrt(2) orthogonal, 2 opposite). A useful margin is
// therefore in (0, 2]; with margin > 2 every different-person pair would push forever. The
// function itself accepts any finite positive margin, because it also serves embeddings that are
// not normalised.
//
// At D = 0 the hinge term's direction (a - b) / D is undefined; the division uses
// max(D, kContrastiveDistanceEpsilon), so the gradient there is exactly 0 (a - b = 0), never NaN,
// and below the epsilon its size is bounded by 2 * margin / P.
#pragma once

namespace fu::train {

inline constexpr double kContrastiveDistanceEpsilon = 1e-9;

struct ContrastiveLoss {
  double value = 0.0;                    // L, the mean over pairs
  int same_pairs = 0;                    // y = 0
  int different_pairs = 0;               // y = 1
  int different_inside_margin = 0;       // y = 1 and D < margin: the pairs that still push apart
  double mean_same_distance = 0.0;       // mean D over same-person pairs
  double mean_different_distance = 0.0;  // mean D over different-person pairs
};

// a, b: [pairs x dim] row-major embeddings of the two sides; labels: [pairs], each 0 or 1.
// grad_a, grad_b: [pairs x dim]; both are ASSIGNED (not accumulated) with d L / d a and d L / d b,
// or both are nullptr to compute the value only (validation). They must not overlap a or b.
// Throws fu::Error for a non-positive size, null inputs, a label other than 0/1, a margin that is
// not finite and positive, a non-finite embedding value, or a batch without both kinds of pair.
ContrastiveLoss contrastive_loss(const float* a, const float* b, const int* labels, int pairs,
                                 int dim, float margin, float* grad_a, float* grad_b);

}  // namespace fu::train
