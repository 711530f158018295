#include "unlock/liveness_challenge.h"

#include <cmath>
#include <random>

#include "base/error.h"

namespace fu::unlock {

const char* turn_direction_name(TurnDirection direction) {
  return direction == TurnDirection::kLeft ? "left" : "right";
}

void check_liveness_options(const LivenessOptions& o) {
  const auto fail = [](const std::string& what) {
    throw Error("cannot set liveness options (" + what + ")");
  };
  if (!(std::isfinite(o.turn_ms) && o.turn_ms >= 500 && o.turn_ms <= 60'000)) {
    fail("turn_ms " + std::to_string(o.turn_ms) + "): it must be 500 to 60000 ms");
  }
  if (!(o.min_lateral > 0 && o.min_lateral <= 1)) {
    fail("min_lateral " + std::to_string(o.min_lateral) + "): it must be in (0, 1]");
  }
  if (!(o.min_parallax > 0 && o.min_parallax <= 2)) {
    fail("min_parallax " + std::to_string(o.min_parallax) + "): it must be in (0, 2]");
  }
  if (!(o.min_scale > 0 && o.min_scale <= 1 && o.max_scale >= 1 && o.max_scale <= 4)) {
    fail("min_scale " + std::to_string(o.min_scale) + ", max_scale " + std::to_string(o.max_scale) +
         "): expected 0 < min_scale <= 1 <= max_scale <= 4");
  }
  if (!(o.min_aspect >= 0 && o.min_aspect <= 1)) {
    fail("min_aspect " + std::to_string(o.min_aspect) + "): it must be in [0, 1]");
  }
  if (o.frames_needed < 1 || o.frames_needed > 30) {
    fail("frames_needed " + std::to_string(o.frames_needed) + "): it must be 1 to 30");
  }
  if (!(o.max_start_yaw > 0 && o.max_start_yaw <= 1)) {
    fail("max_start_yaw " + std::to_string(o.max_start_yaw) + "): it must be in (0, 1]");
  }
  if (o.identity_misses_allowed < 0 || o.identity_misses_allowed > 30) {
    fail("identity_misses_allowed " + std::to_string(o.identity_misses_allowed) +
         "): it must be 0 to 30");
  }
}

HeadTurnChallenge::HeadTurnChallenge(const LivenessOptions& options, std::uint64_t order_seed)
    : options_(options), turns_{TurnDirection::kLeft, TurnDirection::kRight} {
  check_liveness_options(options_);
  std::mt19937_64 random(order_seed);
  if (random() & 1) std::swap(turns_[0], turns_[1]);
}

void HeadTurnChallenge::start(const HeadPoints& reference, double now_ms) {
  reference_ = reference;
  status_ = Status::kRunning;
  step_ = 0;
  streak_ = 0;
  step_start_ms_ = now_ms;
  failure_.clear();
  last_ = TurnMeasure{};
}

HeadTurnChallenge::Status HeadTurnChallenge::add(const HeadPoints* points, bool identity_ok,
                                                 double now_ms) {
  if (status_ != Status::kRunning) return status_;
  bool shows_turn = false;
  if (points) {
    last_ = measure_turn(reference_, *points);
    const double sign = current() == TurnDirection::kLeft ? 1.0 : -1.0;
    shows_turn = identity_ok && last_.valid && sign * last_.lateral >= options_.min_lateral &&
                 sign * last_.parallax >= options_.min_parallax &&
                 last_.scale >= options_.min_scale && last_.scale <= options_.max_scale &&
                 last_.aspect >= options_.min_aspect;
  }
  streak_ = shows_turn ? streak_ + 1 : 0;
  if (streak_ >= options_.frames_needed) {
    ++step_;
    streak_ = 0;
    step_start_ms_ = now_ms;
    if (step_ == steps()) status_ = Status::kPassed;
    return status_;
  }
  if (now_ms - step_start_ms_ > options_.turn_ms) {
    status_ = Status::kFailed;
    failure_ = std::string("the head did not turn to the ") + turn_direction_name(current()) +
               " in time (a photo or a screen cannot)";
  }
  return status_;
}

}  // namespace fu::unlock
