/**
 * @file The demo's liveness check in Debian's Chromium with fake-webcam videos made at test time
 * from ../shared/data photos (tests/liveness/videos.mjs), on the path the demo takes with the
 * check on: the 68-point landmark model aligning faces and feeding the head-turn geometry, with
 * its own bounds (models.landmarks; src/unlock/README.md). Every kind of photo attack is refused
 * with 'liveness-failed', five failures lock unlocking out (and the lock survives a reload), a
 * face swapped in mid-challenge is refused, and a genuine challenge synthesised from photos of
 * one person turned each way unlocks. The fake camera loops its video from when the page opens,
 * so the genuine video shows both turns in every loop (the order the challenge asks is random).
 *
 *   node --test tests/browser/liveness.test.mjs
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  attackFrames, decodeRgb, pickPeople, render, swapFrames, writeY4m,
} from '../liveness/videos.mjs';
import { findMissing, launch, makeY4m, repoRoot, skipOrFail, serveDemo } from './support.mjs';

const bin = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
const missing = await findMissing();
const skip = skipOrFail(missing ?? (existsSync(bin) ? null : `missing ${bin} (bash scripts/build.sh)`));
const STEP_TIMEOUT_MS = 90_000;
const FPS = 10;

let work;
let server;
let demoUrl;
let person;
const videos = {};

async function openDemo(profile, y4m) {
  const session = await launch(profile, y4m);
  await session.page.goto(demoUrl);
  await session.page.waitForSelector('body[data-ready="true"]', { timeout: STEP_TIMEOUT_MS });
  return session;
}

async function unlock(page) {
  await page.click('#unlock');
  await page.waitForSelector('#result[data-state="unlocked"], #result[data-state="locked"]', {
    timeout: STEP_TIMEOUT_MS,
  });
  return page.$eval('#result', (el) => ({ state: el.dataset.state, user: el.dataset.user,
    reason: el.dataset.reason, detail: el.querySelector('#result-detail').textContent }));
}

async function enroll(profile, name) {
  const session = await openDemo(profile, videos.enroll);
  const { page } = session;
  assert.equal(await page.isChecked('#liveness'), true, 'the demo checks liveness by default');
  assert.equal(await page.getAttribute('body', 'data-keypoints'), 'landmarks-68',
      'with liveness on the demo aligns on the landmarks');
  await page.fill('#name', name);
  await page.click('#enroll');
  await page.waitForFunction(() => document.body.dataset.busy === 'false' &&
      /Enrolled|failed/.test(document.getElementById('status').textContent), null,
  { timeout: STEP_TIMEOUT_MS });
  assert.match(await page.textContent('#status'), new RegExp(`Enrolled ${name}`));
  await session.context.close();
}

/** Opens the demo on `video`, clicks Unlock, closes the browser; returns the result card. */
async function attempt(profile, video) {
  const session = await openDemo(profile, video);
  try {
    return await unlock(session.page);
  } finally {
    await session.context.close();
  }
}

before(() => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), 'faceunlock-liveness-'));
  [person] = pickPeople(bin, 1);
  const [other] = pickPeople(bin, 1, new Set([person.name]));
  videos.enroll = makeY4m(path.relative(path.join(repoRoot, '..', 'shared', 'data', 'lfw'), person.enroll[0]), work);
  for (const kind of ['still', 'moved', 'zoomed', 'rotated', 'tilted', 'tilted+zoomed']) {
    videos[kind] = path.join(work, `${kind}.y4m`);
    writeY4m(videos[kind], attackFrames(person.frontal, kind, 60), FPS);
  }
  videos.swap = path.join(work, 'swap.y4m');
  writeY4m(videos.swap, swapFrames(person.frontal, other, ['left', 'right', 'left']), FPS);
  // Genuine, looped by the camera: frontal, left, frontal, right (4.4 s a loop), so whichever
  // turn is asked comes within the 4 s allowed.
  const frontal = render(decodeRgb(person.frontal));
  const turned = (side) => render(decodeRgb(person[side]), { zoom: person.heights.frontal / person.heights[side] });
  const left = turned('left');
  const right = turned('right');
  videos.genuine = path.join(work, 'genuine.y4m');
  writeY4m(videos.genuine, [...Array(6).fill(frontal), ...Array(15).fill(left), ...Array(4).fill(frontal),
    ...Array(15).fill(right), ...Array(4).fill(frontal)], FPS);
});

before(async () => {
  if (skip) return;
  ({ server, demoUrl } = await serveDemo());
});

after(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('liveness in the demo: photo attacks, lockout, face swap, genuine turns', { skip, timeout: 1_200_000 },
    async (t) => {
      const first = path.join(work, 'profile-1');
      await t.test('enroll from a photo', () => enroll(first, person.name));
      await t.test('5 photo attacks are refused, then unlocking is locked out', async () => {
        for (const kind of ['still', 'moved', 'zoomed', 'rotated', 'tilted']) {
          const r = await attempt(first, videos[kind]);
          assert.deepEqual([r.state, r.reason], ['locked', 'liveness-failed'], `${kind}: ${r.detail}`);
        }
        const locked = await attempt(first, videos['tilted+zoomed']);
        assert.deepEqual([locked.state, locked.reason], ['locked', 'locked-out'], locked.detail);
        assert.match(locked.detail, /too many failed attempts: try again in \d+ s/i);
      });

      const second = path.join(work, 'profile-2');
      await t.test('a new profile: a tilted and zoomed photo and a face swap are refused', async () => {
        await enroll(second, person.name);
        for (const video of [videos['tilted+zoomed'], videos.swap]) {
          const r = await attempt(second, video);
          assert.deepEqual([r.state, r.reason], ['locked', 'liveness-failed'], r.detail);
        }
      });
      await t.test('the person turning the head as asked unlocks', async () => {
        const r = await attempt(second, videos.genuine);
        assert.deepEqual([r.state, r.user], ['unlocked', person.name], r.detail);
      });
    });
