/**
 * @file The lockout policy: after `maxAttempts` failed unlocks in a row, refuse to try again for
 * a while, so someone holding the device cannot show photo after photo. Each lock lasts twice as
 * long as the one before (up to `maxLockMs`); only a successful unlock forgives.
 *
 * Pure state and arithmetic with an injected clock, so it can be tested without waiting and kept
 * (toJSON/restore) wherever the caller likes; FaceUnlock keeps it in the store's meta entry.
 */

import { FaceUnlockError } from './errors.js';

export const LOCKOUT_DEFAULTS = Object.freeze({
  maxAttempts: 5,
  lockMs: 30_000,
  maxLockMs: 15 * 60_000,
});

/** Layout version of toJSON(); restore() ignores anything else. */
const STATE_VERSION = 1;

/**
 * Validates FaceUnlock's `lockout` option.
 * @param {{maxAttempts?: number, lockMs?: number, maxLockMs?: number} | false | undefined} option
 * @returns {{maxAttempts: number, lockMs: number, maxLockMs: number} | null} null when disabled
 */
export function lockoutOptions(option) {
  if (option === false) return null;
  if (option !== undefined && (option === null || typeof option !== 'object')) {
    throw new FaceUnlockError('invalid-argument',
        'lockout must be false or an object { maxAttempts, lockMs, maxLockMs }');
  }
  const maxAttempts = option?.maxAttempts ?? LOCKOUT_DEFAULTS.maxAttempts;
  const lockMs = option?.lockMs ?? LOCKOUT_DEFAULTS.lockMs;
  // A cap below the first lock would make the first lock the cap; follow lockMs by default so
  // that raising lockMs alone does not silently shorten it.
  const maxLockMs = option?.maxLockMs ?? Math.max(LOCKOUT_DEFAULTS.maxLockMs, lockMs);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new FaceUnlockError('invalid-argument',
        `lockout.maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  if (!(Number.isFinite(lockMs) && lockMs > 0)) {
    throw new FaceUnlockError('invalid-argument', `lockout.lockMs must be a positive number, got ${lockMs}`);
  }
  if (!(Number.isFinite(maxLockMs) && maxLockMs >= lockMs)) {
    throw new FaceUnlockError('invalid-argument',
        `lockout.maxLockMs must be a number >= lockMs (${lockMs}), got ${maxLockMs}`);
  }
  return { maxAttempts, lockMs, maxLockMs };
}

/**
 * @param {unknown} x
 * @returns {x is number}
 */
function isCount(x) {
  return Number.isSafeInteger(x) && /** @type {number} */ (x) >= 0;
}

/**
 * @param {unknown} x
 * @returns {x is number}
 */
function isTime(x) {
  return Number.isFinite(x) && /** @type {number} */ (x) >= 0;
}

/**
 * @typedef {object} LockoutSnapshot what toJSON() produces and restore() accepts
 * @property {number} v STATE_VERSION
 * @property {number} seq bumped on every change, so the newer of two copies can be told apart
 *     without trusting the clock
 * @property {number} failures failed unlocks since the last success
 * @property {number} sinceLock failed unlocks since the last lock began (toward the next lock)
 * @property {number} locks locks since the last success (sets the next lock's length)
 * @property {number} lockedAt when the current or last lock began (clock ms); 0 without one
 * @property {number} lockMs how long that lock lasts
 */

export class Lockout {
  /**
   * @param {{maxAttempts: number, lockMs: number, maxLockMs: number}} options as from lockoutOptions()
   * @param {() => number} [now] milliseconds; Date.now by default
   */
  constructor(options, now = Date.now) {
    this.options = options;
    this._now = now;
    this._seq = 0;
    this._failures = 0;
    this._sinceLock = 0;
    this._locks = 0;
    this._lockedAt = 0;
    this._lockMs = 0;
  }

  /** Milliseconds until unlocking may be tried again; 0 when not locked. */
  _remaining() {
    if (this._lockMs <= 0) return 0;
    const left = this._lockedAt + this._lockMs - this._now();
    // A clock set back must not stretch a 30 s lock into days: never more than the lock itself.
    return Math.max(0, Math.min(left, this._lockMs));
  }

  /** @returns {{locked: boolean, retryAfterMs: number, failures: number}} */
  state() {
    const retryAfterMs = Math.ceil(this._remaining());
    return { locked: retryAfterMs > 0, retryAfterMs, failures: this._failures };
  }

  /**
   * One unlock attempt in which a face was compared and rejected. Starts a lock when it is the
   * `maxAttempts`-th since the last lock (or success); after a lock ends a fresh allowance
   * begins, but the next lock is twice as long.
   * @returns {{locked: boolean, retryAfterMs: number, failures: number}}
   */
  recordFailure() {
    this._seq++;
    this._failures++;
    this._sinceLock++;
    if (this._sinceLock >= this.options.maxAttempts) {
      const { lockMs, maxLockMs } = this.options;
      // The exponent is capped only so 2 ** n stays finite; maxLockMs is the real limit.
      this._lockMs = Math.min(lockMs * 2 ** Math.min(this._locks, 40), maxLockMs);
      this._lockedAt = this._now();
      this._locks++;
      this._sinceLock = 0;
    }
    return this.state();
  }

  /**
   * A successful unlock: forget every failure and lock.
   * @returns {boolean} whether there was anything to forget (so callers can skip saving)
   */
  recordSuccess() {
    if (this._failures === 0 && this._sinceLock === 0 && this._locks === 0 && this._lockMs === 0) {
      return false;
    }
    this._seq++;
    this._failures = 0;
    this._sinceLock = 0;
    this._locks = 0;
    this._lockedAt = 0;
    this._lockMs = 0;
    return true;
  }

  /** @returns {LockoutSnapshot} */
  toJSON() {
    return {
      v: STATE_VERSION, seq: this._seq, failures: this._failures, sinceLock: this._sinceLock,
      locks: this._locks, lockedAt: this._lockedAt, lockMs: this._lockMs,
    };
  }

  /**
   * Adopts a saved snapshot when it is well-formed and at least as new as the current state
   * (another tab may have recorded attempts since). Anything malformed is ignored, never thrown:
   * damaged bookkeeping must not stop the owner from unlocking.
   * @param {unknown} saved
   * @returns {boolean} whether it was adopted
   */
  restore(saved) {
    if (!saved || typeof saved !== 'object') return false;
    const s = /** @type {Record<string, unknown>} */ (saved);
    if (s.v !== STATE_VERSION) return false;
    const { seq, failures, sinceLock, locks, lockedAt, lockMs } = s;
    if (!isCount(seq) || !isCount(failures) || !isCount(sinceLock) || !isCount(locks) ||
        !isTime(lockedAt) || !isTime(lockMs)) {
      return false;
    }
    if (seq < this._seq) return false;
    this._seq = seq;
    this._failures = failures;
    this._sinceLock = sinceLock;
    this._locks = locks;
    this._lockedAt = lockedAt;
    // A lock saved under a longer cap (or edited by hand) ends by this configuration's cap.
    this._lockMs = Math.min(lockMs, this.options.maxLockMs);
    return true;
  }
}
