// The wasm core against the native build: the same model bytes and input must give the same
// outputs. The native CLI is $FACEUNLOCK_BIN, else <repo>/build/faceunlock.
//
// Tolerance: max_i |wasm[i] - native[i]| <= 1e-4 * max(1, max_i |native[i]|). Both sides compile
// the same kernels from the same source; only the compiler (GCC for x86-64 SSE2, Clang for wasm
// SIMD128) may differ in FMA contraction and in the order it emits a few reductions, and each
// such difference is a rounding of about 6e-8 relative per operation. Through the deepest sample
// network (the ResNet's ~30 layers with sums over up to 4608 terms) that stays orders of magnitude
// under 1e-4, while a wrong index, padding or weight layout moves outputs by O(1). (Measured on
// x86-64 without -march flags: the outputs are bit-identical, as neither side has FMA.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { repoRoot } from '../../wasm/node_loader.mjs';
import {
  compareOutputs,
  elementCount,
  fillPseudoRandom,
  loadCoreOrSkip,
  runCopy,
} from './helpers.mjs';

const run = promisify(execFile);

const PARITY_TOLERANCE = 1e-4;
const SEED = 7;
const NETWORKS = ['conv1x1', 'conv3x3', 'dwconv3x3', 'resnet', 'mobilefacenet', 'blazeface'];
const NATIVE_BIN = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');

const { core, skip: coreSkip } = await loadCoreOrSkip();
const skip = coreSkip || (await nativeMissing());

async function nativeMissing() {
  try {
    await run(NATIVE_BIN, ['--help']);
    return false;
  } catch (error) {
    if (error.code !== 'ENOENT' && error.code !== 'EACCES') return false;  // exists, runs
    const reason = `native CLI ${NATIVE_BIN} is missing: build it (cmake --build build) or set ` +
        'FACEUNLOCK_BIN';
    if (process.env.CI) throw new Error(`CI must build the native CLI: ${reason}`);
    console.log(`skipping wasm/native parity: ${reason}`);
    return reason;
  }
}

describe('wasm core matches the native build', { skip }, () => {
  let dir;
  before(async () => {
    // The raw .f32 files are written and read as the platform's float layout.
    assert.equal(endianness(), 'LE');
    dir = await mkdtemp(path.join(tmpdir(), 'faceunlock-parity-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * @param {string} model path of a .fum file
   * @param {!Float32Array} input
   * @param {string} backend
   * @return {Promise<!Float32Array>} every output, concatenated in the model's order
   */
  async function runNative(model, input, backend) {
    const stem = `${path.basename(model, '.fum')}-${backend}`;
    const inputPath = path.join(dir, `${stem}-in.f32`);
    const outputPath = path.join(dir, `${stem}-out.f32`);
    await writeFile(inputPath, new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    await run(NATIVE_BIN,
        ['run', model, '--input', inputPath, '--backend', backend, '--output', outputPath]);
    const bytes = await readFile(outputPath);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }

  /**
   * @param {!Uint8Array} modelBytes
   * @param {!Float32Array} input
   * @param {string} backend
   * @return {!Float32Array} every output, concatenated in the model's order
   */
  function runWasm(modelBytes, input, backend) {
    const network = new core.Network(modelBytes, backend);
    try {
      const outputs = runCopy(network, input);
      const all = new Float32Array(outputs.reduce((n, o) => n + o.length, 0));
      let offset = 0;
      for (const o of outputs) {
        all.set(o, offset);
        offset += o.length;
      }
      return all;
    } finally {
      network.delete();
    }
  }

  for (const name of NETWORKS) {
    test(`${name}: same model bytes, same outputs (simd and reference backends)`, async (t) => {
      const modelPath = path.join(dir, `${name}.fum`);
      await run(NATIVE_BIN, ['sample', name, '--seed', String(SEED), '--out', modelPath]);
      const nativeBytes = new Uint8Array(await readFile(modelPath));

      // One generator in src/nn, so libstdc++ and libc++ builds must write the same file.
      const wasmBytes = core.makeSampleModel(name, SEED);
      assert.equal(wasmBytes.length, nativeBytes.length, 'model sizes differ');
      assert.ok(Buffer.compare(wasmBytes, nativeBytes) === 0,
          'makeSampleModel and `faceunlock sample` wrote different bytes for the same seed');

      // The native file feeds both sides, so a generator difference cannot mask a kernel one.
      const network = new core.Network(nativeBytes);
      const input = fillPseudoRandom(new Float32Array(elementCount(network.inputShape())), 1234);
      network.delete();

      await compareBackends(t, name, modelPath, nativeBytes, input);
    });
  }

  // The int8 kernels have their own SIMD128 code paths (sign-extending loads, i32x4 dot
  // products, broadcast pair loads), which the native tests cannot reach; the shipped int8
  // embedders run every one (the fast one's 12-channel layers end on a 4-channel panel).
  for (const file of ['mobilefacenet-student-int8.fum', 'dlib-resnet-int8.fum',
    'dlib-resnet-pruned-int8.fum']) {
    test(`${file}: the shipped int8 embedder, same outputs (simd and reference backends)`,
        async (t) => {
          const modelPath = path.join(repoRoot, 'models', file);
          const bytes = new Uint8Array(await readFile(modelPath));
          const network = new core.Network(bytes);
          const input = fillPseudoRandom(new Float32Array(elementCount(network.inputShape())), 99);
          network.delete();
          await compareBackends(t, file, modelPath, bytes, input);
        });
  }

  /** Runs `input` through both backends natively and in wasm and compares each pair. */
  async function compareBackends(t, name, modelPath, bytes, input) {
    for (const backend of ['simd', 'reference']) {
      const native = await runNative(modelPath, input, backend);
      const wasm = runWasm(bytes, input, backend);
      const { maxDiff, bound, worst } = compareOutputs(wasm, native, PARITY_TOLERANCE);
      t.diagnostic(`${name} ${backend}: max |wasm - native| = ${maxDiff.toExponential(2)}` +
          ` (bound ${bound.toExponential(2)}, ${native.length} values)`);
      assert.ok(maxDiff <= bound,
          `${backend}: wasm ${wasm[worst]} vs native ${native[worst]} at ${worst}`);
    }
  }
});
