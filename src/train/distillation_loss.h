// The distillation term: the student learns to reproduce the teacher's embedding of the same
// face. For N samples with student embedding s_i and teacher embedding t_i (same size):
//
//   L = (1 / N) * sum_i |s_i - t_i|^2           squared Euclidean distance, mean over samples
//   d L / d s_i = (2 / N) * (s_i - t_i)         (the teacher is fixed: no gradient)
//
// Squared distance rather than 1 - cosine: for unit-length embeddings the two agree up to a
// factor (|s - t|^2 = 2 - 2 cos), and the squared distance also pulls the magnitudes together
// when the student's output is not yet normalised, with a gradient that never divides by a norm.
// No factor 1/2, as in the contrastive loss, so the two terms are on the same scale.
#pragma once

namespace fu::train {

struct DistillationLoss {
  double value = 0.0;          // L, the mean over samples
  double mean_distance = 0.0;  // mean |s_i - t_i| (not squared), for progress reports
};

// student, teacher: [samples x dim] row-major. grad_student: [samples x dim], ASSIGNED with
// d L / d student, or nullptr for the value only. Throws fu::Error for a non-positive size, null
// inputs or a non-finite value.
DistillationLoss distillation_loss(const float* student, const float* teacher, int samples, int dim,
                                   float* grad_student);

}  // namespace fu::train
