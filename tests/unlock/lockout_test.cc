#include "unlock/lockout.h"

#include <gtest/gtest.h>

#include <limits>

#include "base/error.h"

namespace fu::unlock {
namespace {

struct FakeClock {
  double t = 1'700'000'000'000.0;
  Clock clock() {
    return [this] { return t; };
  }
};

LockoutStatus fail(Lockout& l, int n) {
  for (int i = 0; i < n; ++i) l.record_failure();
  return l.status();
}

void expect_status(const LockoutStatus& s, bool locked, double retry, std::uint64_t failures) {
  EXPECT_EQ(s.locked, locked);
  EXPECT_EQ(s.retry_after_ms, retry);
  EXPECT_EQ(s.failures, failures);
}

TEST(Lockout, FiveFailuresLockFor30sThenDoubleUpToTheCap) {
  FakeClock c;
  LockoutPolicy policy;
  policy.max_lock_ms = 100'000;
  Lockout l(policy, c.clock());
  expect_status(l.status(), false, 0, 0);
  expect_status(fail(l, 4), false, 0, 4);
  expect_status(fail(l, 1), true, 30'000, 5);
  c.t += 29'999;
  expect_status(l.status(), true, 1, 5);
  c.t += 1;
  expect_status(l.status(), false, 0, 5);
  // A fresh allowance after each lock, but a longer lock.
  EXPECT_FALSE(fail(l, 4).locked);
  expect_status(fail(l, 1), true, 60'000, 10);
  c.t += 60'000;
  EXPECT_EQ(fail(l, 5).retry_after_ms, 100'000) << "120 s capped at max_lock_ms";
  c.t += 100'000;
  EXPECT_EQ(fail(l, 5).retry_after_ms, 100'000);
}

TEST(Lockout, DefaultsAreFiveAttempts30sAnd15min) {
  const LockoutPolicy p;
  EXPECT_EQ(p.max_attempts, 5);
  EXPECT_EQ(p.lock_ms, 30'000);
  EXPECT_EQ(p.max_lock_ms, 900'000);
}

TEST(Lockout, SuccessForgivesEverything) {
  FakeClock c;
  Lockout l(LockoutPolicy{}, c.clock());
  fail(l, 5);
  c.t += 30'000;
  fail(l, 5);
  EXPECT_EQ(l.status().retry_after_ms, 60'000);
  EXPECT_TRUE(l.record_success());
  expect_status(l.status(), false, 0, 0);
  EXPECT_FALSE(l.record_success()) << "nothing left to forget, nothing to save";
  EXPECT_EQ(fail(l, 5).retry_after_ms, 30'000);
}

TEST(Lockout, ClockSetBackNeverStretchesALock) {
  FakeClock c;
  Lockout l(LockoutPolicy{}, c.clock());
  fail(l, 5);
  c.t -= 86'400'000;
  EXPECT_EQ(l.status().retry_after_ms, 30'000);
}

TEST(Lockout, StateRoundTripsAndStaleOrMalformedCopiesAreIgnored) {
  FakeClock c;
  LockoutPolicy policy;
  policy.max_attempts = 2;
  Lockout a(policy, c.clock());
  fail(a, 2);
  const LockoutState saved = a.state();

  Lockout b(policy, c.clock());
  EXPECT_TRUE(b.restore(saved));
  expect_status(b.status(), true, 30'000, 2);
  // An older copy (lower seq) must not undo what this one recorded since.
  b.record_success();
  EXPECT_FALSE(b.restore(saved));
  EXPECT_FALSE(b.status().locked);

  for (double bad :
       {-1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    Lockout fresh(policy, c.clock());
    LockoutState s = saved;
    s.locked_at = bad;
    EXPECT_FALSE(fresh.restore(s));
    s = saved;
    s.lock_ms = bad;
    EXPECT_FALSE(fresh.restore(s));
    EXPECT_FALSE(fresh.status().locked);
  }
}

TEST(Lockout, RestoredLockEndsByThisPolicysCap) {
  FakeClock c;
  Lockout l(LockoutPolicy{}, c.clock());
  LockoutState s;
  s.seq = 3;
  s.failures = 50;
  s.locks = 10;
  s.locked_at = c.t;
  s.lock_ms = 1e12;
  EXPECT_TRUE(l.restore(s));
  EXPECT_EQ(l.status().retry_after_ms, 900'000);
}

TEST(Lockout, RejectsPoliciesThatMakeNoSense) {
  FakeClock c;
  LockoutPolicy p;
  p.max_attempts = 0;
  EXPECT_THROW(Lockout(p, c.clock()), Error);
  p = {};
  p.lock_ms = 0;
  EXPECT_THROW(Lockout(p, c.clock()), Error);
  p = {};
  p.max_lock_ms = 1000;
  EXPECT_THROW(Lockout(p, c.clock()), Error);
  EXPECT_THROW(Lockout(LockoutPolicy{}, Clock{}), Error);
}

}  // namespace
}  // namespace fu::unlock
