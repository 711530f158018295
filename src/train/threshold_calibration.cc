#include "train/threshold_calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace fu::train {

std::int64_t allowed_false_accepts(double expected, double alpha) {
  if (!(expected >= 0.0) || !std::isfinite(expected) || !(alpha > 0.0 && alpha < 1.0)) {
    throw Error("cannot bound false accepts (expected " + std::to_string(expected) + ", alpha " +
                std::to_string(alpha) + "): needs expected >= 0 and 0 < alpha < 1");
  }
  // The CDF summed term by term in log space: exp(-expected) alone underflows for the tens of
  // thousands of false accepts a large population expects. It passes alpha before the mean, so
  // the loop is bounded by expected + 1 terms.
  double cdf = 0.0;
  std::int64_t k = 0;
  for (;; ++k) {
    const double log_term =
        expected > 0.0
            ? -expected + k * std::log(expected) - std::lgamma(static_cast<double>(k) + 1.0)
            : (k == 0 ? 0.0 : -std::numeric_limits<double>::infinity());
    cdf += std::exp(log_term);
    if (cdf > alpha) return k - 1;
  }
}

RocPoint point_at_or_below(const RocCurve& roc, float threshold) {
  // Points fall in threshold; the first one at or below `threshold` accepts the fewest pairs
  // among those that accept at least every pair scoring >= threshold.
  for (const RocPoint& p : roc.points) {
    if (p.threshold <= threshold) return p;
  }
  return roc.points.empty() ? RocPoint{} : roc.points.back();
}

namespace {

PopulationThreshold population_threshold(const CalibrationPopulation& population, double target_far,
                                         double alpha) {
  PopulationThreshold t;
  t.population = population.name;
  t.different_pairs = population.roc.different_pairs;
  const std::int64_t allowed =
      allowed_false_accepts(target_far * static_cast<double>(t.different_pairs), alpha);
  if (allowed < 0) return t;
  const RocPoint* chosen = nullptr;
  for (const RocPoint& p : population.roc.points) {
    if (p.false_accepts > static_cast<std::uint64_t>(allowed)) break;
    chosen = &p;
  }
  // Only the accept-nothing point qualifies: the top scores alone are too many false accepts.
  if (chosen == nullptr || !std::isfinite(chosen->threshold)) return t;
  t.measurable = true;
  t.allowed_false_accepts = allowed;
  t.threshold = chosen->threshold;
  t.far = chosen->far;
  t.tar = chosen->tar;
  const TarAtFar point = tar_at_far(population.roc, target_far);
  t.point_threshold = point.measurable ? point.threshold : t.threshold;
  return t;
}

// Up to the next multiple of 1e-6, never below `value`: thresholds are written with 6 decimals.
float round_up_micro(float value) {
  const float rounded = static_cast<float>(std::ceil(static_cast<double>(value) * 1e6) / 1e6);
  return rounded < value ? std::nextafter(rounded, std::numeric_limits<float>::infinity())
                         : rounded;
}

}  // namespace

std::vector<LevelThreshold> calibrate_levels(const std::vector<CalibrationPopulation>& populations,
                                             const std::vector<double>& target_fars,
                                             const MarginRule& rule) {
  if (populations.empty()) throw Error("cannot calibrate thresholds (0 populations): none given");
  for (const CalibrationPopulation& p : populations) {
    if (p.roc.same_pairs == 0 || p.roc.different_pairs == 0) {
      throw Error("cannot calibrate thresholds (population " + p.name +
                  "): it needs same-identity and different-identity pairs (has " +
                  std::to_string(p.roc.same_pairs) + " and " +
                  std::to_string(p.roc.different_pairs) + ")");
    }
  }
  for (std::size_t i = 0; i < target_fars.size(); ++i) {
    const double f = target_fars[i];
    if (!(f > 0.0 && f < 1.0) || (i > 0 && !(f < target_fars[i - 1]))) {
      throw Error("cannot calibrate thresholds (target FAR " + std::to_string(f) +
                  "): targets must lie in (0, 1) and fall from the loosest to the strictest");
    }
  }
  std::vector<LevelThreshold> levels;
  float looser = -std::numeric_limits<float>::infinity();
  for (const double f : target_fars) {
    LevelThreshold level;
    level.target_far = f;
    float low = std::numeric_limits<float>::infinity();
    float high = -std::numeric_limits<float>::infinity();
    for (const CalibrationPopulation& p : populations) {
      level.populations.push_back(population_threshold(p, f, rule.alpha));
      const PopulationThreshold& t = level.populations.back();
      if (!t.measurable) continue;
      ++level.populations_used;
      low = std::min(low, t.threshold);
      high = std::max(high, t.threshold);
    }
    level.calibrated = level.populations_used > 0;
    if (level.calibrated) {
      level.strictest = high;
      level.spread = high - low;
      const float margin = rule.add_spread ? level.spread : 0.0f;
      // A stricter level may never sit below a looser one: its name would then promise a rate
      // the looser level's threshold does not even claim.
      level.threshold = std::max(round_up_micro(high + margin), looser);
      looser = level.threshold;
      for (const CalibrationPopulation& p : populations) {
        const RocPoint at = point_at_or_below(p.roc, level.threshold);
        level.checks.push_back({p.name, at.far, at.tar, at.false_accepts});
      }
    }
    levels.push_back(std::move(level));
  }
  return levels;
}

}  // namespace fu::train
