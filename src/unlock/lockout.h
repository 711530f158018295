// The lockout policy: after `max_attempts` failed unlocks in a row, refuse to try again for a
// while, so someone holding the device cannot show photo after photo. Each lock lasts twice as
// long as the one before (up to `max_lock_ms`); only a successful unlock forgives.
//
// Pure state and arithmetic on an injected clock; the state is a plain struct so the caller can
// keep it wherever it likes (the JavaScript library keeps it in its store's meta entry, so a
// reload does not forgive failures).
#pragma once

#include <cstdint>

#include "unlock/clock.h"

namespace fu::unlock {

struct LockoutPolicy {
  int max_attempts = 5;
  double lock_ms = 30'000;
  double max_lock_ms = 15 * 60'000;
};

// Throws fu::Error "cannot set lockout policy (...): ..." unless max_attempts >= 1,
// lock_ms > 0 and max_lock_ms >= lock_ms, all finite.
void check_lockout_policy(const LockoutPolicy& policy);

// Everything the lockout remembers; what a caller persists and hands back to restore().
struct LockoutState {
  // Bumped on every change, so the newer of two copies (two tabs) can be told apart without
  // trusting the clock.
  std::uint64_t seq = 0;
  std::uint64_t failures = 0;    // failed unlocks since the last success
  std::uint64_t since_lock = 0;  // failed unlocks since the last lock began
  std::uint64_t locks = 0;       // locks since the last success (sets the next one's length)
  double locked_at = 0;          // clock ms when the current or last lock began; 0 without one
  double lock_ms = 0;            // how long that lock lasts
};

struct LockoutStatus {
  bool locked = false;
  double retry_after_ms = 0;  // whole milliseconds, 0 when not locked
  std::uint64_t failures = 0;
};

class Lockout {
 public:
  // Throws like check_lockout_policy.
  Lockout(const LockoutPolicy& policy, Clock clock);

  LockoutStatus status() const;
  // One unlock attempt that failed. Starts a lock when it is the max_attempts-th since the last
  // lock (or success); after a lock ends a fresh allowance begins, but the next lock is twice as
  // long.
  LockoutStatus record_failure();
  // A successful unlock forgives every failure and lock. Returns whether there was anything to
  // forget (so that callers can skip saving).
  bool record_success();

  const LockoutState& state() const { return state_; }
  const LockoutPolicy& policy() const { return policy_; }
  // Adopts `saved` when it is well-formed (finite, non-negative times) and at least as new
  // (seq) as the current state, since another tab may have recorded attempts. Returns whether it
  // was adopted; a malformed state is ignored, never thrown: damaged bookkeeping must not stop the
  // owner from unlocking.
  bool restore(const LockoutState& saved);

 private:
  double remaining_ms() const;

  LockoutPolicy policy_;
  Clock clock_;
  LockoutState state_;
};

}  // namespace fu::unlock
