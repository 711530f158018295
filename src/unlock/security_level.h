// The security levels a model offers, read from its calibrated thresholds (docs/model-metadata.md):
// `embedder.threshold.far_1e-3`, `far_1e-4` and `far_2e-5` are the cosine similarities at which
// `faceunlock calibrate` measured those false-accept rates. A level is named by its rate ("1e-3").
// The model's own `embedder.threshold` (best accuracy on its calibration pairs) is kept for
// evaluation but is not a level: it accepted one stranger in 76 on faces nobody calibrated on
// (issue 8), so no level is looser than 1e-3.
//
// This is the one reader of those keys: the gallery CLI, evaluation, the browser engine and the
// unlock session all go through it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nn/model.h"

namespace fu::unlock {

struct SecurityLevel {
  std::string name;              // "1e-3", "1e-4", "2e-5"
  double false_accept_rate = 0;  // 1e-3, ...
  float threshold = 0.0f;        // accept when the cosine similarity is >= this
};

// The level names the library knows, loosest first.
const std::vector<std::string>& security_level_names();

// `name` with the documented aliases resolved: "balanced" -> "1e-3", "strict" -> "1e-4" (the
// names the JavaScript library used before levels were named by rate), and "convenience" ->
// "1e-3" (it used to be the model's own threshold, which is far looser than its name suggested;
// it now means the loosest level offered). Throws fu::Error for any other unknown name.
std::string canonical_level_name(const std::string& name);

class CalibratedLevels {
 public:
  // Reads the thresholds from `metadata`. Throws fu::Error "cannot read calibrated thresholds
  // (<model>): ..." when a present key does not hold a number in -1..1, or when the levels are
  // not ordered (a stricter rate needs a higher threshold). Absent keys are simply not offered.
  explicit CalibratedLevels(const nn::ModelMetadata& metadata);
  // For tests and models built in code: thresholds by canonical level name.
  CalibratedLevels(std::string model_name, std::optional<float> model_threshold,
                   const std::map<std::string, float>& by_level);

  // The levels the model carries, loosest first.
  const std::vector<SecurityLevel>& levels() const { return levels_; }
  // `embedder.threshold`, when present.
  std::optional<float> model_threshold() const { return model_threshold_; }
  // The level called `name` (aliases allowed). Throws fu::Error naming the levels this model does
  // offer when it lacks this one (run `faceunlock calibrate`).
  const SecurityLevel& level(const std::string& name) const;

 private:
  void check_order() const;

  std::string model_name_;
  std::optional<float> model_threshold_;
  std::vector<SecurityLevel> levels_;
};

}  // namespace fu::unlock
