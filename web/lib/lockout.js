/**
 * @file The `lockout` option of FaceUnlock. The policy itself (after `maxAttempts` failed unlocks
 * refuse to try for `lockMs`, doubling up to `maxLockMs`; a success forgives) lives in the engine's
 * unlock session (src/unlock/lockout.h); FaceUnlock keeps its state in the store's meta entry.
 */

import { FaceUnlockError } from './errors.js';

/** The engine's defaults (src/unlock/lockout.h LockoutPolicy), filled in here for the caller. */
export const LOCKOUT_DEFAULTS = Object.freeze({
  maxAttempts: 5,
  lockMs: 30_000,
  maxLockMs: 15 * 60_000,
});

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
