#include "unlock/liveness_challenge.h"

#include <cmath>
#include <cstdio>
#include <random>

#include "base/error.h"

namespace fu::unlock {

const char* turn_direction_name(TurnDirection direction) {
  return direction == TurnDirection::kLeft ? "left" : "right";
}

const char* turn_check_name(TurnCheck check) {
  switch (check) {
    case TurnCheck::kNone:
      return "none";
    case TurnCheck::kNoFace:
      return "no-face";
    case TurnCheck::kIdentity:
      return "identity";
    case TurnCheck::kLateral:
      return "lateral";
    case TurnCheck::kParallax:
      return "parallax";
    case TurnCheck::kScale:
      return "scale";
    case TurnCheck::kAspect:
      return "aspect";
    case TurnCheck::kSqueeze:
      return "squeeze";
  }
  return "unknown";
}

std::string TurnVerdict::text() const {
  if (failed == TurnCheck::kNone) return "";
  if (failed == TurnCheck::kNoFace) return "no face";
  char out[96];
  const bool above = failed == TurnCheck::kScale && value > bound;
  std::snprintf(out, sizeof out, "%s %.3f %s %.3g", turn_check_name(failed), value,
                above ? ">" : "<", bound);
  return out;
}

void check_liveness_options(const LivenessOptions& o) {
  const auto fail = [](const std::string& what) {
    throw Error("cannot set liveness options (" + what + ")");
  };
  if (!(std::isfinite(o.turn_ms) && o.turn_ms >= 500 && o.turn_ms <= 60'000)) {
    fail("turn_ms " + std::to_string(o.turn_ms) + "): it must be 500 to 60000 ms");
  }
  if (!(o.bounds.min_lateral > 0 && o.bounds.min_lateral <= 1)) {
    fail("min_lateral " + std::to_string(o.bounds.min_lateral) + "): it must be in (0, 1]");
  }
  if (!(o.bounds.min_parallax > 0 && o.bounds.min_parallax <= 2)) {
    fail("min_parallax " + std::to_string(o.bounds.min_parallax) + "): it must be in (0, 2]");
  }
  if (!(o.bounds.min_scale > 0 && o.bounds.min_scale <= 1 && o.bounds.max_scale >= 1 &&
        o.bounds.max_scale <= 4)) {
    fail("min_scale " + std::to_string(o.bounds.min_scale) + ", max_scale " +
         std::to_string(o.bounds.max_scale) + "): expected 0 < min_scale <= 1 <= max_scale <= 4");
  }
  if (!(o.bounds.min_aspect >= 0 && o.bounds.min_aspect <= 1)) {
    fail("min_aspect " + std::to_string(o.bounds.min_aspect) + "): it must be in [0, 1]");
  }
  if (!(o.bounds.min_squeeze >= 0 && o.bounds.min_squeeze <= 1)) {
    fail("min_squeeze " + std::to_string(o.bounds.min_squeeze) + "): it must be in [0, 1]");
  }
  if (!(o.bounds.max_judged_lateral == 0 || (o.bounds.max_judged_lateral >= o.bounds.min_lateral &&
                                             o.bounds.max_judged_lateral <= 2))) {
    fail("max_judged_lateral " + std::to_string(o.bounds.max_judged_lateral) +
         "): it must be 0 (judge every frame) or from min_lateral to 2");
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
  past_judged_range_ = false;
  step_start_ms_ = now_ms;
  failure_.clear();
  last_ = TurnMeasure{};
  verdict_ = TurnVerdict{};
  closest_ = TurnVerdict{};
  closest_lateral_ = -1e9;
}

HeadTurnChallenge::Status HeadTurnChallenge::add(const HeadPoints* points,
                                                 const FrameIdentity& identity, double now_ms) {
  if (status_ != Status::kRunning) return status_;
  // The geometry first, then the identity: a frame's verdict names the first check it failed.
  TurnVerdict v;
  double lateral = -1e9;
  if (points) {
    last_ = measure_turn(reference_, *points);
    const double sign = current() == TurnDirection::kLeft ? 1.0 : -1.0;
    lateral = sign * last_.lateral;
    const double parallax = sign * last_.parallax;
    const auto fail = [&](TurnCheck check, double value, double bound, int progress) {
      v = {check, value, bound, progress};
    };
    if (!last_.valid) {
      fail(TurnCheck::kNoFace, 0, 0, 0);
    } else if (lateral < options_.bounds.min_lateral) {
      fail(TurnCheck::kLateral, lateral, options_.bounds.min_lateral, 1);
    } else if (parallax < options_.bounds.min_parallax) {
      fail(TurnCheck::kParallax, parallax, options_.bounds.min_parallax, 2);
    } else if (last_.scale < options_.bounds.min_scale) {
      fail(TurnCheck::kScale, last_.scale, options_.bounds.min_scale, 3);
    } else if (last_.scale > options_.bounds.max_scale) {
      fail(TurnCheck::kScale, last_.scale, options_.bounds.max_scale, 3);
    } else if (last_.aspect < options_.bounds.min_aspect) {
      fail(TurnCheck::kAspect, last_.aspect, options_.bounds.min_aspect, 4);
    } else if (last_.squeeze < options_.bounds.min_squeeze) {
      fail(TurnCheck::kSqueeze, last_.squeeze, options_.bounds.min_squeeze, 5);
    } else if (!identity.ok) {
      fail(TurnCheck::kIdentity, identity.score, identity.threshold, 6);
    } else {
      fail(TurnCheck::kNone, 0, 0, 7);
    }
  }
  verdict_ = v;
  if (v.progress > closest_.progress ||
      (v.progress == closest_.progress && lateral > closest_lateral_)) {
    closest_ = v;
    closest_lateral_ = lateral;
  }
  past_judged_range_ = options_.bounds.max_judged_lateral > 0 &&
                       lateral >= options_.bounds.max_judged_lateral &&
                       (v.failed == TurnCheck::kAspect || v.failed == TurnCheck::kSqueeze);
  if (v.failed == TurnCheck::kNone) {
    ++streak_;
  } else if (!past_judged_range_) {
    streak_ = 0;
  }
  if (streak_ >= options_.frames_needed) {
    ++step_;
    streak_ = 0;
    step_start_ms_ = now_ms;
    closest_ = TurnVerdict{};
    closest_lateral_ = -1e9;
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
