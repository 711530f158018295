/**
 * @file Shared by the wasm tests (the name does not match node --test's file patterns, so it is
 * not run as a test itself).
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';

import { coreBuildDir, findMissingCore, loadCore, repoRoot } from '../../wasm/node_loader.mjs';

/** LFW, from ../shared/data (its README). */
export const LFW = path.join(repoRoot, '..', 'shared', 'data', 'lfw');

/**
 * @param {string} person an LFW folder name
 * @param {number} number the photo's number (from 1)
 * @return {string} the photo's path
 */
export function lfwPhoto(person, number) {
  return path.join(LFW, person, `${person}_${String(number).padStart(4, '0')}.jpg`);
}

/**
 * Why photo tests must skip (LFW or one of `photos` is missing, printed with `what`), or false.
 * In CI ($CI set) the data is always there, so its absence is an error.
 * @param {!Array<!Array<string|number>>} photos [person, number] pairs the tests read
 * @param {string} what the tests, for the message
 * @return {Promise<string|false>}
 */
export async function lfwMissing(photos, what) {
  try {
    for (const [person, number] of photos) await access(lfwPhoto(person, number));
    return false;
  } catch {
    const reason = `LFW photos are missing under ${LFW}`;
    if (process.env.CI) throw new Error(`CI must provide the LFW data: ${reason}`);
    console.log(`skipping ${what}: ${reason}`);
    return reason;
  }
}

/**
 * Asserts that fn throws a plain JS Error whose message matches every pattern.
 * @param {function()} fn
 * @param {...!RegExp} patterns
 */
export function assertJsError(fn, ...patterns) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof Error, `threw ${error?.constructor?.name}: ${error}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

/**
 * Loads the core, or says why the tests must skip. Outside CI a missing build only skips (with
 * the reason printed); in CI ($CI set) it is an error, because CI always builds the core.
 * @return {Promise<{core: ?Object, skip: (string|false)}>}
 */
export async function loadCoreOrSkip() {
  const missing = await findMissingCore();
  if (missing === null) return { core: await loadCore(), skip: false };
  if (process.env.CI) throw new Error(`CI must build the wasm core: ${missing}`);
  console.log(`skipping wasm tests: ${missing}`);
  return { core: null, skip: missing };
}

export { coreBuildDir };

/**
 * Fills `out` with reproducible values in [-1, 1): a 32-bit LCG (Numerical Recipes constants)
 * whose top 24 bits become the fraction, so every value is exact in float32 and any language can
 * regenerate the same stream.
 * @param {!Float32Array} out
 * @param {number} seed
 * @return {!Float32Array} out
 */
export function fillPseudoRandom(out, seed) {
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state >>> 8) / 8388608 - 1;
  }
  return out;
}

/**
 * @param {!Array<number>} shape [n, h, w, c]
 * @return {number} the element count
 */
export function elementCount(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Runs `network` on `input` and returns copies of all outputs, in the model's order.
 * @param {!Object} network a core.Network
 * @param {!Float32Array} input
 * @return {!Array<!Float32Array>}
 */
export function runCopy(network, input) {
  network.inputView().set(input);
  network.run();
  const outputs = [];
  for (let i = 0; i < network.outputCount(); i++) outputs.push(network.outputView(i).slice());
  return outputs;
}

/**
 * @param {!Float32Array} values
 * @return {number} the largest absolute value (0 for none)
 */
export function maxAbs(values) {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Compares two runs of the same network. The bound scales with the output's magnitude, with a
 * floor of 1 so that outputs near zero are judged by absolute error:
 *   max_i |actual[i] - expected[i]| <= tolerance * max(1, max_i |expected[i]|).
 * @param {!Float32Array} actual
 * @param {!Float32Array} expected
 * @param {number} tolerance
 * @return {{maxDiff: number, bound: number, worst: number}} the largest difference, the bound
 *     it was held to and the index where it occurred
 */
export function compareOutputs(actual, expected, tolerance) {
  if (actual.length !== expected.length) {
    throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  }
  let maxDiff = 0;
  let worst = -1;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    // NaN compares false, so test for it explicitly: a NaN anywhere is a failure.
    if (!(diff <= maxDiff)) {
      maxDiff = Number.isNaN(diff) ? Infinity : diff;
      worst = i;
    }
  }
  return { maxDiff, bound: tolerance * Math.max(1, maxAbs(expected)), worst };
}
