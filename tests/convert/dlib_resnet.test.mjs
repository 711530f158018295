// `faceunlock convert dlib-resnet` against the original: the committed model file must be what
// the converter writes today, and it must compute what face-api's own FaceRecognitionNet computes
// (run with TensorFlow.js in Node by tools/reference/face_api_descriptors.mjs) on the same chips.
// Run with `node --test tests/convert/`. The binary comes from FACEUNLOCK_BIN, else
// <repo>/build/faceunlock; without it, or without node_modules, the tests skip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  CHIP_BYTES,
  CHIP_SIZE,
  DEFAULT_PACKAGE,
  describeChips,
  loadFaceRecognitionNet,
} from '../../tools/reference/face_api_descriptors.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.FACEUNLOCK_BIN || path.join(repo, 'build', 'faceunlock');
const committed = path.join(repo, 'models', 'dlib-resnet.fum');
const data = path.resolve(repo, '..', 'shared', 'data');

// Both sides compute in float32 but sum in different orders (tfjs's im2col matmul against our
// kernels) and dequantise the weights with different roundings (double vs float32, at most an ulp
// apart); measured differences are about 2e-6. A wrong transpose, padding or channel order moves
// unit vectors by 0.1 or more, so these bounds still catch every structural mistake.
const MIN_COSINE = 0.9999;
const MAX_ABS_DIFF = 1e-4;

let skip = false;
if (!fs.existsSync(bin)) {
  skip = `faceunlock binary not found at ${bin}: build it (cmake --build build --target ` +
    'faceunlock) or set FACEUNLOCK_BIN';
} else if (!fs.existsSync(path.join(DEFAULT_PACKAGE, 'package.json'))) {
  skip = `${DEFAULT_PACKAGE} is missing: run 'npm install' in the repository`;
}

function cli(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `faceunlock ${args.join(' ')}: exit ${r.status}\n` +
    `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

// Backends the binary offers, from `run --help` ("--backend NAME  reference|simd|xnnpack ...").
function backends() {
  const help = cli('run', '--help');
  const match = help.match(/--backend NAME\s+([a-z0-9|]+)/);
  return match ? match[1].split('|') : [undefined];
}

// The network input the model file asks for: (pixel - mean) * scale per RGB channel, in float32
// as our C++ side computes it.
function normalise(chip, metadata) {
  const input = new Float32Array(chip.length);
  for (let i = 0; i < chip.length; ++i) {
    const c = i % 3;
    input[i] = Math.fround(Math.fround(chip[i] - metadata.pixel_mean[c]) * metadata.pixel_scale[c]);
  }
  return input;
}

function unit(v) {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return Float64Array.from(v, (x) => x / norm);
}

function compare(ours, theirs) {
  const a = unit(ours);
  const b = unit(theirs);
  let cosine = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < a.length; ++i) {
    cosine += a[i] * b[i];
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
  }
  return { cosine, maxAbsDiff };
}

// Deterministic test patterns: nothing face-like is needed to catch a structural mismatch, but a
// few kinds of content (smooth, noisy, high-contrast, flat) exercise every layer differently.
function syntheticChips() {
  const chips = {};
  const make = (name, pixel) => {
    const chip = new Uint8Array(CHIP_BYTES);
    for (let y = 0; y < CHIP_SIZE; ++y) {
      for (let x = 0; x < CHIP_SIZE; ++x) {
        for (let c = 0; c < 3; ++c) {
          const v = pixel(x, y, c);
          chip[(y * CHIP_SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    chips[name] = chip;
  };
  make('gradient', (x, y, c) => 128 + 60 * Math.sin(x * 0.07 + c) + 50 * Math.cos(y * 0.05 - c));
  let seed = 12345;
  make('noise', () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed >> 23;
  });
  // A crude face: skin ellipse, dark eyes at dlib's template positions, a mouth, on grey.
  make('cartoon', (x, y, c) => {
    const skin = [205, 160, 130][c];
    const inFace = ((x - 74) / 48) ** 2 + ((y - 78) / 62) ** 2 < 1;
    const eye = Math.hypot(x - 47.7, y - 47.1) < 6 || Math.hypot(x - 100.3, y - 47.1) < 6;
    const mouth = Math.abs(y - 106) < 3 && Math.abs(x - 74) < 16;
    if (eye || mouth) return [60, 30, 30][c];
    return inFace ? skin : 90;
  });
  make('flat', () => 128);
  return chips;
}

// Real photographs, when ../shared/data is there: a few LFW images and AT&T faces, cropped around
// the centre and resized to 150x150 by tools/reference/decode_chip.c (compiled here, as Node has
// no image decoder). Returns { chips, note } where note says why there are none.
function photoChips(dir) {
  if (!fs.existsSync(data)) return { chips: {}, note: `${data} is absent` };
  const helper = path.join(dir, 'decode_chip');
  const cc = spawnSync('cc', ['-O2', '-I/usr/include/stb', '-o', helper,
    path.join(repo, 'tools', 'reference', 'decode_chip.c'), '-lm'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    return { chips: {}, note: `cannot compile tools/reference/decode_chip.c (needs cc and ` +
      `libstb-dev): ${cc.error ? cc.error.message : cc.stderr}` };
  }
  const sources = [];
  const lfw = path.join(data, 'lfw');
  if (fs.existsSync(lfw)) {
    for (const person of fs.readdirSync(lfw).sort().slice(0, 5)) {
      const file = fs.readdirSync(path.join(lfw, person)).sort()[0];
      // 250x250 deep-funneled images: the central 120 pixels, a little above the centre, hold
      // roughly what dlib's 150-pixel chip holds.
      sources.push({ name: `lfw/${person}/${file}`, file: path.join(lfw, person, file),
        side: '120', shift: '-10' });
    }
  }
  const att = path.join(data, 'att-faces');
  for (const subject of ['s1', 's2']) {
    const file = path.join(att, subject, '1.pgm');
    if (fs.existsSync(file)) {
      sources.push({ name: `att-faces/${subject}/1.pgm`, file, side: '0', shift: '0' });
    }
  }
  const chips = {};
  for (const s of sources) {
    const out = path.join(dir, `photo_${Object.keys(chips).length}.rgb`);
    const r = spawnSync(helper, [s.file, out, s.side, s.shift], { encoding: 'utf8' });
    assert.equal(r.status, 0, `decode_chip ${s.file}: ${r.stderr}`);
    chips[s.name] = new Uint8Array(fs.readFileSync(out));
  }
  return { chips, note: sources.length ? '' : `no lfw/ or att-faces/ images under ${data}` };
}

describe('dlib-resnet conversion', { skip }, () => {
  let dir;
  let reference;
  let metadata;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-dlib-'));
    reference = await loadFaceRecognitionNet();
    metadata = JSON.parse(cli('info', committed, '--json')).metadata;
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('re-converting the package reproduces models/dlib-resnet.fum byte for byte', () => {
    const out = path.join(dir, 'dlib-resnet.fum');
    const summary = JSON.parse(cli('convert', 'dlib-resnet', '--out', out, '--json'));
    assert.equal(summary.model_name, 'dlib-resnet');
    assert.equal(summary.file_bytes, fs.statSync(out).size);
    // uint8 storage: one byte per weight plus the graph; float32 would be four times that.
    assert.ok(summary.file_bytes < 1.2 * summary.parameters, `${summary.file_bytes} bytes`);
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(committed)),
      're-conversion differs from the committed models/dlib-resnet.fum: run ' +
      '`faceunlock convert dlib-resnet --out models/dlib-resnet.fum` and review the change');
  });

  async function check(t, chips) {
    const names = Object.keys(chips);
    const theirs = await describeChips(reference, names.map((n) => chips[n]));
    const worst = { cosine: 1, maxAbsDiff: 0 };
    for (const backend of backends()) {
      names.forEach((name, k) => {
        const input = path.join(dir, 'input.f32');
        const output = path.join(dir, 'output.f32');
        fs.writeFileSync(input, normalise(chips[name], metadata));
        cli('run', committed, '--input', input, '--output', output,
          ...(backend ? ['--backend', backend] : []));
        const bytes = fs.readFileSync(output);
        const ours = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
        assert.equal(ours.length, 128);
        const norm = Math.sqrt(ours.reduce((s, x) => s + x * x, 0));
        assert.ok(Math.abs(norm - 1) < 1e-5, `${name} (${backend}): output norm ${norm}`);
        const { cosine, maxAbsDiff } = compare(ours, theirs[k]);
        t.diagnostic(`${name} [${backend}]: 1 - cosine ${(1 - cosine).toExponential(2)}, ` +
          `max abs diff ${maxAbsDiff.toExponential(2)}, ` +
          `face-api norm ${Math.hypot(...theirs[k]).toFixed(4)}`);
        worst.cosine = Math.min(worst.cosine, cosine);
        worst.maxAbsDiff = Math.max(worst.maxAbsDiff, maxAbsDiff);
        assert.ok(cosine >= MIN_COSINE, `${name} (${backend}): cosine ${cosine} < ${MIN_COSINE}`);
        assert.ok(maxAbsDiff <= MAX_ABS_DIFF,
          `${name} (${backend}): max abs diff ${maxAbsDiff} > ${MAX_ABS_DIFF}`);
      });
    }
    t.diagnostic(`worst: 1 - cosine ${(1 - worst.cosine).toExponential(2)}, max abs diff ` +
      `${worst.maxAbsDiff.toExponential(2)}`);
  }

  it('matches face-api on synthetic chips', async (t) => {
    await check(t, syntheticChips());
  });

  it('matches face-api on photographs', async (t) => {
    const { chips, note } = photoChips(dir);
    if (Object.keys(chips).length === 0) {
      t.skip(`no photographs to compare on: ${note}`);
      return;
    }
    await check(t, chips);
  });
});
