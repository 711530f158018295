// What the 68-point landmark model costs per frame of an unlock attempt, natively: the same
// synthesised head-turn video (tests/liveness/videos.mjs, one LFW person) through `faceunlock
// unlock --json` with BlazeFace's keypoints and with `--landmarks`, and the median time of each
// pipeline stage per frame (the landmark model runs inside "refine", after BlazeFace's second
// pass on the face's crop). Evidence for the browser wiring (src/unlock/README.md), not a test.
//
//   node bench/landmark_cost.mjs [--repeat N] [--backend xnnpack|simd|...]
//
// --backend simd runs the project's own SIMD kernels (natively), those the browser build uses.
//
// Needs build/faceunlock (or FACEUNLOCK_BIN) and ../shared/data/lfw.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  genuineFrames, haveData, pickPeople, repoRoot, writeY4m,
} from '../tests/liveness/videos.mjs';

const { values } = parseArgs({
  options: { repeat: { type: 'string', default: '3' }, backend: { type: 'string' } },
});
const backend = values.backend ? ['--backend', values.backend] : [];
const repeat = Number(values.repeat);
const bin = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
const model = path.join('models', 'face-landmarks-68.fum');
if (!fs.existsSync(bin)) throw new Error(`faceunlock binary not found at ${bin}: build it first`);
if (!haveData()) throw new Error('LFW photos not found under ../shared/data/lfw');

function cli(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd: repoRoot, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 3) throw new Error(`faceunlock ${args[0]}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const STAGES = ['detect', 'refine', 'quality', 'align', 'embed'];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-landmark-cost-'));
try {
  const [person] = pickPeople(bin, 1);
  const video = path.join(dir, 'turn.y4m');
  const paths = [['BlazeFace keypoints', []], ['68-point landmarks', ['--landmarks', model]]].map(([name, flags]) => {
    const gallery = path.join(dir, `${flags.length ? 'landmarks' : 'detector'}.fug`);
    cli('enroll', '--gallery', gallery, '--user', person.name, ...flags, ...person.enroll);
    return { name, flags, gallery };
  });
  const turns = JSON.parse(cli('unlock', '--gallery', paths[0].gallery, '--plan', '--json', '-')).turns;
  writeY4m(video, genuineFrames(person, turns), 5);
  console.log(`${person.name}: ${turns.join(', ')}; landmark model ${(fs.statSync(path.join(repoRoot, model)).size / 1024).toFixed(0)} KB`);
  for (const { name, flags, gallery } of paths) {
    const times = Object.fromEntries(STAGES.map((s) => [s, []]));
    const totals = [];
    for (let k = 0; k < repeat; k++) {
      // Identity off and a minute per turn: every frame of the video is analysed.
      const r = JSON.parse(cli('unlock', '--gallery', gallery, video, '--json', '--turn-ms', '60000',
          '--challenge-identity', 'off', ...backend, ...flags));
      for (const f of r.frames) {
        if (!f.face) continue;
        for (const s of STAGES) times[s].push(f.stage_ms[s]);
        totals.push(STAGES.reduce((sum, s) => sum + f.stage_ms[s], 0));
      }
    }
    const row = STAGES.map((s) => `${s} ${median(times[s]).toFixed(1)}`).join(', ');
    console.log(`${name}: median ms per frame with a face: ${row}; total ${median(totals).toFixed(1)} (${totals.length} frames)`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
