// Thresholds at named false-accept rates chosen over several calibration populations with a
// stated safety margin, so that a level named "FAR 1e-4" keeps that rate on faces nobody
// calibrated on (issue 8: thresholds calibrated on LFW View 1 alone let 3 to 6 times their named
// rate of strangers through on an outside set of photos).
//
// The rule, for a target false-accept rate f:
// 1. Per population p (its N_p different-identity pairs): t_p is the lowest threshold whose
//    false accepts k stay within k*_p, the largest count with P(Poisson(f N_p) <= k*_p) <= alpha.
//    Were the true rate at t_p as high as f, so few false accepts would be seen with probability
//    at most alpha: t_p is a one-sided (1 - alpha) confidence bound, not the point estimate.
//    It treats pairs as independent, which pairs sharing a photo are not, so it understates the
//    uncertainty; step 3 is the larger part of the margin.
// 2. spread = max_p t_p - min_p t_p: how far the threshold moves from one population to another.
// 3. threshold = max_p t_p + spread: a population we have not seen is assumed to lie no further
//    beyond the strictest one than the populations we have lie from each other. With a single
//    population there is no spread to measure and the result says so (margin 0).
// A population with f N_p below about 3 (ln(1 / alpha)) cannot show rate f and is left out of
// that level; a level no population can show is not calibrated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/metrics.h"

namespace fu::train {

struct CalibrationPopulation {
  std::string name;
  RocCurve roc;  // all same-identity and all different-identity pairs of its photos
};

struct MarginRule {
  double alpha = 0.05;     // step 1: one-sided confidence 1 - alpha
  bool add_spread = true;  // step 3
};

// The largest count k with P(Poisson(expected) <= k) <= alpha, or -1 when even 0 false accepts
// is too likely (expected < ln(1 / alpha)). Throws fu::Error unless expected >= 0 and
// 0 < alpha < 1.
std::int64_t allowed_false_accepts(double expected, double alpha);

// The operating point of `roc` at `threshold`, rounded towards accepting more: the point of the
// highest curve threshold <= `threshold`, so its FAR is an upper bound of the rate at
// `threshold` (the histogram curves of pair_scores.h have points only at bin edges).
RocPoint point_at_or_below(const RocCurve& roc, float threshold);

struct PopulationThreshold {
  std::string population;
  std::uint64_t different_pairs = 0;
  bool measurable = false;  // f N_p is large enough; the fields below are 0 otherwise
  std::int64_t allowed_false_accepts = 0;  // k*_p
  float point_threshold = 0.0f;            // threshold_at_far(): the point estimate, for comparison
  float threshold = 0.0f;                  // t_p, the confidence bound
  double far = 0.0;                        // observed at t_p
  double tar = 0.0;                        // observed at t_p
};

// How the chosen threshold does on one population (point_at_or_below).
struct PopulationCheck {
  std::string population;
  double far = 0.0;
  double tar = 0.0;
  std::uint64_t false_accepts = 0;
};

struct LevelThreshold {
  double target_far = 0.0;
  std::vector<PopulationThreshold> populations;  // in the input's order
  bool calibrated = false;                       // some population could show this rate
  int populations_used = 0;                      // the measurable ones
  float strictest = 0.0f;                        // max t_p
  float spread = 0.0f;                           // max t_p - min t_p
  // The chosen threshold, strictest + spread, rounded up to a multiple of 1e-6 so that writing
  // it with 6 decimals never loosens it, and at least the previous (looser) level's threshold.
  float threshold = 0.0f;
  std::vector<PopulationCheck> checks;  // in the input's order
};

// One level per target, in the order given (loosest first, e.g. 1e-3, 1e-4, 2e-5). Throws
// fu::Error for no populations, a population without same- or different-identity pairs, a
// target outside (0, 1) or targets not in falling order.
std::vector<LevelThreshold> calibrate_levels(const std::vector<CalibrationPopulation>& populations,
                                             const std::vector<double>& target_fars,
                                             const MarginRule& rule = {});

}  // namespace fu::train
