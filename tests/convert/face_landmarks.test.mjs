// `faceunlock convert face-landmarks-68`: the committed model file must be what the converter
// writes today from @vladmandic/face-api's landmark weights. (The landmark stage is optional and
// off by default: on LFW View 1 it did not beat BlazeFace's keypoints; see models/README.md.)
// Run with `node --test tests/convert/`; skips without the binary or node_modules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.FACEUNLOCK_BIN || path.join(repo, 'build', 'faceunlock');
const committed = path.join(repo, 'models', 'face-landmarks-68.fum');
const weights = path.join(repo, 'node_modules', '@vladmandic', 'face-api', 'model',
  'face_landmark_68_model-weights_manifest.json');

let skip = false;
if (!fs.existsSync(bin)) skip = `faceunlock binary not found at ${bin}`;
else if (!fs.existsSync(weights)) skip = `face-api weights not found at ${weights}: run npm ci`;
if (skip && process.env.CI) throw new Error(`CI must run the converter test: ${skip}`);

describe('face-landmarks-68 converter', { skip }, () => {
  it('re-converting the package reproduces models/face-landmarks-68.fum byte for byte', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-landmarks-'));
    try {
      const out = path.join(dir, 'landmarks.fum');
      const r = spawnSync(bin, ['convert', 'face-landmarks-68', '--out', out], {
        encoding: 'utf8', cwd: repo, timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(fs.readFileSync(out).equals(fs.readFileSync(committed)),
        'the converter output differs from models/face-landmarks-68.fum: run `faceunlock ' +
        'convert face-landmarks-68 --out models/face-landmarks-68.fum` and review the change');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
