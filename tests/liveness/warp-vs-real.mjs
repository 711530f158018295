/**
 * @file Is a head turned by the 3-D warp (head-warp.mjs) recognised like a real turned head? On
 * AT&T, whose subjects really turned their heads in front of one camera within a session, each
 * person's most turned photo each way is set against their frontal photo warped to the same turn
 * (the yaw that gives the real photo's lateral on the warp's own head: lateral is about 0.94
 * tan(yaw) there, tests/cli/unlock.test.mjs). Both are shown to `faceunlock unlock` after the
 * same frontal start and the score of the turned frames against the gallery is read, with the
 * challenge's identity check off so that every frame is scored.
 *
 *   node tests/liveness/warp-vs-real.mjs [--landmarks models/face-landmarks-68.fum]
 *
 * Prints one line per person and way, then the spread of the score drop (frontal minus turned)
 * for the real and the warped turns, and how many of each fall under the threshold.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { headModel, renderPose } from './head-warp.mjs';
import {
  HEIGHT, WIDTH, decodeRgb, landmarksAll, pickAttPeople, render, repoRoot, spread, writePpm, writeY4m,
} from './videos.mjs';

const bin = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
const args = process.argv.slice(2);
const flags = args.includes('--landmarks') ? ['--landmarks', args[args.indexOf('--landmarks') + 1]] : [];
const LANDMARKS = 'models/face-landmarks-68.fum';
const LATERAL_PER_TAN = 0.94;

function cli(...a) {
  const r = spawnSync(bin, a, { encoding: 'utf8', cwd: repoRoot, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  return r;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-warp-vs-real-'));
try {
  const gallery = path.join(dir, 'att.fug');
  const people = pickAttPeople(bin);
  const zoomed = (p, f) => render(decodeRgb(f), { zoom: p.heights.get(p.frontal) / p.heights.get(f) });
  for (const p of people) {
    const files = p.enroll.map((f, k) => {
      const file = path.join(dir, `${p.name}-${k}.ppm`);
      writePpm(file, zoomed(p, f));
      return file;
    });
    const r = cli('enroll', '--gallery', gallery, '--user', p.name, ...flags, ...files);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const frontalFiles = people.map((p) => {
    const file = path.join(dir, `${p.name}-frontal.ppm`);
    writePpm(file, zoomed(p, p.frontal));
    return file;
  });
  const marks = landmarksAll(bin, frontalFiles, LANDMARKS);
  const drops = { real: [], warped: [] };
  const under = { real: 0, warped: 0 };
  let threshold;
  // The turned frames' median score and lateral from a run of 8 frontal frames then 4 turned.
  const scoreTurned = (frontal, turned) => {
    const video = path.join(dir, 'run.y4m');
    writeY4m(video, [...Array(8).fill(frontal), ...Array(4).fill(turned)], 5);
    const r = cli('unlock', '--gallery', gallery, video, '--json', '--challenge-identity', 'off',
        '--turn-ms', '60000', ...flags);
    const j = JSON.parse(r.stdout);
    threshold = j.threshold;
    const frames = j.frames ?? [];
    const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    const start = median(frames.slice(0, 8).map((f) => f.score ?? 0));
    const late = frames.slice(8).filter((f) => f.score !== undefined);
    return { start, score: late.length ? median(late.map((f) => f.score)) : 0,
      lateral: late.length ? median(late.map((f) => f.lateral ?? 0)) : 0 };
  };
  people.forEach((p, i) => {
    const landmarks = marks.get(frontalFiles[i]);
    if (!landmarks) return;
    const frontalRgb = zoomed(p, p.frontal);
    const model = headModel(landmarks, { width: WIDTH, height: HEIGHT });
    for (const way of ['left', 'right']) {
      const realFile = p[way].at(-1);
      const real = scoreTurned(frontalRgb, zoomed(p, realFile));
      // The warp's yaw for the lateral measured on the real photo (positive: the subject's left).
      const yaw = (Math.atan(real.lateral / LATERAL_PER_TAN) * 180) / Math.PI;
      const warped = scoreTurned(frontalRgb,
          renderPose({ width: WIDTH, height: HEIGHT, rgb: frontalRgb }, model, { yaw }));
      drops.real.push(real.start - real.score);
      drops.warped.push(warped.start - warped.score);
      under.real += real.score < threshold ? 1 : 0;
      under.warped += warped.score < threshold ? 1 : 0;
      console.log(`${p.name} ${way}: real lateral ${real.lateral.toFixed(3)} ` +
          `score ${real.score.toFixed(4)}; warped (yaw ${yaw.toFixed(1)}) lateral ` +
          `${warped.lateral.toFixed(3)} score ${warped.score.toFixed(4)}; frontal ${real.start.toFixed(4)}`);
    }
  });
  console.log(`threshold ${threshold}`);
  for (const kind of ['real', 'warped']) {
    console.log(`score drop frontal -> ${kind} turn: ${spread(drops[kind])}; ` +
        `under the threshold ${under[kind]} of ${drops[kind].length}`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
