// Feature hints: the student also learns its teacher's inner activations, not only the embedding
// (the idea of FitNets), at values that both networks name alike and compute at the same spatial
// size, as a channel-pruned student does. An embedding gives 128 numbers per face; a stage's
// activations give thousands, so each face teaches more, which is what a student short of faces
// needs.
//
// The channel counts may differ, and no adapter layer is trained: each student channel's target
// is a fixed linear map of the teacher's channels at the same pixel, fitted once, by ridge
// regression, on the student as it starts. A pruned student's channels are its teacher's kept
// ones, so the map starts near a selection; a student trained further has mixed them, and the
// fit follows whatever explains them best. The hint then asks the student to keep that relation
// to the teacher on every face it sees, including the ones it had drifted on.
//
// For R rows (pixels of the batch, channels last), student channels c = 1..S, teacher values t_r:
//
//   target_rc = map_c . t_r + bias_c
//   L = 1 / (R S) * sum_r sum_c weight_c (s_rc - target_rc)^2
//   d L / d s_rc = 2 / (R S) * weight_c (s_rc - target_rc)      (the teacher is fixed)
//
// with weight_c = 1 / the variance of student channel c on the fitting faces (at least a tenth of
// the channels' mean variance), so that every channel counts alike whatever its scale, and L
// reads as the share of the student's variance the teacher's map leaves unexplained (about
// 1 - R^2 on the fitting faces when fitted).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fu::train {

struct FeatureHint {
  std::string value;  // the value's name in both networks
  int student_channels = 0;
  int teacher_channels = 0;
  std::vector<float> map;     // [student_channels x teacher_channels]
  std::vector<float> bias;    // [student_channels]
  std::vector<float> weight;  // [student_channels]
  // On the fitting faces: the mean over channels of the share of each channel's variance the
  // map leaves unexplained (1 - R^2), what L starts near on faces like them.
  double unexplained = 0.0;
  std::size_t fitted_rows = 0;
};

// Fits a hint from the activations of the same faces, given a batch at a time: add() takes
// student [rows x student_channels] and teacher [rows x teacher_channels], row-major, the same
// pixels on both sides; fit() solves the ridge regression over everything added. The ridge is
// relative: lambda = `ridge` x the teacher's mean channel variance. Deep values have few pixels
// per face and many channels, so the fit wants many faces (hundreds) to hold on new ones.
class FeatureHintFitter {
 public:
  FeatureHintFitter(std::string value, int student_channels, int teacher_channels);
  // Throws fu::Error "cannot fit feature hint at <value>: ..." for non-finite activations.
  void add(const float* student, const float* teacher, std::size_t rows);
  // Throws fu::Error for fewer than 2 rows added.
  FeatureHint fit(double ridge = 1e-3) const;

 private:
  std::string value_;
  int s_n_ = 0;
  int t_n_ = 0;
  std::size_t rows_ = 0;
  // Raw sums (centred in fit()): of s, t, t t^T (lower triangle), t s^T and s^2.
  std::vector<double> s_sum_, t_sum_, tt_, ts_, ss_;
};

// One batch: FeatureHintFitter's add() then fit().
FeatureHint fit_feature_hint(const std::string& value, const float* student, int student_channels,
                             const float* teacher, int teacher_channels, std::size_t rows,
                             double ridge = 1e-3);

// L of the comment above for `rows` rows; grad_student [rows x student_channels] is ASSIGNED
// d L / d student (or nullptr for the value only). Throws fu::Error for a non-finite value.
double feature_hint_loss(const FeatureHint& hint, const float* student, const float* teacher,
                         std::size_t rows, float* grad_student);

}  // namespace fu::train
