/**
 * @file The webcam demo end to end in Debian's Chromium, with LFW photos as the fake camera:
 * enroll A, unlock as A from another photo, refuse B, persistence across reloads, users of the
 * other keypoint path (liveness check on: the landmark model) listed as such, a tampered
 * IndexedDB record reported while B still unlocks, and removal through the UI.
 *
 *   node --test tests/browser/
 *
 * Skips (with the reason) when Chromium, ffmpeg, ../shared/data, web/dist or the library is
 * missing; fails instead when $CI is set (CI=true).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { findMissing, launch, makeY4m, repoRoot, skipOrFail, serveDemo } from './support.mjs';

const skip = skipOrFail(await findMissing());

// Photos checked with the native CLI (faceunlock identify): A's probe scores 0.97 against A's
// enrolled photo and B 0.83, either side of the thresholds (0.945 at the default level 1e-3,
// 0.956 at 1e-4). Each face spans about 180-200 px once padded to 640x480, which passes the
// quality checks.
const A = {
  name: 'Colin Powell',
  enroll: 'Colin_Powell/Colin_Powell_0001.jpg',
  probe: 'Colin_Powell/Colin_Powell_0002.jpg',
};
const B = { name: 'Gerhard Schroeder', photo: 'Gerhard_Schroeder/Gerhard_Schroeder_0001.jpg' };

// build/ is ignored by git: the screenshots are for people to look at, not to commit.
const screenshotDir = path.join(repoRoot, 'build', 'screenshots');

// Model loading and an enrollment of 5 frames take seconds in headless Chromium on 2 cores.
const STEP_TIMEOUT_MS = 60_000;

let work;
let server;
let demoUrl;
let videos;
let userDataDir;

/** The demo page, opened in a fresh launch with `y4m` as the camera. */
async function openDemo(y4m) {
  const session = await launch(userDataDir, y4m);
  await session.page.goto(demoUrl);
  await waitReady(session);
  return session;
}

async function waitReady({ page, problems }) {
  await page.waitForSelector('body[data-ready]', { timeout: STEP_TIMEOUT_MS });
  const ready = await page.getAttribute('body', 'data-ready');
  if (ready !== 'true') {
    const status = await page.textContent('#status');
    assert.fail(`the demo did not start: ${status}\n${problems.join('\n')}`);
  }
}

// Uncaught exceptions and console errors (a failed fetch, say) fail the step that caused them.
async function close(session) {
  if (!session) return;
  await session.context.close();
  assert.deepEqual(session.problems, [], 'errors in the page');
}

async function userNames(page) {
  return page.$$eval('#users li', (items) =>
    items.map((li) => ({ name: li.dataset.user, error: li.dataset.error === 'true' })));
}

/** Clicks Unlock and returns what the result card shows once the attempt ends. */
async function unlock(page) {
  await page.click('#unlock');
  await page.waitForSelector('#result[data-state="unlocked"], #result[data-state="locked"]', {
    timeout: STEP_TIMEOUT_MS,
  });
  return page.$eval('#result', (el) => ({
    state: el.dataset.state,
    user: el.dataset.user,
    title: el.querySelector('#result-title').textContent,
    detail: el.querySelector('#result-detail').textContent,
  }));
}

async function enroll(page, name) {
  await page.waitForSelector('#enroll:not([disabled])');
  await page.fill('#name', name);
  await page.click('#enroll');
  // Enrollment ends with the button enabled again and a status that says how it went.
  await page.waitForFunction(() => document.body.dataset.busy === 'false' &&
      /Enrolled|failed/.test(document.getElementById('status').textContent),
  null, { timeout: STEP_TIMEOUT_MS });
  const status = await page.textContent('#status');
  assert.match(status, new RegExp(`Enrolled ${name}`), `enrollment of ${name}: ${status}`);
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), 'faceunlock-browser-'));
  userDataDir = path.join(work, 'profile');
  videos = {
    aEnroll: makeY4m(A.enroll, work),
    aProbe: makeY4m(A.probe, work),
    b: makeY4m(B.photo, work),
  };
  ({ server, demoUrl } = await serveDemo());
});

after(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('webcam demo: enroll, unlock, refuse, persist, tamper, remove', { skip, timeout: 240_000 }, async (t) => {
  let session;
  try {
    await t.test('1. camera shows A: enroll A through the form', async () => {
      session = await openDemo(videos.aEnroll);
      const { page } = session;
      // The live loop draws the detected face on the overlay and shows a hint.
      await page.waitForFunction(() => document.getElementById('guidance').dataset.state === 'ok',
          null, { timeout: STEP_TIMEOUT_MS });
      // Still photos cannot pass the liveness check (tests/browser/liveness.test.mjs shows that);
      // this test is about the rest of the demo. The choice persists in the profile.
      assert.equal(await page.isChecked('#liveness'), true, 'liveness is on by default');
      assert.equal(await page.getAttribute('body', 'data-keypoints'), 'landmarks-68');
      // The check and the keypoint path go together: switching reloads the page.
      await Promise.all([page.waitForEvent('load', { timeout: STEP_TIMEOUT_MS }), page.uncheck('#liveness')]);
      await waitReady(session);
      assert.equal(await page.isChecked('#liveness'), false);
      assert.equal(await page.getAttribute('body', 'data-keypoints'), 'detector');
      assert.match(await page.textContent('#status'), /Liveness check off \(the detector's keypoints\)/);
      await enroll(page, A.name);
      assert.deepEqual(await userNames(page), [{ name: A.name, error: false }]);
      await close(session);
      session = null;
    });

    await t.test('2. another photo of A: unlock as A', async () => {
      session = await openDemo(videos.aProbe);
      const { page } = session;
      const result = await unlock(page);
      assert.equal(result.state, 'unlocked', `${result.title}: ${result.detail}`);
      assert.equal(result.user, A.name);
      assert.match(result.detail, /score 0\.\d+/);
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, 'demo-unlocked.png') });
      await close(session);
      session = null;
    });

    await t.test('3. camera shows B: not unlocked; then enroll B', async () => {
      session = await openDemo(videos.b);
      const { page } = session;
      const result = await unlock(page);
      assert.equal(result.state, 'locked', `B must not unlock: ${result.title} ${result.detail}`);
      assert.ok(result.detail.length > 0, 'the refusal says why');
      await enroll(page, B.name);
    });

    await t.test('4. reload: A and B are still listed (IndexedDB persists)', async () => {
      const { page } = session;
      await page.reload();
      await waitReady(session);
      const names = (await userNames(page)).map((u) => u.name).sort();
      assert.deepEqual(names, [A.name, B.name].sort());
      // The security level is the demo's own setting (localStorage); it survives a reload too.
      await page.selectOption('#level', '1e-4');
      await page.waitForFunction(() => /Security level/.test(document.getElementById('status').textContent),
          null, { timeout: STEP_TIMEOUT_MS });
      await page.reload();
      await waitReady(session);
      assert.equal(await page.inputValue('#level'), '1e-4');
      assert.equal(await page.isChecked('#liveness'), false);
    });

    await t.test('4b. liveness on: A and B, enrolled on the detector\'s keypoints, are listed ' +
        'with what to do, and stay stored', async () => {
      const { page } = session;
      await Promise.all([page.waitForEvent('load', { timeout: STEP_TIMEOUT_MS }), page.check('#liveness')]);
      await waitReady(session);
      assert.equal(await page.getAttribute('body', 'data-keypoints'), 'landmarks-68');
      const users = await userNames(page);
      assert.deepEqual(users.map((u) => u.name).sort(), [A.name, B.name].sort());
      assert.ok(users.every((u) => u.error), JSON.stringify(users));
      const details = await page.$$eval('#users li small', (items) => items.map((el) => el.textContent));
      for (const detail of details) {
        assert.match(detail, /Enrolled with the liveness check off: turn it off to unlock as them/);
      }
      assert.match(await page.textContent('#status'), /enrolled with the liveness check off/);
      await Promise.all([page.waitForEvent('load', { timeout: STEP_TIMEOUT_MS }), page.uncheck('#liveness')]);
      await waitReady(session);
      assert.deepEqual((await userNames(page)).map((u) => u.error), [false, false]);
    });

    await t.test("5. tampered record of A: a clear error for A, B still unlocks", async () => {
      const { page } = session;
      // Flip bytes of A's AES-GCM ciphertext in the library's database (web/lib/store-indexeddb.js:
      // database 'faceunlock', object store 'users', key path 'id').
      const flipped = await page.evaluate(async (id) => {
        const db = await new Promise((resolve, reject) => {
          const request = indexedDB.open('faceunlock');
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        // The put happens inside the get's callback: a transaction stays writable only until the
        // task that received its last result ends.
        const tx = db.transaction('users', 'readwrite');
        const users = tx.objectStore('users');
        let length = 0;
        const get = users.get(id);
        get.onsuccess = () => {
          const record = get.result;
          if (!record) return;
          const bytes = new Uint8Array(record.ciphertext);
          for (let i = 0; i < bytes.length; i += 97) bytes[i] ^= 0x5a;
          record.ciphertext = bytes;
          length = bytes.length;
          users.put(record);
        };
        await new Promise((resolve, reject) => {
          tx.oncomplete = resolve;
          tx.onabort = () => reject(tx.error);
        });
        db.close();
        return length;
      }, A.name);
      assert.ok(flipped > 0, `A's record was not found in IndexedDB 'faceunlock'`);

      await page.reload();
      await waitReady(session);
      const users = await userNames(page);
      assert.deepEqual(users.find((u) => u.name === A.name), { name: A.name, error: true },
          `A is listed as damaged: ${JSON.stringify(users)}`);
      assert.deepEqual(users.find((u) => u.name === B.name), { name: B.name, error: false });
      const status = await page.$eval('#status', (el) => ({ kind: el.dataset.kind, text: el.textContent }));
      assert.equal(status.kind, 'error');
      assert.ok(status.text.includes(A.name), `the status names A: ${status.text}`);
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, 'demo-tampered.png') });

      const result = await unlock(page);
      assert.equal(result.state, 'unlocked', `${result.title}: ${result.detail}`);
      assert.equal(result.user, B.name);
    });

    await t.test('6. remove A through the UI; it stays removed after a reload', async () => {
      const { page } = session;
      await page.click(`#users li[data-user="${A.name}"] button.remove`);
      await page.waitForFunction((name) =>
        ![...document.querySelectorAll('#users li')].some((li) => li.dataset.user === name),
      A.name, { timeout: STEP_TIMEOUT_MS });
      await page.reload();
      await waitReady(session);
      assert.deepEqual(await userNames(page), [{ name: B.name, error: false }]);
      await close(session);
      session = null;
    });
  } finally {
    // A failed step leaves its browser open; close it so the run ends.
    if (session) await session.context.close().catch(() => {});
  }
});
