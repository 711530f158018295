/**
 * @file Whether the head-turn challenge could judge a turned face's identity more leniently than
 * an upright one's (src/unlock/unlock_session.h identity_of). Turned faces of the user score lower
 * against upright templates, so a lower threshold for them, or a comparison with the attempt's own
 * upright frames (continuity), would save genuine runs; it is only safe if strangers' turned faces
 * score lower too. This measures, on populations nobody tuned the challenge on (CelebA and AT&T;
 * never LFW View 2), how different-person pairs of one upright face (within the quality check's
 * yaw limit, as the frames that matched are) and one turned face (|lateral| >= 0.2, as the
 * challenge asks) score, and the margin below each level's threshold at which such pairs are
 * accepted no more often than different-person pairs of two upright faces of the same population
 * are at the level's threshold (the gallery check's own rate there). Measured: none (negative on
 * CelebA), so turned frames are judged at the level's threshold like any other.
 *
 *   node tests/liveness/turned-identity.mjs [--population DIR]... [--jobs N] [--cache DIR]
 *
 * --cache keeps each population's keypoints and embeddings in DIR (embedding 10,000 photos takes
 * minutes) and reuses them on the next run.
 * Needs build/faceunlock (or FACEUNLOCK_BIN) and the photos; prints a table.
 * Keypoints are the detector's on the photo as it is (the unlock path refines them on a crop, so
 * its laterals differ by a few hundredths); embeddings are a camera frame's (no mirror average).
 * Only the pose is checked, not the other quality checks: CelebA's 89x109 crops are smaller and
 * closer to the frame's edge than the quality check allows a camera's face to be.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { attDir, dataDir, detectAll, eyeYaw, noseLateral, repoRoot } from './videos.mjs';

const bin = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
const args = process.argv.slice(2);
const jobs = args.includes('--jobs') ? args[args.indexOf('--jobs') + 1] : '2';
const cacheDir = args.includes('--cache') ? args[args.indexOf('--cache') + 1] : null;
const populations = args.flatMap((a, i) => (a === '--population' ? [args[i + 1]] : []));
if (!populations.length) populations.push(path.join(dataDir, 'celeba-align-10k'), attDir);
// The challenge's own bound (LivenessOptions::min_lateral): a turned frame counts from there.
const MIN_LATERAL = 0.2;
const TARGETS = [['1e-3', 1e-3], ['1e-4', 1e-4], ['2e-5', 2e-5]];

/** @param {string} dir identity folders of photos */
function photosOf(dir) {
  const out = [];
  for (const id of readdirSync(dir).sort()) {
    const folder = path.join(dir, id);
    if (!statSync(folder).isDirectory()) continue;
    for (const e of readdirSync(folder, { withFileTypes: true })) {
      if (e.isFile() && /\.(jpe?g|png|pgm|ppm)$/i.test(e.name)) out.push({ id, file: path.join(folder, e.name) });
    }
  }
  return out;
}

/** Camera-frame embeddings (`faceunlock embed --mirror off`), by file. */
function embedAll(files) {
  const out = new Map();
  for (let i = 0; i < files.length; i += 500) {
    const run = spawnSync(bin, ['embed', ...files.slice(i, i + 500), '--json', '--mirror', 'off',
      '--jobs', jobs], { encoding: 'utf8', cwd: repoRoot, maxBuffer: 1 << 28 });
    if (run.status !== 0 && !run.stdout) throw new Error(`faceunlock embed failed: ${run.stderr}`);
    for (const image of JSON.parse(run.stdout).images) {
      if (image.embedding) out.set(image.file, Float64Array.from(image.embedding));
    }
  }
  return out;
}

function thresholdsOf() {
  const run = spawnSync(bin, ['info', path.join(repoRoot, 'models', 'dlib-resnet.fum'), '--json'],
    { encoding: 'utf8', cwd: repoRoot });
  const text = run.stdout;
  const level = (name) => Number(new RegExp(`"embedder\\.threshold\\.far_${name}": "([0-9.]+)"`).exec(text)[1]);
  return Object.fromEntries(TARGETS.map(([name]) => [name, level(name)]));
}

const dot = (a, b) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** The lowest threshold t (a score seen) with count(scores >= t) <= rate * n. */
function thresholdAt(sortedDesc, rate) {
  const allowed = Math.floor(rate * sortedDesc.length);
  // Accepting the top `allowed` scores; the next one down must be refused.
  return allowed < sortedDesc.length ? sortedDesc[allowed] + 1e-6 : -1;
}

const share = (sorted, t) => {
  let n = 0;
  for (const s of sorted) n += s >= t ? 1 : 0;
  return n / sorted.length;
};

if (!existsSync(bin)) {
  console.log(`skipped: ${bin} not found (bash scripts/build.sh)`);
  process.exit(0);
}
const levels = thresholdsOf();
console.log(`level thresholds (models/dlib-resnet.fum): ${JSON.stringify(levels)}`);
const margins = {};
for (const dir of populations) {
  if (!existsSync(dir)) {
    console.log(`${dir}: not found, skipped`);
    continue;
  }
  const photos = photosOf(dir);
  const cache = cacheDir && path.join(cacheDir, `${path.basename(dir)}.json`);
  let faces;
  let embeddings;
  if (cache && existsSync(cache)) {
    const saved = JSON.parse(readFileSync(cache, 'utf8'));
    faces = new Map(saved.faces);
    embeddings = new Map(saved.embeddings.map(([f, e]) => [f, Float64Array.from(e)]));
  } else {
    faces = detectAll(bin, photos.map((p) => p.file));
    embeddings = embedAll(photos.filter((p) => faces.get(p.file)).map((p) => p.file));
    if (cache) {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(cache, JSON.stringify({ faces: [...faces],
        embeddings: [...embeddings].map(([f, e]) => [f, [...e]]) }));
    }
  }
  const usable = photos.filter((p) => faces.get(p.file));
  const anchors = [];
  const turned = [];
  for (const p of usable) {
    const e = embeddings.get(p.file);
    if (!e) continue;
    const face = faces.get(p.file);
    const lateral = noseLateral(face.keypoints);
    // face::QualityOptions::max_yaw: the frames that matched at the level passed it.
    if (Math.abs(eyeYaw(face.keypoints)) <= 0.5) anchors.push({ ...p, e });
    if (Math.abs(lateral) >= MIN_LATERAL) turned.push({ ...p, e });
  }
  const same = [];
  const different = [];
  for (const t of turned) {
    for (const a of anchors) {
      if (a.file === t.file) continue;
      (a.id === t.id ? same : different).push(dot(a.e, t.e));
    }
  }
  same.sort((x, y) => y - x);
  different.sort((x, y) => y - x);
  // The gallery check's own false accepts here: different-person pairs of two upright faces,
  // counted at each level's threshold.
  const uprightAccepted = TARGETS.map(() => 0);
  let uprightPairs = 0;
  for (let i = 0; i < anchors.length; i++) {
    for (let j = i + 1; j < anchors.length; j++) {
      if (anchors[i].id === anchors[j].id) continue;
      const score = dot(anchors[i].e, anchors[j].e);
      uprightPairs++;
      TARGETS.forEach(([level], k) => { uprightAccepted[k] += score >= levels[level] ? 1 : 0; });
    }
  }
  const name = path.basename(dir);
  console.log(`\n${name}: ${photos.length} photos, ${anchors.length} upright (|yaw| <= 0.5), ` +
      `${turned.length} turned |lateral| >= ${MIN_LATERAL}; pairs upright x turned: ` +
      `${same.length} same, ${different.length} different person`);
  console.log(`${uprightPairs} different-person pairs of two upright faces`);
  console.log('level | threshold | upright-pair FAR at it | turned-pair FAR at it | TAR at it | threshold with the upright-pair FAR on turned pairs | margin | TAR there');
  for (const [k, [level]] of TARGETS.entries()) {
    const t = levels[level];
    const rate = uprightAccepted[k] / uprightPairs;
    const head = `${level} | ${t.toFixed(6)} | ${rate.toExponential(2)} | ` +
        `${share(different, t).toExponential(2)} | ${(100 * share(same, t)).toFixed(1)}%`;
    if (rate * different.length < 10) {
      console.log(`${head} | too few different pairs to resolve it | - | -`);
      continue;
    }
    const tc = thresholdAt(different, rate);
    const margin = t - tc;
    (margins[level] ??= []).push(margin);
    console.log(`${head} | ${tc.toFixed(6)} | ${margin.toFixed(4)} | ${(100 * share(same, tc)).toFixed(1)}%`);
  }
}
console.log('\nmargin per level, smallest over the populations (the one that keeps every rate):');
for (const [level, m] of Object.entries(margins)) {
  const margin = Math.min(...m);
  console.log(`${level}: ${margin.toFixed(4)}${margin <= 0 ?
    ' (none: strangers\' turned faces score at least as high as upright ones)' : ''}`);
}
