#include "unlock/security_level.h"

#include <cmath>
#include <sstream>

#include "base/error.h"

namespace fu::unlock {
namespace {

struct KnownLevel {
  const char* name;
  double rate;
};

// Loosest first. 2e-5 is Android's bar for its weakest biometric class.
constexpr KnownLevel kKnownLevels[] = {{"1e-3", 1e-3}, {"1e-4", 1e-4}, {"2e-5", 2e-5}};

const std::string kModelKey = "embedder.threshold";
const std::string kLevelPrefix = "embedder.threshold.far_";

std::string join(const std::vector<SecurityLevel>& levels) {
  std::string out;
  for (const SecurityLevel& l : levels) out += (out.empty() ? "'" : ", '") + l.name + "'";
  return out.empty() ? "none" : out;
}

// A threshold as written by `calibrate` (C locale); nullopt when it is not one.
std::optional<float> parse_threshold(const std::string& text) {
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  double value = 0;
  in >> value;
  if (text.empty() || in.fail() || !in.eof() || !std::isfinite(value) || value < -1.0 ||
      value > 1.0) {
    return std::nullopt;
  }
  return static_cast<float>(value);
}

}  // namespace

const std::vector<std::string>& security_level_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const KnownLevel& k : kKnownLevels) out.push_back(k.name);
    return out;
  }();
  return names;
}

std::string canonical_level_name(const std::string& name) {
  if (name == "balanced" || name == "convenience") return "1e-3";
  if (name == "strict") return "1e-4";
  for (const KnownLevel& k : kKnownLevels) {
    if (name == k.name) return name;
  }
  throw Error("cannot choose security level ('" + name +
              "'): unknown; use '1e-3', '1e-4' or '2e-5' (the false-accept rate), or the aliases " +
              "'balanced' (1e-3) and 'strict' (1e-4)");
}

CalibratedLevels::CalibratedLevels(const nn::ModelMetadata& metadata) : model_name_(metadata.name) {
  const std::string object = "cannot read calibrated thresholds (model " + metadata.name + "): ";
  const auto& props = metadata.properties;
  if (auto it = props.find(kModelKey); it != props.end()) {
    model_threshold_ = parse_threshold(it->second);
    if (!model_threshold_) {
      throw Error(object + kModelKey + " is '" + it->second + "', expected a number from -1 to 1");
    }
  }
  for (const KnownLevel& k : kKnownLevels) {
    const std::string key = kLevelPrefix + k.name;
    auto it = props.find(key);
    if (it == props.end()) continue;
    const std::optional<float> value = parse_threshold(it->second);
    if (!value) {
      throw Error(object + key + " is '" + it->second + "', expected a number from -1 to 1");
    }
    levels_.push_back({k.name, k.rate, *value});
  }
  check_order();
}

CalibratedLevels::CalibratedLevels(std::string model_name, std::optional<float> model_threshold,
                                   const std::map<std::string, float>& by_level)
    : model_name_(std::move(model_name)), model_threshold_(model_threshold) {
  for (const KnownLevel& k : kKnownLevels) {
    if (auto it = by_level.find(k.name); it != by_level.end()) {
      if (!std::isfinite(it->second) || it->second < -1.0f || it->second > 1.0f) {
        throw Error("cannot read calibrated thresholds (model " + model_name_ + "): level " +
                    k.name + " has threshold " + std::to_string(it->second) +
                    ", expected a number from -1 to 1");
      }
      levels_.push_back({k.name, k.rate, it->second});
    }
  }
  for (const auto& [name, value] : by_level) canonical_level_name(name);  // rejects unknown names
  check_order();
}

void CalibratedLevels::check_order() const {
  for (std::size_t i = 1; i < levels_.size(); ++i) {
    // A stricter rate at a lower threshold would mean the calibration (or a hand edit) is broken:
    // choosing "strict" would then accept more strangers than "balanced".
    if (levels_[i].threshold < levels_[i - 1].threshold) {
      throw Error("cannot read calibrated thresholds (model " + model_name_ + "): level " +
                  levels_[i].name + " has threshold " + std::to_string(levels_[i].threshold) +
                  ", below level " + levels_[i - 1].name + "'s " +
                  std::to_string(levels_[i - 1].threshold) + "; recalibrate the model");
    }
  }
}

const SecurityLevel& CalibratedLevels::level(const std::string& name) const {
  const std::string canonical = canonical_level_name(name);
  for (const SecurityLevel& l : levels_) {
    if (l.name == canonical) return l;
  }
  throw Error("cannot choose security level ('" + name + "'): model " + model_name_ +
              " carries no " + kLevelPrefix + canonical + " (it offers " + join(levels_) +
              "); run 'faceunlock calibrate' on it");
}

}  // namespace fu::unlock
