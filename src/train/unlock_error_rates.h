// Measured false-accept and false-reject rates of unlock thresholds on labelled embeddings,
// scored exactly as src/unlock's Gallery scores (unit vectors, the double-accumulated dot product
// of unlock::dot_product, clamped to [-1, 1]), in two procedures:
//
// - All pairs: every unordered pair of photos, one template against one frame. FAR = different-
//   identity pairs accepted / all of them; FRR = same-identity pairs rejected / all of them.
// - Enrolled users, the shipped procedure: an identity with at least `templates + window` photos
//   is enrolled from its first `templates` photos (a Gallery user with that many templates; the
//   library enrolls 5 frames by default) and probed, each probe scored against that one user
//   (1:1; a gallery of N users gives a stranger up to N chances):
//   * single frame: each of the user's other photos (genuine; rejected = false reject) and every
//     photo of every other identity (impostor; accepted = false accept);
//   * fused (unlock::DecisionFusion, `required` of `window` frames): an attempt is a sequence of
//     `window` distinct photos of one person, the user's own other photos (genuine) or those of
//     another identity with at least `window` photos (impostor). Each attempt's acceptance is the
//     exact fraction of all its window-sized subsets of photos in which at least `required`
//     frames accept (order does not matter in a full window), and the rate is the mean over
//     attempts: over users (genuine), over (user, other identity) pairs (impostor).
//   Distinct photos of a person are far less alike than a camera's consecutive frames, so the
//   fused rates are what fusion achieves with independent views; with near-identical frames it
//   achieves about the single-frame rates. Both are reported for that reason.
#pragma once

#include <cstdint>
#include <vector>

namespace fu::train {

struct ErrorCount {
  std::uint64_t errors = 0;
  std::uint64_t trials = 0;
  double rate() const { return trials ? static_cast<double>(errors) / trials : 0.0; }
};

// The one-sided (1 - alpha) Clopper-Pearson upper bound of a rate: the p at which seeing
// `errors` or fewer of `trials` has probability alpha. So an observed 0 of 78,000 reads as "at
// most 3.8e-5", not as 0. It assumes independent trials, which pairs sharing a photo are not:
// the real uncertainty is larger. 1 for no trials; throws fu::Error unless 0 < alpha < 1.
double rate_upper_bound(const ErrorCount& count, double alpha = 0.05);

struct PairRates {
  float threshold = 0.0f;
  ErrorCount false_accepts;  // different-identity pairs
  ErrorCount false_rejects;  // same-identity pairs
};

// One entry per threshold, in the order given. `embeddings` need not be unit length (they are
// normalised as the gallery normalises); `labels[i]` is the identity of embeddings[i]. Throws
// fu::Error when sizes or dimensions disagree or an embedding cannot be normalised.
std::vector<PairRates> all_pairs_rates(const std::vector<std::vector<float>>& embeddings,
                                       const std::vector<int>& labels,
                                       const std::vector<float>& thresholds, int threads = 1);

struct EnrollmentProtocol {
  int templates = 5;  // web/lib/faceunlock.js enroll(): frames 5 by default
  int required = 3;   // unlock::DecisionFusion's defaults
  int window = 5;
};

struct EnrolledRates {
  float threshold = 0.0f;
  ErrorCount frame_false_accepts;
  ErrorCount frame_false_rejects;
  double fused_far = 0.0;
  double fused_frr = 0.0;
};

struct EnrolledReport {
  EnrollmentProtocol protocol;
  std::uint64_t users = 0;              // identities enrolled
  std::uint64_t genuine_attempts = 0;   // = users
  std::uint64_t impostor_attempts = 0;  // (user, other identity with >= window photos) pairs
  std::vector<EnrolledRates> levels;    // one per threshold, in the order given
};

// Photos keep their order within an identity (the first `templates` are enrolled). Throws
// fu::Error as all_pairs_rates() does, for a protocol outside 1 <= required <= window <=
// unlock::kMaxFusionWindow, 1 <= templates <= unlock::kMaxTemplatesPerUser, or when no identity
// has enough photos to be enrolled.
EnrolledReport enrolled_rates(const std::vector<std::vector<float>>& embeddings,
                              const std::vector<int>& labels, const std::vector<float>& thresholds,
                              const EnrollmentProtocol& protocol = {}, int threads = 1);

// The fraction of the window-sized subsets of `photos` photos, `accepted` of which accept, that
// hold at least `required` accepting photos (a hypergeometric tail). 0 when photos < window.
double fraction_of_windows_accepted(int photos, int accepted, int window, int required);
// The fraction of those subsets holding from `low` to `high` accepting photos.
double fraction_of_windows_with(int photos, int accepted, int window, int low, int high);

}  // namespace fu::train
