// The learning rate as a pure function of the step (0-based), so a resumed run continues the
// schedule from its step count alone.
//
// With W = warmup_steps, T = total_steps, base = base_lr:
//   step < W:        lr = base * (f0 + (1 - f0) * step / W)        linear warm-up from f0 * base
//   W <= step < T:   constant:      lr = base
//                    cosine:        lr = base * (f1 + (1 - f1) * (1 + cos(pi * p)) / 2),
//                                   p = (step - W) / (T - W)       from base down to f1 * base
//   step >= T:       constant: base;  cosine: f1 * base
// where f0 = warmup_start_fraction and f1 = final_fraction. Warm-up keeps the first steps of a
// freshly initialised network (or a new head on a pretrained one) from overshooting.
#pragma once

#include <cstdint>

namespace fu::train {

enum class LrScheduleKind { kConstant, kWarmupCosine };

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::kWarmupCosine;
  float base_lr = 0.01f;
  std::int64_t warmup_steps = 0;
  float warmup_start_fraction = 0.0f;  // f0, in [0, 1]
  std::int64_t total_steps = 1;        // T; cosine reaches f1 * base here
  float final_fraction = 0.0f;         // f1, in [0, 1]
};

// Throws fu::Error for a base rate that is not finite and >= 0, fractions outside [0, 1],
// negative step counts, or warm-up longer than the total.
void validate_lr_schedule(const LrSchedule& schedule);

// The rate for `step` (validated as above; a negative step throws).
float learning_rate(const LrSchedule& schedule, std::int64_t step);

}  // namespace fu::train
