#include "train/lr_schedule.h"

#include <cmath>
#include <string>

#include "base/error.h"

namespace fu::train {
namespace {

[[noreturn]] void fail(const std::string& value, const std::string& reason) {
  throw Error("cannot use learning-rate schedule (" + value + "): " + reason);
}

void check_fraction(const char* name, float v) {
  if (!(v >= 0.0f && v <= 1.0f)) fail(std::string(name) + " " + std::to_string(v), "not in [0, 1]");
}

}  // namespace

void validate_lr_schedule(const LrSchedule& s) {
  if (s.kind != LrScheduleKind::kConstant && s.kind != LrScheduleKind::kWarmupCosine) {
    fail("kind " + std::to_string(static_cast<int>(s.kind)), "unknown kind");
  }
  if (!std::isfinite(s.base_lr) || s.base_lr < 0.0f) {
    fail("base_lr " + std::to_string(s.base_lr), "must be finite and >= 0");
  }
  check_fraction("warmup_start_fraction", s.warmup_start_fraction);
  check_fraction("final_fraction", s.final_fraction);
  if (s.warmup_steps < 0) fail("warmup_steps " + std::to_string(s.warmup_steps), "negative");
  if (s.total_steps < 0) fail("total_steps " + std::to_string(s.total_steps), "negative");
  if (s.warmup_steps > s.total_steps) {
    fail("warmup_steps " + std::to_string(s.warmup_steps) + " > total_steps " +
             std::to_string(s.total_steps),
         "the warm-up must fit in the run");
  }
}

float learning_rate(const LrSchedule& s, std::int64_t step) {
  validate_lr_schedule(s);
  if (step < 0) fail("step " + std::to_string(step), "negative");
  const double base = s.base_lr;
  if (step < s.warmup_steps) {
    const double f0 = s.warmup_start_fraction;
    return static_cast<float>(
        base * (f0 + (1.0 - f0) * static_cast<double>(step) / static_cast<double>(s.warmup_steps)));
  }
  if (s.kind == LrScheduleKind::kConstant) return s.base_lr;
  const double f1 = s.final_fraction;
  if (step >= s.total_steps) return static_cast<float>(base * f1);
  const double p = static_cast<double>(step - s.warmup_steps) /
                   static_cast<double>(s.total_steps - s.warmup_steps);
  const double pi = 3.14159265358979323846;
  return static_cast<float>(base * (f1 + (1.0 - f1) * 0.5 * (1.0 + std::cos(pi * p))));
}

}  // namespace fu::train
