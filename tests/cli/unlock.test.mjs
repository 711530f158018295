// `faceunlock unlock` end to end, and the liveness measurement: genuine head-turn runs
// synthesised two ways, from LFW photos of one person at different yaws and from ONE photo of the
// person turned by a 3-D warp (tests/liveness/head-warp.mjs), against photo attacks made from
// the same people's photos (tests/liveness/videos.mjs). The videos are made here, in a temporary
// folder, never committed. Without LFW or the binary the tests skip.
//
// The challenge measures the 68-point landmark model's points (the library's path whenever liveness
// is on) or BlazeFace's keypoints (FACEUNLOCK_KEYPOINTS=detector, or all: the CLI's default and
// the library's with models.landmarks null), each with its bounds (src/unlock/liveness_bounds.h)
// and enrolled with the same points.
// Figures (printed as a table): run `CI=true node --test tests/cli/unlock.test.mjs` after
// `bash scripts/build.sh`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { controlPoints, headModel, project, renderPose } from '../liveness/head-warp.mjs';
import {
  PHOTO_ATTACKS, attGenuineFrames, attackFrames, decodeRgb, genuineFrames, haveAtt, haveData,
  landmarksAll, noseLateral, pickAttPeople, pickPeople, render, repoRoot, spread, stoppedBy,
  swapFrames,
  TurnSpreads, warpedGenuineFrames, writePpm, writeY4m,
} from '../liveness/videos.mjs';

const bin = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
// 5 frames per second: a slow webcam, and half the frames to analyse of a 10 fps one.
const FPS = 5;
// FACEUNLOCK_GENUINE_PEOPLE=100 measures the genuine syntheses on more people (the first in name
// order, as for 30), to narrow the rates' confidence; the floors below are for 30.
const GENUINE_PEOPLE = Number(process.env.FACEUNLOCK_GENUINE_PEOPLE ?? 30);
// x 7 kinds of attack = 35 attacks; FACEUNLOCK_ATTACKED_PEOPLE=30 attacks the photos of every
// genuine person (the warped runs' photos), to measure, not for CI (each person adds about a
// minute).
const ATTACKED_PEOPLE = Number(process.env.FACEUNLOCK_ATTACKED_PEOPLE ?? 5);
const ATTACK_FRAMES = 40; // 8 s: longer than fusion plus the first turn's time allowed
// The two sources of the points the challenge measures, each with its own bounds
// (src/unlock/liveness_bounds.h). Floors: genuine runs that must pass, the measurement minus one
// run (LFW of 30; AT&T of the people whose photos turn at least 0.2 each way; LFW warped of 30).
const KEYPOINT_PATHS = [
  // Measured 19 of 30 and 7 of 9.
  // Warped (one photo turned in 3-D): measured 8 of 30, 17 stopped by identity.
  { name: 'BlazeFace keypoints', source: 'detector', flags: [], lfwFloor: 18, attFloor: 6, warpFloor: 7 },
  // With its default continuity check (gallery+start, unlock::default_challenge_identity):
  // measured 21 of 30 (20 with the gallery alone; src/unlock/README.md says what stops the 9) and
  // 9 of 9 (17 of all 22).
  { name: '68-point landmarks', source: 'landmarks-68', flags: ['--landmarks', 'models/face-landmarks-68.fum'],
    // Warped: measured 28 of 30 (27 before turns past the judged range held the frames in a row;
    // 17 with the gallery alone, 12 stopped by identity), none stopped by the geometry.
    lfwFloor: 20, attFloor: 8, warpFloor: 27 },
];
// The library's liveness path (the landmarks) runs by default; FACEUNLOCK_KEYPOINTS=detector runs
// BlazeFace's keypoints, =all both (each takes several minutes, too long for CI together).
const KEYPOINTS_RUN = process.env.FACEUNLOCK_KEYPOINTS ?? 'landmarks-68';
const PATHS_RUN = KEYPOINT_PATHS.filter((k) => KEYPOINTS_RUN === 'all' || k.source === KEYPOINTS_RUN);

let skip = false;
if (!fs.existsSync(bin)) skip = `faceunlock binary not found at ${bin}: build it first`;
else if (!haveData()) skip = 'LFW photos not found under ../shared/data/lfw';

function cli(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 300_000, cwd: repoRoot, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Flags for every unlock run of both paths, to measure variants (e.g.
// FACEUNLOCK_UNLOCK_FLAGS='--min-squeeze 0.9').
const UNLOCK_FLAGS = (process.env.FACEUNLOCK_UNLOCK_FLAGS ?? '').split(' ').filter(Boolean);

/**
 * Enrols a user with templates aligned as the unlock aligns its frames (on the landmark model's
 * points when the path uses them).
 * @param {{flags: string[]}} keypoints a KEYPOINT_PATHS entry
 */
function enroll(keypoints, gallery, name, files) {
  const r = cli('enroll', '--gallery', gallery, '--user', name, ...keypoints.flags, ...files);
  assert.equal(r.code, 0, r.stderr);
}

function unlock(keypoints, gallery, video, ...extra) {
  const r = cli('unlock', '--gallery', gallery, video, '--json', ...keypoints.flags, ...UNLOCK_FLAGS,
      ...extra);
  assert.ok(r.code === 0 || r.code === 3, `exit ${r.code}: ${r.stderr}`);
  const result = JSON.parse(r.stdout);
  assert.equal(r.code === 0, result.unlocked);
  return result;
}

// The range of the warped runs' peak yaws in degrees (tests/liveness/videos.mjs turnPoses), e.g.
// FACEUNLOCK_WARP_YAWS=15-25 to see how far a turn the identity check keeps up with.
const WARP_YAWS = (process.env.FACEUNLOCK_WARP_YAWS ?? '20-35').split('-').map(Number);

// FACEUNLOCK_SHOW_FRAMES=1 prints every challenge frame of a failed warped run (its measures
// and the check it failed), to see why a turn did not count.
const SHOW_FRAMES = process.env.FACEUNLOCK_SHOW_FRAMES === '1';
function frameRows(result) {
  return (result.frames ?? []).filter((f) => f.lateral !== undefined).map((f) =>
    `  frame ${f.frame} ${f.turn}: lateral ${f.lateral.toFixed(3)} aspect ${f.aspect.toFixed(3)} ` +
    `squeeze ${f.squeeze.toFixed(3)} scale ${f.scale.toFixed(3)} check ${f.check}`);
}

// Who turns in a face swap on the i-th victim: the person as far down the list, never the victim
// (with an odd count the middle one would otherwise be swapped with themselves: a genuine run).
function swappedIn(people, i) {
  const other = people.length - 1 - i;
  return people[other === i ? (i + 1) % people.length : other];
}

// The genuine people, picked once for every describe (pickPeople runs the detector on many photos).
let genuinePeople;
function pickGenuinePeople() {
  genuinePeople ??= pickPeople(bin, GENUINE_PEOPLE);
  return genuinePeople;
}

// The turns a session of this seed will ask for. The gallery is opened, so it takes the keypoint
// path's flags like every other run on it.
function plan(keypoints, gallery, seed) {
  const r = cli('unlock', '--gallery', gallery, '--plan', '--json', '--seed', String(seed), '-',
      ...keypoints.flags);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).turns;
}

for (const keypoints of PATHS_RUN) {
  describe(`faceunlock unlock (${keypoints.name})`, { skip }, () => {
    let dir;
    let gallery;
    let people;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-unlock-'));
      gallery = path.join(dir, 'home.fug');
      people = pickGenuinePeople();
      for (const p of people) {
        enroll(keypoints, gallery, p.name, p.enroll);
      }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('finds enough people with frontal and turned photos', () => {
      assert.equal(people.length, GENUINE_PEOPLE);
    });

    it('unlocks without liveness from a still photo (what liveness is for), and says why not', () => {
      const p = people[0];
      const still = path.join(dir, 'still.y4m');
      writeY4m(still, attackFrames(p.frontal, 'still', 10), FPS);
      const open = unlock(keypoints, gallery, still, '--liveness', 'off');
      assert.deepEqual([open.unlocked, open.user, open.reason], [true, p.name, 'matched']);
      assert.ok(open.score >= open.threshold);
      assert.equal(open.level, '1e-3');
      // The challenge's bounds are those of the points it measures.
      assert.equal(open.keypoints, keypoints.source);
      const shut = unlock(keypoints, gallery, still);
      assert.deepEqual([shut.unlocked, shut.user, shut.reason], [false, '', 'liveness-failed']);
      const text = cli('unlock', '--gallery', gallery, still, ...keypoints.flags);
      assert.equal(text.code, 3);
      assert.match(text.stdout, /^not unlocked: liveness-failed \(the head did not turn/);
      // A folder of frames is read in name order, like a video.
      const frames = path.join(dir, 'frames');
      fs.mkdirSync(frames);
      for (let i = 0; i < 4; i++) fs.copyFileSync(p.frontal, path.join(frames, `${i}.jpg`));
      assert.equal(unlock(keypoints, gallery, frames, '--liveness', 'off').user, p.name);
      assert.equal(unlock(keypoints, gallery, frames, '--liveness', 'off', '--level', '2e-5').level, '2e-5');
    });

    it('refuses bad input with a clear message', () => {
      const bad = path.join(dir, 'bad.y4m');
      fs.writeFileSync(bad, 'YUV4MPEG2 W64 H64 C444\n');
      const r = cli('unlock', '--gallery', gallery, bad, ...keypoints.flags);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot read video \(.*bad\.y4m\): colour space C444 is not supported/);
      const level = cli('unlock', '--gallery', gallery, bad, '--level', '1e-2', ...keypoints.flags);
      assert.match(level.stderr, /unknown; use '1e-3', '1e-4' or '2e-5'/);
    });

    it('measures genuine challenge runs and photo attacks', () => {
      const rows = [];
      let genuinePassed = 0;
      const spreads = new TurnSpreads();
      people.forEach((p, i) => {
        const seed = i + 1;
        const turns = plan(keypoints, gallery, seed);
        const video = path.join(dir, `genuine-${i}.y4m`);
        writeY4m(video, genuineFrames(p, turns), FPS);
        const r = unlock(keypoints, gallery, video, '--seed', String(seed));
        const ok = r.unlocked && r.user === p.name;
        genuinePassed += ok ? 1 : 0;
        spreads.add('genuine', r);
        if (!ok) rows.push(`genuine ${p.name} ${turns.join(',')}: ${r.reason}, stopped by ${stoppedBy(r)} (${r.hint})`);
        fs.rmSync(video);
      });
      const attacks = {};
      const geometryAlone = { tried: 0, passed: 0 };
      for (const kind of [...Object.keys(PHOTO_ATTACKS), 'face swap']) attacks[kind] = { tried: 0, passed: 0 };
      for (let i = 0; i < ATTACKED_PEOPLE; i++) {
        const victim = people[i];
        for (const kind of Object.keys(attacks)) {
          const seed = 100 + i;
          const video = path.join(dir, `attack-${i}.y4m`);
          const frames = kind === 'face swap' ?
            swapFrames(victim.frontal, swappedIn(people, i), plan(keypoints, gallery, seed)) :
            attackFrames(victim.frontal, kind, ATTACK_FRAMES);
          writeY4m(video, frames, FPS);
          const r = unlock(keypoints, gallery, video, '--seed', String(seed));
          attacks[kind].tried++;
          if (r.unlocked) {
            attacks[kind].passed++;
            rows.push(`attack ${kind} on ${victim.name} PASSED as ${r.user}`);
          }
          // A face swap's turns are a real head's (another enrolled person's): only identity can
          // stop it. The flat-photo kinds must fail on the geometry alone, with every frame's
          // identity taken as passed: the gallery refusing a squeezed face is no protection to
          // count on (a stronger embedder would accept it).
          if (kind !== 'face swap') {
            const g = unlock(keypoints, gallery, video, '--seed', String(seed), '--challenge-identity', 'off');
            geometryAlone.tried++;
            spreads.add('attack', g);
            if (g.unlocked) {
              geometryAlone.passed++;
              rows.push(`attack ${kind} on ${victim.name} PASSED the geometry alone (${stoppedBy(g)})`);
            }
          }
          fs.rmSync(video);
        }
      }
      const tried = Object.values(attacks).reduce((n, a) => n + a.tried, 0);
      const passed = Object.values(attacks).reduce((n, a) => n + a.passed, 0);
      console.log(`genuine challenge runs: ${genuinePassed} of ${people.length} unlocked`);
      for (const [kind, a] of Object.entries(attacks)) console.log(`photo attack ${kind}: ${a.passed} of ${a.tried} unlocked`);
      console.log(`photo attacks: ${passed} of ${tried} unlocked`);
      console.log(`photo attacks with the challenge's identity check off (geometry alone): ` +
          `${geometryAlone.passed} of ${geometryAlone.tried} unlocked`);
      // What the squeeze check decides on: frames showing the asked turn by every other measure
      // (attacks: from the geometry-alone runs, which see every frame of the first turn).
      spreads.print('');
      for (const row of rows) console.log(`  ${row}`);
      assert.ok(tried >= 30);
      assert.equal(passed, 0, 'no photo attack may unlock');
      assert.equal(geometryAlone.passed, 0, 'no flat photo may pass the geometry alone');
      // Photos taken years apart differ in the face's proportions before any turn (two frontal
      // photos of one person: aspect under the landmarks' squeeze bound for 5 of 51 people,
      // tests/liveness/photo-proportions.mjs), so this synthesis stays under 90% (landmarks: 21
      // of 30, 35 of 51); the warped runs below measure the turn itself. What stopped each run is
      // printed above (src/unlock/README.md lists them). The floor is the measurement minus one
      // run, to catch regressions.
      assert.ok(genuinePassed >= keypoints.lfwFloor, `${genuinePassed} of ${people.length} genuine runs`);
    });
  });

  // One head turning in front of one camera, synthesised from ONE photo of each genuine person
  // (the frontal photo the attacks above hold up) by a 3-D warp: its 68 landmarks given a generic
  // adult head's depths, turned 20 to 35 degrees each way with a little pitch, roll and drift
  // (tests/liveness/head-warp.mjs, videos.mjs turnPoses). What it proves and what it does not:
  // src/unlock/README.md. No bound was chosen on these runs (tuning on them would be circular:
  // the warp and the liveness check model the same 3-D facts). It adds about 3 minutes per keypoint
  // path to this file (189 s on the shared 2-core machine under load, of the file's 11 minutes).
  describe(`liveness on one photo's head turned in 3-D (LFW, ${keypoints.name})`, { skip }, () => {
    let dir;
    let gallery;
    let people;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-warp-'));
      gallery = path.join(dir, 'home.fug');
      people = pickGenuinePeople();
      for (const p of people) enroll(keypoints, gallery, p.name, p.enroll);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('passes warped genuine turns', () => {
      // The landmarks of each frontal photo as the camera frame shows it (the warp's mesh).
      const frames = people.map((p, i) => {
        const file = path.join(dir, `frontal-${i}.ppm`);
        writePpm(file, render(decodeRgb(p.frontal)));
        return file;
      });
      const landmarks = landmarksAll(bin, frames, 'models/face-landmarks-68.fum');
      const rows = [];
      let passed = 0;
      const spreads = new TurnSpreads();
      const peaks = [];
      people.forEach((p, i) => {
        const seed = 300 + i;
        const turns = plan(keypoints, gallery, seed);
        assert.ok(landmarks.get(frames[i]), `${p.name}: no single face in ${p.frontal}`);
        const video = path.join(dir, `warped-${i}.y4m`);
        writeY4m(video, warpedGenuineFrames(p.frontal, landmarks.get(frames[i]), turns, seed, WARP_YAWS), FPS);
        const r = unlock(keypoints, gallery, video, '--seed', String(seed));
        const ok = r.unlocked && r.user === p.name;
        passed += ok ? 1 : 0;
        spreads.add('genuine', r);
        const peak = { left: 0, right: 0 };
        for (const f of r.frames ?? []) {
          if (f.lateral !== undefined) peak[f.turn] = Math.max(peak[f.turn], (f.turn === 'left' ? 1 : -1) * f.lateral);
        }
        peaks.push(peak.left, peak.right);
        if (!ok) {
          // The quality check's yaw of the last frame judged: how far the head had turned when
          // the attempt ended (past 0.5 the face counts as turned).
          const last = (r.frames ?? []).filter((f) => f.yaw !== undefined).at(-1);
          rows.push(`warped ${p.name} ${turns.join(',')}: ${r.reason}, stopped by ${stoppedBy(r)} ` +
              `(${r.hint}); peak lateral left ${peak.left.toFixed(3)} right ${peak.right.toFixed(3)}; ` +
              `last frame's yaw ${last ? last.yaw.toFixed(2) : 'none'}`);
          if (SHOW_FRAMES) rows.push(...frameRows(r));
        }
        fs.rmSync(video);
      });
      console.log(`warped genuine runs (one photo's head turned in 3-D, peak yaws ${WARP_YAWS.join(' to ')} ` +
          `degrees): ${passed} of ${people.length} unlocked`);
      console.log(`warped peak lateral per asked turn (0 for a turn the session never asked): ` +
          `${spread(peaks.filter((x) => x > 0))}`);
      spreads.print('warped ');
      for (const row of rows) console.log(`  ${row}`);
      assert.ok(passed >= keypoints.warpFloor, `${passed} of ${people.length} warped genuine runs`);
    });
  });

  // Real head turns: AT&T's subjects turned their heads across their ten lab photos, so one
  // person's photos ordered by yaw are a turn photographed a frame at a time (pickAttPeople).
  // What this proves: the challenge accepts the keypoint geometry of real heads turning, frame by
  // frame, with the identity checked on turned faces. What it does not: the photos are seconds
  // apart, not 5 per second, and the subjects also moved between shots, so it is a stricter test
  // of the scale check than a video and a looser one of timing.
  describe(`liveness on real head turns (AT&T, ${keypoints.name})`,
      { skip: skip || (!haveAtt() && 'AT&T faces not found') }, () => {
    let dir;
    let gallery;
    let people;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-att-'));
      gallery = path.join(dir, 'att.fug');
      people = pickAttPeople(bin);
      for (const p of people) {
        // Enrolled from frames as the camera shows them (the photo rendered at webcam size).
        const files = p.enroll.map((f, k) => {
          const file = path.join(dir, `${p.name}-${k}.ppm`);
          writePpm(file, render(decodeRgb(f), { zoom: p.heights.get(p.frontal) / p.heights.get(f) }));
          return file;
        });
        enroll(keypoints, gallery, p.name, files);
      }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('passes genuine turns and refuses the same people\'s photos held up', () => {
      assert.ok(people.length >= 20, `${people.length} AT&T people with turns both ways`);
      const rows = [];
      const fair = people.filter((p) => p.turnedEnough);
      let passed = 0;
      let fairPassed = 0;
      const spreads = new TurnSpreads();
      people.forEach((p, i) => {
        const seed = 200 + i;
        const turns = plan(keypoints, gallery, seed);
        const video = path.join(dir, `genuine-${i}.y4m`);
        writeY4m(video, attGenuineFrames(p, turns), FPS);
        const r = unlock(keypoints, gallery, video, '--seed', String(seed));
        const ok = r.unlocked && r.user === p.name;
        spreads.add('genuine', r);
        passed += ok ? 1 : 0;
        fairPassed += ok && p.turnedEnough ? 1 : 0;
        if (!ok) {
          const peak = { left: 0, right: 0 };
          for (const f of r.frames ?? []) {
            if (f.lateral !== undefined) peak[f.turn] = Math.max(peak[f.turn], (f.turn === 'left' ? 1 : -1) * f.lateral);
          }
          rows.push(`genuine ${p.name}${p.turnedEnough ? '' : ' (turns < 0.2)'} ${turns.join(',')}: ` +
              `${r.reason}, stopped by ${stoppedBy(r)} (${r.hint}); peak lateral left ${peak.left.toFixed(3)} ` +
              `right ${peak.right.toFixed(3)}`);
        }
        fs.rmSync(video);
      });
      let attacksTried = 0;
      let attacksPassed = 0;
      let geometryAlonePassed = 0;
      for (const victim of people.slice(0, 5)) {
        for (const kind of Object.keys(PHOTO_ATTACKS)) {
          const video = path.join(dir, 'attack.y4m');
          writeY4m(video, attackFrames(victim.frontal, kind, ATTACK_FRAMES), FPS);
          const r = unlock(keypoints, gallery, video, '--seed', '7');
          attacksTried++;
          if (r.unlocked) {
            attacksPassed++;
            rows.push(`attack ${kind} on ${victim.name} PASSED as ${r.user}`);
          }
          const g = unlock(keypoints, gallery, video, '--seed', '7', '--challenge-identity', 'off');
          spreads.add('attack', g);
          if (g.unlocked) {
            geometryAlonePassed++;
            rows.push(`attack ${kind} on ${victim.name} PASSED the geometry alone (${stoppedBy(g)})`);
          }
          fs.rmSync(video);
        }
      }
      console.log(`AT&T genuine turns: ${passed} of ${people.length} unlocked ` +
          `(${fairPassed} of ${fair.length} whose photos turn at least 0.2 each way)`);
      console.log(`AT&T photo attacks: ${attacksPassed} of ${attacksTried} unlocked`);
      console.log(`AT&T photo attacks with the challenge's identity check off (geometry alone): ` +
          `${geometryAlonePassed} of ${attacksTried} unlocked`);
      spreads.print('AT&T ');
      for (const row of rows) console.log(`  ${row}`);
      assert.equal(attacksPassed, 0, 'no photo attack may unlock');
      assert.equal(geometryAlonePassed, 0, 'no flat photo may pass the geometry alone');
      assert.ok(fairPassed >= keypoints.attFloor, `${fairPassed} of ${fair.length} fair genuine runs`);
    });
  });
}

// The head warp (tests/liveness/head-warp.mjs) on a drawn face, no data needed: the unturned head
// reproduces its photo, a turn moves the nose against the eyes as far as a head of those depths
// does, and the far side folds away.
describe('head warp for synthesised turns', () => {
  // A 68-point face drawn in dlib's numbering, eyes 60 px apart about (320, 220).
  function drawnLandmarks() {
    const p = [];
    for (let i = 0; i <= 16; i++) { // jaw, the subject's right (image left) to left
      const a = Math.PI * (1 - i / 16);
      p.push([320 + 75 * Math.cos(a), 225 + 95 * Math.sin(a) * (i >= 3 && i <= 13 ? 1 : 0.6)]);
    }
    for (let i = 0; i < 5; i++) p.push([262 + 12 * i, 196 - 4 * Math.sin((Math.PI * i) / 4)]);
    for (let i = 0; i < 5; i++) p.push([330 + 12 * i, 196 - 4 * Math.sin((Math.PI * (i + 1)) / 4)]);
    for (let i = 0; i < 4; i++) p.push([320, 222 + 11 * i]); // nose bridge to tip
    for (let i = 0; i < 5; i++) p.push([308 + 6 * i, 262 - (i === 2 ? 2 : 0)]);
    // Each eye from its image-left corner (the right eye's outer, the left eye's inner) over the
    // upper lid and back under the lower one.
    const eye = (cx) => [[-1, 0], [-0.4, -0.5], [0.4, -0.5], [1, 0], [0.4, 0.5], [-0.4, 0.5]]
        .map(([x, y]) => [cx + 14 * x, 220 + 7 * y]);
    p.push(...eye(290), ...eye(350));
    for (let i = 0; i <= 6; i++) p.push([296 + 8 * i, 285 - 6 * Math.sin((Math.PI * i) / 6)]);
    for (let i = 1; i <= 5; i++) p.push([344 - 8 * i, 285 + 8 * Math.sin((Math.PI * i) / 6)]);
    for (let i = 0; i <= 4; i++) p.push([302 + 9 * i, 285 - 2 * Math.sin((Math.PI * i) / 4)]);
    for (let i = 1; i <= 3; i++) p.push([338 - 9 * i, 285 + 2 * Math.sin((Math.PI * i) / 4)]);
    return p;
  }
  // A photo whose every pixel differs from its neighbours, so a misplaced pixel shows.
  function texture() {
    const rgb = new Uint8Array(640 * 480 * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 2654435761) >>> 24;
    return { width: 640, height: 480, rgb };
  }
  const lateral = (pts) => noseLateral({
    right_eye: mean(pts.slice(36, 42)), left_eye: mean(pts.slice(42, 48)), nose_tip: pts[30],
    mouth_center: mean([pts[62], pts[66]]) });
  const mean = (pts) => [0, 1].map((c) => pts.reduce((s, q) => s + q[c], 0) / pts.length);

  it('has 68 landmarks in dlib\'s order, refuses another count, and tiles the whole frame', () => {
    const landmarks = drawnLandmarks();
    assert.equal(landmarks.length, 68);
    assert.throws(() => controlPoints(landmarks.slice(0, 67)), /expected 68 landmarks, got 67/);
    const model = headModel(landmarks, { width: 640, height: 480 });
    let area = 0;
    for (const t of model.triangles) {
      const [a, b, c] = t.map((i) => model.points[i]);
      area += Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2;
    }
    assert.ok(Math.abs(area - 640 * 480) < 1, `the triangles cover ${area} of ${640 * 480} pixels`);
    assert.throws(() => headModel(landmarks, { width: 250, height: 250 }), /must be a 640x480 frame/);
  });

  it('leaves the photo as it was when the head does not move', () => {
    const photo = texture();
    const model = headModel(drawnLandmarks(), photo);
    const still = renderPose(photo, model, {});
    let worst = 0;
    for (let i = 0; i < still.length; i++) worst = Math.max(worst, Math.abs(still[i] - photo.rgb[i]));
    assert.ok(worst <= 1, `largest change ${worst}`);
  });

  it('turns the nose against the eyes as a head of those depths does, and hides the far side', () => {
    const landmarks = drawnLandmarks();
    const photo = texture();
    const model = headModel(landmarks, photo);
    const start = lateral(landmarks);
    for (const yaw of [15, 25, 35]) {
      for (const sign of [1, -1]) {
        const pts = project(model, { yaw: sign * yaw }).slice(0, 68).map((q) => q.xy);
        const moved = lateral(pts) - start;
        // The nose tip stands about 3.5 cm (0.56 eye distances) in front of the eye centres and
        // 1.4 cm in front of the mouth: about 0.9 tan(yaw) across the face (0.94 measured here;
        // head_turn.h's head model gives 0.82 to 0.98).
        const tan = Math.tan((yaw * Math.PI) / 180);
        assert.ok(sign * moved > 0.8 * tan && sign * moved < 1.1 * tan,
          `yaw ${sign * yaw}: lateral ${moved.toFixed(3)} against tan ${tan.toFixed(3)}`);
      }
    }
    // Turned 35 degrees to the subject's left, the far side (the left cheek, image right) narrows
    // more than the near side widens: the outline and the nose's far wing come together.
    const pts = project(model, { yaw: 35 }).slice(0, 68).map((q) => q.xy);
    const before = landmarks[16][0] - landmarks[35][0];
    const after = pts[16][0] - pts[35][0];
    assert.ok(after < 0.5 * before, `far side ${before.toFixed(1)} px -> ${after.toFixed(1)} px`);
    const frame = renderPose(photo, model, { yaw: 35 });
    assert.equal(frame.length, 640 * 480 * 3);
    assert.notDeepEqual(frame, photo.rgb);
  });
});
