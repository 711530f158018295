// What the student is taught to reproduce: the teacher's embeddings, optionally centred.
//
// A face embedder's unit vectors do not fill the sphere: dlib-resnet's embeddings of any two
// strangers have cosine similarity around 0.8, so every face sits in one narrow cone. The
// direction they share says "a face" and nothing about whose; a student that outputs that one
// direction for every input already reaches a small distillation loss and learns slowly from
// what remains. Centring subtracts the mean embedding of the training faces and renormalises:
//
//   t'_i = (t_i - m) / |t_i - m|,   m = (1 / N) sum_i t_i
//
// The student then learns a spread-out space whose directions are exactly the teacher's
// differences between faces; it is a different space from the teacher's (its own thresholds come
// from validation and `faceunlock calibrate`), not a copy of it.
#pragma once

#include <vector>

namespace fu::train {

struct CenteringReport {
  double mean_norm = 0.0;           // |m|: 0 for a spread-out teacher, near 1 for a narrow cone
  double mean_cosine_before = 0.0;  // mean cosine of each target to m / |m|, before centring
};

// Replaces every target (all of one size, at least two) by its centred, unit-length version.
// Throws fu::Error for fewer than two targets, ragged sizes, or a target equal to the mean
// (which has no direction left).
CenteringReport center_targets(std::vector<std::vector<float>>& targets);

}  // namespace fu::train
