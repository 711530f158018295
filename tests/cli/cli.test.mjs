// End-to-end tests of the native `faceunlock` CLI: exit codes, messages and JSON shapes that
// scripts and the WebAssembly parity test rely on. Run with `node --test tests/cli/`.
// The binary comes from FACEUNLOCK_BIN, else <repo>/build/faceunlock; without it the tests skip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.FACEUNLOCK_BIN || path.join(repo, 'build', 'faceunlock');
const skip = fs.existsSync(bin)
  ? false
  : `faceunlock binary not found at ${bin}: build it (cmake --build build --target faceunlock) ` +
    'or set FACEUNLOCK_BIN';

const CONV1X1_INPUT = [1, 56, 56, 64];
const CONV1X1_OUTPUT = [1, 56, 56, 128];

function cli(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Fails with the command's own output, which says far more than "1 !== 0".
function assertExit(result, code) {
  assert.equal(result.code, code, `exit ${result.code}, wanted ${code}\n` +
    `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

function float32File(file, count) {
  const values = new Float32Array(count);
  for (let i = 0; i < count; ++i) values[i] = Math.sin(i * 0.01);
  fs.writeFileSync(file, Buffer.from(values.buffer));
}

const product = (dims) => dims.reduce((a, b) => a * b, 1);

describe('faceunlock CLI', { skip }, () => {
  let dir;
  let model;
  let input;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-cli-'));
    model = path.join(dir, 'conv1x1.fum');
    input = path.join(dir, 'input.f32');
    assertExit(cli('sample', 'conv1x1', '--out', model), 0);
    float32File(input, product(CONV1X1_INPUT));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the subcommands in --help', () => {
    const r = cli('--help');
    assertExit(r, 0);
    for (const name of ['bench', 'info', 'run', 'sample', 'quantize', 'compress']) {
      assert.match(r.stdout, new RegExp(`^\\s+${name}\\s`, 'm'), `--help lacks ${name}`);
    }
  });

  it('prints help for each subcommand', () => {
    for (const name of ['bench', 'info', 'run', 'sample', 'quantize', 'compress']) {
      const r = cli(name, '--help');
      assertExit(r, 0);
      assert.match(r.stdout, new RegExp(`^usage: faceunlock ${name}`), name);
    }
  });

  it('exits 2 for an unknown subcommand', () => {
    const r = cli('frobnicate');
    assertExit(r, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  it('exits 2 with a usage hint for a wrong command line', () => {
    for (const args of [
      ['sample', 'conv1x1'],
      ['info'],
      ['info', model, '--bogus'],
      ['run', model, '--input', input, '--output', path.join(dir, 'o.f32'), '--threads', '0'],
      ['bench', '--network', 'nope'],
      ['quantize', model, path.join(dir, 'q.fum')],  // no --calibrate
      ['quantize', model, path.join(dir, 'q.fum'), '--calibrate', dir, '--ranges', 'median'],
      ['quantize', model, path.join(dir, 'q.fum'), '--calibrate', dir, '--lfw', dir],
    ]) {
      const r = cli(...args);
      assertExit(r, 2);
      assert.match(r.stderr, /--help/, args.join(' '));
    }
  });

  it('describes a sample model with info --json', () => {
    const r = cli('info', model, '--json');
    assertExit(r, 0);
    const info = JSON.parse(r.stdout);
    assert.deepEqual(info.input.shape, CONV1X1_INPUT);
    assert.equal(info.outputs.length, 1);
    assert.deepEqual(info.outputs[0].shape, CONV1X1_OUTPUT);
    assert.deepEqual(info.ops, { conv2d: 1 });
    assert.equal(info.multiply_adds, 56 * 56 * 64 * 128);
    assert.equal(info.parameters, 64 * 128 + 128);
  });

  it('writes the same file for the same name and seed', () => {
    const again = path.join(dir, 'again.fum');
    const other = path.join(dir, 'other.fum');
    assertExit(cli('sample', 'conv1x1', '--out', again), 0);
    assertExit(cli('sample', 'conv1x1', '--seed', '2', '--out', other), 0);
    assert.ok(fs.readFileSync(model).equals(fs.readFileSync(again)));
    assert.ok(!fs.readFileSync(model).equals(fs.readFileSync(other)));
  });

  it('compresses a float model to float16 storage: half the file, nearly the same outputs', () => {
    const half = path.join(dir, 'half.fum');
    const r = cli('compress', model, half, '--json');
    assertExit(r, 0);
    const report = JSON.parse(r.stdout);
    assert.equal(report.weights, 2);
    assert.equal(report.values, 64 * 128 + 128);
    assert.ok(report.largest_relative_change > 0 && report.largest_relative_change <= 2 ** -11,
        r.stdout);
    assert.equal(report.out_bytes, fs.statSync(half).size);
    assert.ok(report.out_bytes < 0.55 * report.in_bytes, r.stdout);  // weights are most of it
    const outputs = [model, half].map((m, i) => {
      const out = path.join(dir, `out-${i}.f32`);
      assertExit(cli('run', m, '--input', input, '--output', out), 0);
      return new Float32Array(fs.readFileSync(out).buffer.slice(0));
    });
    let largest = 0;
    let worst = 0;
    for (let i = 0; i < outputs[0].length; i++) {
      largest = Math.max(largest, Math.abs(outputs[0][i]));
      worst = Math.max(worst, Math.abs(outputs[0][i] - outputs[1][i]));
    }
    assert.ok(worst > 0, 'the rounding changed nothing');
    assert.ok(worst < 2e-3 * largest, `outputs moved by ${worst} of ${largest}`);
    // Once is enough: the file's float weights are float16 already, nothing left to change.
    const again = cli('compress', half, path.join(dir, 'half2.fum'), '--json');
    assertExit(again, 0);
    assert.equal(JSON.parse(again.stdout).largest_change, 0);
    // A model without float32 weights (the landmark model stores uint8) is refused, clearly.
    const none = cli('compress', path.join(repo, 'models', 'face-landmarks-68.fum'),
        path.join(dir, 'never.fum'));
    assertExit(none, 1);
    assert.match(none.stderr, /no float32 weights to store as float16/);
    assert.ok(!fs.existsSync(path.join(dir, 'never.fum')));
  });

  it('runs a model and writes every output as raw float32', () => {
    const output = path.join(dir, 'output.f32');
    const r = cli('run', model, '--input', input, '--output', output, '--json');
    assertExit(r, 0);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(result.outputs.map((o) => o.shape), [CONV1X1_OUTPUT]);
    assert.equal(fs.statSync(output).size, product(CONV1X1_OUTPUT) * 4);
    const values = new Float32Array(fs.readFileSync(output).buffer.slice(0));
    assert.ok(values.every(Number.isFinite));
    assert.ok(values.some((v) => v !== 0));
  });

  it('rejects an input file of the wrong size with exit 1', () => {
    const wrong = path.join(dir, 'wrong.f32');
    float32File(wrong, product(CONV1X1_INPUT) - 1);
    const r = cli('run', model, '--input', wrong, '--output', path.join(dir, 'o.f32'));
    assertExit(r, 1);
    assert.match(r.stderr, /cannot read input/);
    assert.match(r.stderr, /1x56x56x64/);
    assert.match(r.stderr, new RegExp(`${product(CONV1X1_INPUT) * 4}`));
  });

  it('rejects a corrupted or truncated model with exit 1', () => {
    const bytes = fs.readFileSync(model);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)] ^= 0xff;
    const cases = {
      flipped,
      truncated: bytes.subarray(0, Math.floor(bytes.length / 2)),
      header_only: bytes.subarray(0, 10),
      empty: Buffer.alloc(0),
    };
    for (const [name, data] of Object.entries(cases)) {
      const file = path.join(dir, `${name}.fum`);
      fs.writeFileSync(file, data);
      const r = cli('run', file, '--input', input, '--output', path.join(dir, 'o.f32'));
      assertExit(r, 1);
      assert.match(r.stderr, /checksum|truncated/, name);
    }
  });

  it('benchmarks a network and reports GFLOP/s as JSON', () => {
    const r = cli('bench', '--network', 'conv1x1', '--backend', 'simd', '--min-time', '0.05',
      '--json');
    assertExit(r, 0);
    const report = JSON.parse(r.stdout);
    assert.equal(report.benchmarks.length, 1);
    const [row] = report.benchmarks;
    assert.match(row.name, /^conv1x1\/simd/);
    assert.ok(row['GFLOP/s'] > 0, `GFLOP/s is ${row['GFLOP/s']}`);
    assert.ok(row.real_time > 0);
  });
});
