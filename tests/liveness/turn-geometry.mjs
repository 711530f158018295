/**
 * @file The head-turn geometry on its own: genuine head turns and photo attacks run through
 * `faceunlock unlock` with the challenge's identity check off (`--challenge-identity off`), so
 * every frame of an attack is judged by the geometry alone and none ends early because the gallery
 * refused a squeezed face. Prints what each bound of src/unlock/liveness_bounds.h decides on,
 * genuine runs against attacks: how far each genuine run turned (its peak lateral each way) and
 * how far the attacks' keypoints seem to turn (in plane, and tilted); for the frames past the
 * lateral and parallax bounds (in the direction their nose moved, so both ways of a tilted photo
 * count), the spread of scale, aspect and squeeze (the aspect against what a head turned that far
 * shows, src/unlock/head_turn.h); and how many runs of each unlock with the geometry alone.
 *
 *   node tests/liveness/turn-geometry.mjs [--set att|lfw|both] [--dump FILE] [--landmarks FILE]
 *       [--unlock-flags "..."]
 *
 * The AT&T set is the calibration set (its subjects turned their heads between their lab photos:
 * real turns); LFW is the test set (tests/cli/unlock.test.mjs), not to be tuned on. --dump writes
 * every challenge frame's measures as JSON lines for further analysis.
 * Needs build/faceunlock (or FACEUNLOCK_BIN) and ../shared/data; takes several minutes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  PHOTO_ATTACKS, attGenuineFrames, attackFrames, decodeRgb, genuineFrames, haveAtt, haveData,
  pickAttPeople, pickPeople, render, repoRoot, scriptCli, spread, writePpm, writeY4m,
} from './videos.mjs';

const bin = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const set = option('--set', 'both');
const dumpFile = option('--dump', null);
// Extra flags for every unlock run (e.g. to try other bounds).
const extra = (option('--unlock-flags', '') || '').split(' ').filter(Boolean);
// The 68-point landmark model for unlocking (its eye, nose and mouth points
// replace BlazeFace's, src/face/landmarks.h).
const landmarks = option('--landmarks', null);
const modelFlags = landmarks ? ['--landmarks', landmarks] : [];
const FPS = 5;
const ATTACK_FRAMES = 40;
// The tilted photos alone: the only attacks whose keypoints can look turned.
const ATTACK_KINDS = Object.keys(PHOTO_ATTACKS);

const cli = scriptCli(bin);

/** The bounds the binary judged with (`faceunlock unlock --json` prints them). */
let bounds = null;
let keypoints = null;

function unlock(gallery, video, seed) {
  const r = cli('unlock', '--gallery', gallery, video, '--json', '--seed', String(seed),
      '--challenge-identity', 'off', ...modelFlags, ...extra);
  if (r.status !== 0 && r.status !== 3) throw new Error(`faceunlock unlock: exit ${r.status}: ${r.stderr}`);
  const result = JSON.parse(r.stdout);
  bounds = result.bounds;
  keypoints = result.keypoints;
  return result;
}

function enroll(gallery, name, files) {
  // Templates aligned as the frames will be (on the landmarks' points when they are used).
  const r = cli('enroll', '--gallery', gallery, '--user', name, ...modelFlags, ...files);
  if (r.status !== 0) throw new Error(r.stderr);
}

function plan(gallery, seed) {
  const r = cli('unlock', '--gallery', gallery, '--plan', '--json', '--seed', String(seed), '-');
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).turns;
}

const dump = dumpFile ? fs.openSync(dumpFile, 'w') : null;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-geometry-'));

/**
 * Runs one video and collects its challenge frames.
 * @returns {{unlocked: boolean, frames: any[]}}
 */
function run(gallery, frames, seed, label) {
  const video = path.join(dir, 'run.y4m');
  writeY4m(video, frames, FPS);
  const r = unlock(gallery, video, seed);
  fs.rmSync(video);
  const turnFrames = (r.frames ?? []).filter((f) => f.lateral !== undefined);
  if (dump) {
    for (const f of turnFrames) fs.writeSync(dump, `${JSON.stringify({ ...label, ...f })}\n`);
    fs.writeSync(dump, `${JSON.stringify({ ...label, unlocked: r.unlocked, reason: r.reason, check: r.check })}\n`);
  }
  for (const f of turnFrames) Object.assign(f, label);
  const stopped = r.check ? `${r.check}${r.check_value === undefined ? '' : ` ${r.check_value.toFixed(3)}`}` : r.reason;
  return { unlocked: r.unlocked, turnsDone: r.turns_done ?? 0, frames: turnFrames, stopped };
}

/** The peak lateral of a run's frames each way: how far the head (or the drawn nose) turned. */
function peaks(frames) {
  const peak = { left: 0, right: 0 };
  for (const f of frames) {
    peak.left = Math.max(peak.left, f.lateral);
    peak.right = Math.max(peak.right, -f.lateral);
  }
  return peak;
}

/** A frame judged towards the side its nose moved: signed lateral and parallax made positive. */
function towardsTurn(f) {
  const sign = f.lateral >= 0 ? 1 : -1;
  return { ...f, lateral: sign * f.lateral, parallax: sign * f.parallax };
}

const IN_PLANE = new Set(['still', 'moved', 'zoomed', 'rotated']);

/** The frames that show the asked turn by lateral and parallax: what scale and aspect decide on. */
function turned(frames) {
  return frames.filter((f) => ['scale', 'aspect', 'squeeze', 'identity', 'none'].includes(f.check));
}

function report(name, genuine, attacks) {
  const g = turned(genuine.frames);
  const a = turned(attacks.frames);
  console.log(`${name}, keypoints ${keypoints}, bounds ${JSON.stringify(bounds)}`);
  console.log(`  genuine runs unlocked by the geometry alone ${genuine.passed} of ${genuine.runs}; ` +
      `photo attacks ${attacks.passed} of ${attacks.runs}, ${attacks.fooledTurn} of them passing at least one turn`);
  console.log(`  genuine peak lateral per run and direction: ${spread(genuine.peaks)}`);
  const inPlane = attacks.frames.filter((f) => IN_PLANE.has(f.kind)).map(towardsTurn);
  const tilted = attacks.frames.filter((f) => !IN_PLANE.has(f.kind)).map(towardsTurn);
  console.log(`  attacks still, moved, zoomed, rotated: lateral ${spread(inPlane.map((f) => f.lateral))}`);
  console.log(`                                        parallax ${spread(inPlane.map((f) => f.parallax))}`);
  console.log(`  attacks tilted: lateral ${spread(tilted.map((f) => f.lateral))}`);
  // Frames past the lateral and parallax bounds towards the side they turned, genuine and attack
  // alike: what scale, aspect and squeeze must decide on (both ways of a tilted photo).
  if (bounds) {
    const past = (frames) => frames.map(towardsTurn)
        .filter((f) => f.lateral >= bounds.min_lateral && f.parallax >= bounds.min_parallax);
    const inScale = (f) => f.scale >= bounds.min_scale && f.scale <= bounds.max_scale;
    const gp = past(genuine.frames);
    const ap = past(attacks.frames);
    console.log('  frames past lateral and parallax (either way):');
    for (const key of ['parallax', 'scale', 'aspect', 'squeeze']) {
      // aspect and squeeze: of the frames within the scale bounds too.
      const within = ['aspect', 'squeeze'].includes(key) ? (list) => list.filter(inScale) : (list) => list;
      console.log(`    ${key}${within === inScale ? '' : ''}: genuine ${spread(within(gp).map((f) => f[key]))}`);
      console.log(`    ${' '.repeat(key.length)}  attacks ${spread(within(ap).map((f) => f[key]))}`);
    }
    const closest = ap.filter(inScale).sort((x, y) => y.squeeze - x.squeeze)[0];
    if (closest) {
      const v = (k) => closest[k].toFixed(3);
      console.log(`  attack frame with the highest squeeze past lateral, parallax and scale: ${closest.kind} on ` +
          `${closest.person}, frame ${closest.frame}: lateral ${v('lateral')} parallax ${v('parallax')} ` +
          `scale ${v('scale')} aspect ${v('aspect')} squeeze ${v('squeeze')}`);
    }
    const lowest = gp.filter(inScale).sort((x, y) => x.squeeze - y.squeeze)[0];
    if (lowest) {
      const v = (k) => lowest[k].toFixed(3);
      console.log(`  genuine frame with the lowest squeeze past lateral, parallax and scale: ${lowest.person}, ` +
          `frame ${lowest.frame}: lateral ${v('lateral')} aspect ${v('aspect')} squeeze ${v('squeeze')}`);
    }
  }
  console.log('  frames turned as asked by lateral and parallax (the verdicts):');
  for (const [what, key] of [['scale', 'scale'], ['aspect', 'aspect'], ['squeeze', 'squeeze']]) {
    const gv = g.map((f) => f[key]).filter((v) => v !== undefined);
    const av = a.map((f) => f[key]).filter((v) => v !== undefined);
    console.log(`    ${what}: genuine ${spread(gv)}`);
    console.log(`    ${' '.repeat(what.length)}  attacks ${spread(av)}`);
  }
  for (const row of genuine.rows) console.log(`  ${row}`);
  for (const row of attacks.rows) console.log(`  ${row}`);
}

/**
 * Every person's genuine challenge run, then every kind of photo attack on their frontal photo.
 * @param {string} set 'att' or 'lfw'
 * @param {string} gallery
 * @param {!Array<!Object>} people
 * @param {function(!Object, !Object): !Array} genuineFramesOf the person's turning frames for a plan
 * @param {{genuine: function(number): number, attack: function(number): number}} seeds by index
 */
function measureSet(set, gallery, people, genuineFramesOf, seeds) {
  const genuine = { runs: 0, passed: 0, frames: [], peaks: [], rows: [] };
  const attacks = { runs: 0, passed: 0, fooledTurn: 0, frames: [], rows: [] };
  people.forEach((p, i) => {
    const seed = seeds.genuine(i);
    const r = run(gallery, genuineFramesOf(p, plan(gallery, seed)), seed,
        { set, kind: 'genuine', person: p.name });
    genuine.runs++;
    genuine.passed += r.unlocked ? 1 : 0;
    genuine.frames.push(...r.frames);
    const peak = peaks(r.frames);
    genuine.peaks.push(peak.left, peak.right);
    if (!r.unlocked) {
      genuine.rows.push(`genuine ${p.name} stopped by ${r.stopped}; peak lateral left ` +
          `${peak.left.toFixed(3)} right ${peak.right.toFixed(3)}`);
    }
  });
  people.forEach((p, i) => {
    for (const kind of ATTACK_KINDS) {
      const r = run(gallery, attackFrames(p.frontal, kind, ATTACK_FRAMES), seeds.attack(i),
          { set, kind, person: p.name });
      attacks.runs++;
      attacks.fooledTurn += r.turnsDone >= 1 ? 1 : 0;
      attacks.frames.push(...r.frames);
      if (r.unlocked) {
        attacks.passed++;
        attacks.rows.push(`attack ${kind} on ${p.name} PASSED`);
      }
    }
  });
  return { genuine, attacks };
}

try {
  if ((set === 'att' || set === 'both') && haveAtt()) {
    const gallery = path.join(dir, 'att.fug');
    const people = pickAttPeople(bin);
    for (const p of people) {
      const files = p.enroll.map((f, k) => {
        const file = path.join(dir, `${p.name}-${k}.ppm`);
        writePpm(file, render(decodeRgb(f), { zoom: p.heights.get(p.frontal) / p.heights.get(f) }));
        return file;
      });
      enroll(gallery, p.name, files);
    }
    // Every AT&T person's frontal photo attacked (the test attacks 5; calibration sees all).
    const { genuine, attacks } = measureSet('att', gallery, people, attGenuineFrames,
        { genuine: (i) => 200 + i, attack: (i) => 7 + i });
    report(`AT&T (calibration, ${people.length} people)`, genuine, attacks);
  }
  if ((set === 'lfw' || set === 'both') && haveData()) {
    const gallery = path.join(dir, 'lfw.fug');
    const people = pickPeople(bin, 30);
    for (const p of people) {
      enroll(gallery, p.name, p.enroll);
    }
    const { genuine, attacks } = measureSet('lfw', gallery, people, genuineFrames,
        { genuine: (i) => i + 1, attack: (i) => 100 + i });
    report(`LFW (test, ${people.length} people)`, genuine, attacks);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
  if (dump) fs.closeSync(dump);
}
