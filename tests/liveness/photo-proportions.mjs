/**
 * @file How much two frontal photos of one person differ in the proportions the liveness check
 * measures, with no turn at all: what the genuine runs synthesised from different photos
 * (tests/cli/unlock.test.mjs, videos.mjs genuineFrames) carry into their aspect and squeeze before
 * any head turns. For each LFW person of that test (pickPeople, name order), a video of their
 * frontal photo (the challenge's start) followed by their second frontal photo, zoomed to the same
 * face height as genuineFrames zooms the turned ones, runs through `faceunlock unlock` with the
 * challenge's identity check off; the second photo's frames print their aspect against the first
 * (src/unlock/head_turn.h). A head that has not turned measures aspect 1 against a frame of itself
 * taken a moment earlier; the squeeze bound (0.88 with the landmarks) refuses a frame whose
 * aspect, over what its turn explains, falls under it. `--set att` does the same for AT&T's
 * subjects (pickAttPeople: their most frontal photo, then their next most frontal one), photos
 * taken seconds apart in one sitting, for comparison.
 *
 *   node tests/liveness/photo-proportions.mjs [--set lfw|att] [--people N] [--landmarks FILE]
 *
 * Needs build/faceunlock (or FACEUNLOCK_BIN) and ../shared/data; takes a minute or two.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  decodeRgb, detectAll, faceHeight, pickAttPeople, pickPeople, render, repoRoot, scriptCli, spread,
  writeY4m,
} from './videos.mjs';

const bin = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const count = Number(option('--people', 100));
const set = option('--set', 'lfw');
const landmarks = option('--landmarks', 'models/face-landmarks-68.fum');
const modelFlags = landmarks === 'none' ? [] : ['--landmarks', landmarks];
const FPS = 5;

const cli = scriptCli(bin);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-proportions-'));
try {
  const people = set === 'att' ? pickAttPeople(bin).slice(0, count) : pickPeople(bin, count);
  const gallery = path.join(dir, 'home.fug');
  for (const p of people) {
    const r = cli('enroll', '--gallery', gallery, '--user', p.name, ...modelFlags, ...p.enroll);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  // The second frontal photo is the first enrolled one (pickPeople).
  const seconds = people.map((p) => p.enroll[0]);
  const faces = detectAll(bin, seconds);
  const aspects = [];
  let bound = null;
  let notStarted = 0;
  for (const p of people) {
    const second = p.enroll[0];
    const frontalHeight = set === 'att' ? p.heights.get(p.frontal) : p.heights.frontal;
    const zoom = frontalHeight / faceHeight(faces.get(second).keypoints);
    const frontal = render(decodeRgb(p.frontal));
    const other = render(decodeRgb(second), { zoom });
    const video = path.join(dir, 'run.y4m');
    writeY4m(video, [...Array(8).fill(frontal), ...Array(4).fill(other)], FPS);
    const r = cli('unlock', '--gallery', gallery, video, '--json', '--challenge-identity', 'off',
        '--turn-ms', '60000', ...modelFlags);
    fs.rmSync(video);
    if (r.status !== 0 && r.status !== 3) throw new Error(`faceunlock unlock: exit ${r.status}: ${r.stderr}`);
    const result = JSON.parse(r.stdout);
    bound = result.bounds.min_squeeze;
    // The last frames are the second photo's (the challenge starts on the frontal ones).
    const measured = (result.frames ?? []).slice(-4).filter((f) => f.aspect !== undefined);
    if (measured.length === 0) {
      notStarted++;
      continue;
    }
    const median = measured.map((f) => f.aspect).sort((a, b) => a - b)[measured.length >> 1];
    aspects.push(median);
  }
  console.log(`${people.length} people; the challenge started for ${aspects.length} ` +
      `(${notStarted} frontal photos not recognised)`);
  console.log(`aspect of the second frontal photo against the first (no turn): ${spread(aspects)}`);
  const under = aspects.filter((a) => a < bound).length;
  const over = aspects.filter((a) => 1 / a < bound).length;
  console.log(`under the squeeze bound ${bound}: ${under} of ${aspects.length}; ` +
      `under it with the photos' roles swapped: ${over}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
