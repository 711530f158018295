#include "unlock/lockout.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "base/error.h"

namespace fu::unlock {

void check_lockout_policy(const LockoutPolicy& p) {
  const std::string object =
      "cannot set lockout policy (max_attempts " + std::to_string(p.max_attempts) + ", lock_ms " +
      std::to_string(p.lock_ms) + ", max_lock_ms " + std::to_string(p.max_lock_ms) + "): ";
  if (p.max_attempts < 1) throw Error(object + "max_attempts must be at least 1");
  if (!(std::isfinite(p.lock_ms) && p.lock_ms > 0)) {
    throw Error(object + "lock_ms must be a positive number");
  }
  if (!(std::isfinite(p.max_lock_ms) && p.max_lock_ms >= p.lock_ms)) {
    throw Error(object + "max_lock_ms must be a number >= lock_ms");
  }
}

Lockout::Lockout(const LockoutPolicy& policy, Clock clock)
    : policy_(policy), clock_(std::move(clock)) {
  check_lockout_policy(policy_);
  if (!clock_) throw Error("cannot create lockout (no clock): a clock is required");
}

double Lockout::remaining_ms() const {
  if (state_.lock_ms <= 0) return 0;
  const double left = state_.locked_at + state_.lock_ms - clock_();
  // A clock set back must not stretch a 30 s lock into days: never more than the lock itself.
  return std::clamp(left, 0.0, state_.lock_ms);
}

LockoutStatus Lockout::status() const {
  const double retry = std::ceil(remaining_ms());
  return {retry > 0, retry, state_.failures};
}

LockoutStatus Lockout::record_failure() {
  ++state_.seq;
  ++state_.failures;
  ++state_.since_lock;
  if (state_.since_lock >= static_cast<std::uint64_t>(policy_.max_attempts)) {
    // The exponent is capped only so the power stays finite; max_lock_ms is the real limit.
    const double doubled =
        policy_.lock_ms *
        std::pow(2.0, static_cast<double>(std::min<std::uint64_t>(state_.locks, 40)));
    state_.lock_ms = std::min(doubled, policy_.max_lock_ms);
    state_.locked_at = clock_();
    ++state_.locks;
    state_.since_lock = 0;
  }
  return status();
}

bool Lockout::record_success() {
  if (state_.failures == 0 && state_.since_lock == 0 && state_.locks == 0 && state_.lock_ms == 0) {
    return false;
  }
  const std::uint64_t seq = state_.seq + 1;
  state_ = LockoutState{};
  state_.seq = seq;
  return true;
}

bool Lockout::restore(const LockoutState& saved) {
  const auto time_ok = [](double t) { return std::isfinite(t) && t >= 0; };
  if (!time_ok(saved.locked_at) || !time_ok(saved.lock_ms)) return false;
  if (saved.seq < state_.seq) return false;
  state_ = saved;
  // A lock saved under a longer cap (or edited by hand) ends by this policy's cap.
  state_.lock_ms = std::min(saved.lock_ms, policy_.max_lock_ms);
  return true;
}

}  // namespace fu::unlock
