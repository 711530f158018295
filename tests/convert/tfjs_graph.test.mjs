// The TF.js graph converter against the original networks: models/blazeface-short.fum must be
// what `faceunlock convert blazeface` writes today, and the converted BlazeFace and MobileFaceNet
// must compute what @tensorflow/tfjs computes from the package's own model.json + .bin.
// Run with `node --test tests/convert/`. The binary comes from FACEUNLOCK_BIN, else
// <repo>/build/faceunlock; without it, or without the npm package, the tests skip. Real faces
// come from ../shared/data/att-faces (PGM, which needs no image library) when that folder exists.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadReference } from '../../tools/reference/tfjs_graph_reference.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.FACEUNLOCK_BIN || path.join(repo, 'build', 'faceunlock');
const pkg = path.join(repo, 'node_modules', '@vladmandic', 'human-models');
const shipped = path.join(repo, 'models', 'blazeface-short.fum');
const attFaces = path.resolve(repo, '..', 'shared', 'data', 'att-faces');

let skip = false;
if (!fs.existsSync(bin)) {
  skip = `faceunlock binary not found at ${bin}: build it (cmake --build build --target ` +
    'faceunlock) or set FACEUNLOCK_BIN';
} else if (!fs.existsSync(path.join(pkg, 'models', 'blazeface-front.json'))) {
  skip = `${pkg} is missing: run npm install`;
}
const haveFaces = fs.existsSync(path.join(attFaces, 's1', '1.pgm'));

// Both runtimes compute in float32 but sum in different orders; this bound is about a thousand
// float32 roundings at the output's own scale, far below any real disagreement.
const tolerance = (maxAbs) => 1e-4 * (1 + maxAbs);

function cli(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `faceunlock ${args.join(' ')} exited ${r.status}\n` +
    `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function readF32(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function joinF32(parts) {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function compare(reference, ours) {
  assert.equal(ours.length, reference.length, 'output sizes differ');
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < reference.length; ++i) {
    maxDiff = Math.max(maxDiff, Math.abs(reference[i] - ours[i]));
    maxAbs = Math.max(maxAbs, Math.abs(reference[i]));
  }
  return { maxDiff, maxAbs };
}

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

// Images as 0..255 RGB pixels (HWC); the model's normalisation is applied later.
function pixels(size, f) {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; ++y) {
    for (let x = 0; x < size; ++x) {
      for (let c = 0; c < 3; ++c) out[(y * size + x) * 3 + c] = f(x / size, y / size, c);
    }
  }
  return out;
}

// mulberry32: a fixed sequence on every machine.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticImages(size) {
  const rng = random(size);
  const inside = (x, y, cx, cy, rx, ry) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
  return {
    waves: pixels(size, (x, y, c) => 127.5 + 120 * Math.sin(9 * x + 5 * y + 2 * c)),
    noise: pixels(size, () => 255 * rng()),
    // A cartoon face: a skin-toned oval with dark eyes and mouth on a grey background.
    cartoon: pixels(size, (x, y, c) => {
      if (inside(x, y, 0.37, 0.42, 0.06, 0.04) || inside(x, y, 0.63, 0.42, 0.06, 0.04)) return 30;
      if (inside(x, y, 0.5, 0.7, 0.12, 0.03)) return [150, 40, 40][c];
      if (inside(x, y, 0.5, 0.5, 0.3, 0.4)) return [225, 180, 150][c];
      return 90;
    }),
  };
}

function readPgm(file) {
  const b = fs.readFileSync(file);
  const fields = [];
  let i = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(b[i]))) ++i;
    if (b[i] === 0x23) {
      while (b[i] !== 0x0a) ++i;
      continue;
    }
    let token = '';
    while (!/\s/.test(String.fromCharCode(b[i]))) token += String.fromCharCode(b[i++]);
    fields.push(token);
  }
  const [magic, width, height, maxval] = [fields[0], +fields[1], +fields[2], +fields[3]];
  assert.equal(magic, 'P5', `${file} is not a binary PGM`);
  assert.ok(maxval < 256, `${file} has 16-bit pixels`);
  return { width, height, data: b.subarray(i + 1, i + 1 + width * height) };
}

// A grey face fitted into a size x size RGB square (aspect kept, centred, zero border), bilinear.
function faceImage(file, size) {
  const img = readPgm(file);
  const scale = Math.min(size / img.width, size / img.height);
  const w = img.width * scale;
  const h = img.height * scale;
  const x0 = (size - w) / 2;
  const y0 = (size - h) / 2;
  const at = (x, y) => img.data[Math.min(img.height - 1, Math.max(0, y)) * img.width +
    Math.min(img.width - 1, Math.max(0, x))];
  return pixels(size, (u, v) => {
    const sx = (u * size + 0.5 - x0) / scale - 0.5;
    const sy = (v * size + 0.5 - y0) / scale - 0.5;
    if (sx < -0.5 || sy < -0.5 || sx > img.width - 0.5 || sy > img.height - 0.5) return 0;
    const fx = Math.floor(sx);
    const fy = Math.floor(sy);
    const ax = sx - fx;
    const ay = sy - fy;
    return (1 - ay) * ((1 - ax) * at(fx, fy) + ax * at(fx + 1, fy)) +
      ay * ((1 - ax) * at(fx, fy + 1) + ax * at(fx + 1, fy + 1));
  });
}

const normalise = (image, mean, scale) => image.map((p) => (p - mean) * scale);

describe('TF.js graph models', { skip }, () => {
  let tmp;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fu-tfjs-graph-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const runOurs = (model, input, label) => {
    const inFile = path.join(tmp, `${label}.in.f32`);
    const outFile = path.join(tmp, `${label}.out.f32`);
    fs.writeFileSync(inFile, Buffer.from(input.buffer));
    cli('run', model, '--input', inFile, '--output', outFile);
    return readF32(outFile);
  };

  describe('blazeface-short', () => {
    it('re-converts to exactly the shipped models/blazeface-short.fum', () => {
      const out = path.join(tmp, 'blazeface.fum');
      cli('convert', 'blazeface', '--from', pkg, '--out', out);
      assert.ok(fs.readFileSync(out).equals(fs.readFileSync(shipped)),
        'models/blazeface-short.fum differs from a fresh conversion: reconvert and commit it');
    });

    it('computes what the original TF.js model computes', async (t) => {
      const reference = await loadReference(path.join(pkg, 'models', 'blazeface-front.json'));
      const images = syntheticImages(128);
      if (haveFaces) images.att_s1_1 = faceImage(path.join(attFaces, 's1', '1.pgm'), 128);
      else t.diagnostic(`no ${attFaces}: synthetic inputs only`);
      for (const [label, image] of Object.entries(images)) {
        const input = normalise(image, 127.5, 1 / 127.5);
        // Ours: regressors (896 x 16) then scores (896), anchors of the 16x16 map first. The TF
        // graph gives each map's head separately; joined in that order they must be identical.
        const ref = await reference.run(input, ['Identity_2', 'Identity_3', 'Identity',
          'Identity_1']);
        const ours = runOurs(shipped, input, `blazeface-${label}`);
        const { maxDiff, maxAbs } = compare(joinF32(ref.map((o) => o.values)), ours);
        const scores = ours.subarray(896 * 16);
        const best = 1 / (1 + Math.exp(-Math.max(...scores)));
        t.diagnostic(`${label}: max |diff| ${maxDiff.toExponential(2)}, max |x| ` +
          `${maxAbs.toFixed(2)}, best face score ${best.toFixed(4)}`);
        assert.ok(maxDiff <= tolerance(maxAbs),
          `${label}: max |diff| ${maxDiff} exceeds ${tolerance(maxAbs)}`);
      }
      reference.dispose();
    });
  });

  describe('mobilefacenet (converted for the record, not shipped)', () => {
    it('reproduces the original and reports its pairwise cosines', async (t) => {
      const model = path.join(tmp, 'mobilefacenet.fum');
      cli('convert', 'mobilefacenet', '--from', pkg, '--out', model);
      const reference = await loadReference(path.join(pkg, 'models', 'mobilefacenet.json'));
      const images = syntheticImages(112);
      if (haveFaces) {
        images.att_s1_1 = faceImage(path.join(attFaces, 's1', '1.pgm'), 112);
        images.att_s1_2 = faceImage(path.join(attFaces, 's1', '2.pgm'), 112);
        images.att_s2_1 = faceImage(path.join(attFaces, 's2', '1.pgm'), 112);
      }
      const refs = {};
      const ours = {};
      for (const [label, image] of Object.entries(images)) {
        const input = normalise(image, 127.5, 0.0078125);
        refs[label] = (await reference.run(input))[0].values;
        ours[label] = runOurs(model, input, `mobilefacenet-${label}`);
        const { maxDiff, maxAbs } = compare(refs[label], ours[label]);
        t.diagnostic(`${label}: max |diff| ${maxDiff.toExponential(2)}, max |x| ${maxAbs.toFixed(3)}`);
        assert.ok(maxDiff <= tolerance(maxAbs), `${label}: max |diff| ${maxDiff}`);
      }
      reference.dispose();
      const labels = Object.keys(images);
      for (let i = 0; i < labels.length; ++i) {
        for (let j = i + 1; j < labels.length; ++j) {
          const a = labels[i];
          const b = labels[j];
          t.diagnostic(`cosine ${a} / ${b}: original ${cosine(refs[a], refs[b]).toFixed(6)}, ` +
            `ours ${cosine(ours[a], ours[b]).toFixed(6)}`);
        }
      }
    });
  });
});
