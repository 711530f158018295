/**
 * @file The webcam demo as a phone shows it (390x844), from the keyboard, and without a camera:
 * no sideways scrolling, the camera picker with two cameras, the model download bar, Tab
 * reaching every control and Enter enrolling, and a refused or missing camera explained in words.
 * The screenshot lands in build/screenshots/demo-phone.png for people to look at.
 *
 *   node --test tests/browser/
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { findMissing, launch, makeY4m, repoRoot, skipOrFail, serveDemo } from './support.mjs';

const skip = skipOrFail(await findMissing());
const PHONE = { width: 390, height: 844 };
const STEP_TIMEOUT_MS = 60_000;
const screenshotDir = path.join(repoRoot, 'build', 'screenshots');

let work;
let server;
let demoUrl;
let y4m;

before(async () => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), 'faceunlock-phone-'));
  y4m = makeY4m('Colin_Powell/Colin_Powell_0001.jpg', work);
  ({ server, demoUrl } = await serveDemo());
});

after(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function open(name, camera, options) {
  const session = await launch(path.join(work, name), camera, { viewport: PHONE, ...options });
  await session.page.goto(demoUrl);
  await session.page.waitForSelector('body[data-ready]', { timeout: STEP_TIMEOUT_MS });
  return session;
}

test('phone viewport: fits, shows the download, works from the keyboard',
    { skip, timeout: 180_000 }, async () => {
      const session = await open('phone', y4m);
      const { page, problems } = session;
      try {
        assert.equal(await page.getAttribute('body', 'data-ready'), 'true', await page.textContent('#status'));
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= PHONE.width, `the page is ${width} px wide: it scrolls sideways`);
        for (const id of ['stage', 'unlock', 'name', 'enroll', 'level']) {
          const box = await page.locator(`#${id}`).boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width + 0.5,
              `#${id} is not inside the screen: ${JSON.stringify(box)}`);
        }
        // The camera and the Unlock button are on the first screen, without scrolling.
        const unlock = await page.locator('#unlock').boundingBox();
        assert.ok(unlock.y + unlock.height <= PHONE.height, `Unlock is below the fold: ${unlock.y}`);
        // One camera: no picker.
        assert.equal(await page.isVisible('#camera-pick'), false);
        // The download bar ran to the end of the models (detector, embedder and landmarks,
        // gzipped: 4.5 MB), then went away.
        const load = await page.$eval('#load-progress', (p) => ({ value: p.value, max: p.max }));
        assert.ok(load.max > 4e6 && load.value === load.max, JSON.stringify(load));
        assert.equal(await page.isVisible('#load'), false);
        await page.waitForFunction(() => document.getElementById('guidance').dataset.state === 'ok',
            null, { timeout: STEP_TIMEOUT_MS });
        mkdirSync(screenshotDir, { recursive: true });
        await page.screenshot({ path: path.join(screenshotDir, 'demo-phone.png') });

        // Tab reaches every control in reading order; Enter in the name field enrolls.
        await page.focus('body');
        const order = [];
        for (let i = 0; i < 12 && !order.includes('enroll'); i++) {
          await page.keyboard.press('Tab');
          order.push(await page.evaluate(() => document.activeElement?.id ?? ''));
        }
        const wanted = ['level', 'unlock', 'name', 'enroll'];
        assert.deepEqual(order.filter((id) => wanted.includes(id)), wanted, `tab order: ${order}`);
        await page.keyboard.press('Shift+Tab');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'name');
        await page.keyboard.type('Keyboard User');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.body.dataset.busy === 'false' &&
            /Enrolled|failed/.test(document.getElementById('status').textContent), null,
        { timeout: STEP_TIMEOUT_MS });
        assert.match(await page.textContent('#status'), /Enrolled Keyboard User/);
        assert.deepEqual(problems, [], 'errors in the page');
      } finally {
        await session.context.close();
      }
    });

test('two cameras: the picker lists both and switches', { skip, timeout: 120_000 }, async () => {
  // Chromium's built-in fake cameras (a test pattern, no face): the file camera is only one.
  const session = await open('two-cameras', null, { cameras: 2 });
  const { page, problems } = session;
  try {
    assert.equal(await page.getAttribute('body', 'data-ready'), 'true', await page.textContent('#status'));
    assert.equal(await page.isVisible('#camera-pick'), true);
    const options = await page.$$eval('#camera option', (list) => list.map((o) => o.value));
    assert.equal(options.length, 2);
    const current = () => page.evaluate(() =>
      document.getElementById('video').srcObject.getVideoTracks()[0].getSettings().deviceId);
    const before = await current();
    const target = options[0] === before ? options[1] : options[0];
    await page.selectOption('#camera', target);
    await page.waitForFunction(() => document.body.dataset.busy === 'false' &&
        /^Camera:/.test(document.getElementById('status').textContent), null, { timeout: STEP_TIMEOUT_MS });
    assert.equal(await current(), target, `switched from ${before}`);
    assert.deepEqual(problems, [], 'errors in the page');
  } finally {
    await session.context.close();
  }
});

test('no camera, or a refused one: the page says so in words', { skip, timeout: 120_000 }, async () => {
  for (const [name, camera, options, expected] of [
    ['none', null, {}, /No camera was found/],
    ['denied', y4m, { permission: 'denied' }, /Camera access was refused.*Allow the camera/],
  ]) {
    const session = await open(name, camera, options);
    try {
      const { page } = session;
      assert.equal(await page.getAttribute('body', 'data-ready'), 'false', name);
      assert.match(await page.textContent('#stage-message'), expected, name);
      assert.match(await page.textContent('#status'), expected, name);
      assert.equal(await page.isDisabled('#unlock'), true, `${name}: nothing to unlock with`);
    } finally {
      await session.context.close();
    }
  }
});
