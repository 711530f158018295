// Verification metrics over scored pairs: LFW 10-fold accuracy, ROC, TAR at a target FAR, the
// threshold for a target FAR, and an SVG ROC plot.
//
// Conventions (docs/model-metadata.md): a score is the cosine similarity, higher = more alike; a
// pair is accepted when score >= threshold. TAR = accepted same-identity pairs / all
// same-identity pairs; FAR = accepted different-identity pairs / all different-identity pairs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fu::train {

struct ScoredPair {
  float score = 0.0f;
  bool same = false;
  int fold = 0;
};

// The fraction of pairs decided correctly (same and accepted, or different and rejected).
double accuracy_at_threshold(const std::vector<ScoredPair>& pairs, float threshold);

struct ThresholdChoice {
  float threshold = 0.0f;
  double accuracy = 0.0;
};

// The threshold that maximises accuracy on `pairs`. Every threshold between two adjacent
// distinct scores gives the same accuracy, so the middle of that gap is returned (it generalises
// better to unseen pairs than a threshold sitting on a training score); among equally accurate
// gaps the highest threshold wins (fewer false accepts). Throws fu::Error for no pairs.
ThresholdChoice best_accuracy_threshold(const std::vector<ScoredPair>& pairs);

struct FoldAccuracy {
  int fold = 0;
  float threshold = 0.0f;       // chosen on the other folds
  double train_accuracy = 0.0;  // on the other folds, at that threshold
  double accuracy = 0.0;        // on this fold
  std::size_t pairs = 0;        // in this fold
};

struct KFoldAccuracy {
  double mean = 0.0;
  // Sample standard deviation (divides by k - 1) of the per-fold accuracies.
  double sample_std = 0.0;
  // sample_std / sqrt(k): the "standard error of the mean" LFW's results page asks for.
  double standard_error = 0.0;
  std::vector<FoldAccuracy> folds;  // by fold id
};

// The LFW protocol: for each fold, the threshold is chosen on all other folds with
// best_accuracy_threshold() and applied to this fold. Folds are the distinct `fold` values;
// throws fu::Error for fewer than 2.
KFoldAccuracy k_fold_accuracy(const std::vector<ScoredPair>& pairs);

// One operating point: what accepting every pair with score >= threshold gives.
struct RocPoint {
  float threshold = 0.0f;
  std::uint64_t true_accepts = 0;
  std::uint64_t false_accepts = 0;
  double tar = 0.0;
  double far = 0.0;
};

// Operating points by falling threshold: the first, at threshold +infinity, accepts nothing;
// then one point per distinct score (pairs with equal scores are accepted together, so ties make
// one step, never a fake intermediate point); the last accepts everything.
struct RocCurve {
  std::uint64_t same_pairs = 0;
  std::uint64_t different_pairs = 0;
  std::vector<RocPoint> points;
};

RocCurve roc_curve(const std::vector<ScoredPair>& pairs);

struct TarAtFar {
  double target_far = 0.0;
  // False when the target is below 1 / different pairs: no threshold can show a false-accept
  // rate that small, so tar, far and threshold are NaN rather than a number that means nothing.
  bool measurable = false;
  double tar = 0.0;
  double far = 0.0;        // the achieved FAR, <= target_far
  float threshold = 0.0f;  // accept score >= threshold
};

// The largest TAR among operating points with FAR <= target_far. Throws fu::Error when the
// curve has no same-identity or no different-identity pairs, or the target is not in (0, 1].
TarAtFar tar_at_far(const RocCurve& roc, double target_far);

// The threshold of tar_at_far(): the lowest threshold whose FAR stays within the target, for
// calibrating embedder.threshold.far_*. Throws fu::Error when the target is not measurable.
float threshold_at_far(const RocCurve& roc, double target_far);

// One curve of a plot.
struct RocSeries {
  std::string label;
  RocCurve roc;
};

struct RocPlotOptions {
  std::string title = "ROC";
  double min_far = 1e-5;                           // left end of the log-scale FAR axis (to 1)
  std::vector<double> marked_fars = {1e-3, 1e-4};  // labelled TAR-at-FAR points per curve
  int width = 720;
  int height = 520;
};

// A self-contained SVG document: log-scale FAR axis, linear TAR axis, gridlines, one step curve
// per series (TAR at each FAR = tar_at_far), marked points and a legend.
std::string roc_svg(const std::vector<RocSeries>& series, const RocPlotOptions& options = {});
void write_roc_svg(const std::string& path, const std::vector<RocSeries>& series,
                   const RocPlotOptions& options = {});

}  // namespace fu::train
