/**
 * @file A short run of the soak (web/bench/soak.mjs): 300 frames through unlock() in headless
 * Chromium with an enroll and a removal every ten attempts, failing on any error or on memory
 * growth after warm-up. The full 10,000-frame run is a benchmark, not a test:
 *
 *   node web/bench/soak.mjs
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import { findMissing, repoRoot, skipOrFail } from './support.mjs';

const skip = skipOrFail(await findMissing());

test('300 frames through unlock with enrolls and removals: no errors, no growth', { skip }, () => {
  const run = spawnSync(process.execPath,
      [path.join(repoRoot, 'web/bench/soak.mjs'), '--frames', '300', '--sample', '100', '--warmup', '100'],
      { encoding: 'utf8', timeout: 180_000 });
  assert.equal(run.status, 0, `soak failed:\n${run.stdout}\n${run.stderr}`);
  const verdict = JSON.parse(run.stdout.trim().split('\n').at(-1));
  assert.equal(verdict.failed, false);
  assert.ok(verdict.frames >= 300, JSON.stringify(verdict));
  assert.equal(verdict.wasmGrowthMiB, 0, JSON.stringify(verdict));
});
