/**
 * @file The multi-threaded core (web/dist/faceunlock_core_mt.*) in headless Chromium on a page
 * served with COOP/COEP: the same embedding as the single-threaded core on the same frame, bit
 * for bit; FaceUnlock.create({ threads: 2 }) picks it on the page and in the worker, and enrolls
 * and unlocks with it; on a page without the headers it falls back to one thread and says why.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startServer } from '../../scripts/serve.mjs';
import { dataDir, findMissing, launch, repoRoot, skipOrFail } from './support.mjs';

const MT_FILES = ['faceunlock_core_mt.mjs', 'faceunlock_core_mt.wasm', 'faceunlock_core_mt.worker.js'];

async function missing() {
  const other = await findMissing();
  const mt = MT_FILES.map((f) => path.join(repoRoot, 'web', 'dist', f)).filter((f) => !existsSync(f));
  const parts = [other, mt.length ? `missing ${mt.join(', ')} (bash scripts/build.sh)` : null];
  return parts.filter(Boolean).join('; ') || null;
}

const skip = skipOrFail(await missing());
const PHOTO = 'Aaron_Peirsol/Aaron_Peirsol_0001.jpg';

let isolated;
let plain;
let browser;
let profile;

before(async () => {
  if (skip) return;
  isolated = await startServer({ root: repoRoot, port: 0, isolate: true });
  plain = await startServer({ root: repoRoot, port: 0 });
  profile = await mkdtemp(path.join(os.tmpdir(), 'faceunlock-mt-'));
  browser = await launch(profile, null);
});

after(async () => {
  await browser?.context.close();
  isolated?.server.close();
  plain?.server.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/**
 * Opens a same-origin document of `server` (the README: any file served with its headers) and
 * puts the LFW photo on the page as `window.frame`, a 640x480 ImageData with the face scaled to
 * 480 pixels, the size the quality checks expect of a webcam at arm's length.
 */
async function openPage(server) {
  const { page } = browser;
  await page.goto(`http://127.0.0.1:${server.port}/README.md`);
  const jpeg = [...readFileSync(path.join(dataDir, 'lfw', PHOTO))];
  await page.evaluate(async (bytes) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }));
    const canvas = new OffscreenCanvas(640, 480);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#303030';
    ctx.fillRect(0, 0, 640, 480);
    ctx.drawImage(bitmap, 80, 0, 480, 480);
    window.frame = ctx.getImageData(0, 0, 640, 480);
  }, jpeg);
  return page;
}

test('the multi-threaded core embeds a frame exactly as the single-threaded one does', { skip }, async () => {
  const page = await openPage(isolated);
  const r = await page.evaluate(async () => {
    const fetchBytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
    const detector = await fetchBytes('/models/blazeface-short.fum');
    const embedders = {
      accurate: await fetchBytes('/models/dlib-resnet-int8.fum'),
      fast: await fetchBytes('/models/mobilefacenet-student.fum'),
    };
    const single = await (await import('/web/dist/faceunlock_core.mjs')).default();
    const mt = await (await import('/web/dist/faceunlock_core_mt.mjs')).default();
    const embed = (core, embedder, threads) => {
      const engine = new core.Engine(detector, embedder, { threads });
      try {
        engine.frameView(640, 480).set(window.frame.data);
        const out = engine.processFrame(640, 480, { embed: true });
        return { threads: engine.threads(), embedding: Array.from(out.embedding ?? []) };
      } finally {
        engine.delete();
      }
    };
    const result = { isolated: crossOriginIsolated, maxThreads: [single.maxThreads(), mt.maxThreads()] };
    for (const [name, bytes] of Object.entries(embedders)) {
      result[name] = { one: embed(single, bytes, 1), two: embed(mt, bytes, 2), three: embed(mt, bytes, 3) };
    }
    // Asking the single-threaded core for threads is refused with a message naming the other core.
    try {
      new single.Engine(detector, embedders.fast, { threads: 2 });
      result.singleRefused = null;
    } catch (e) {
      result.singleRefused = String(e.message ?? e);
    }
    return result;
  });
  assert.equal(r.isolated, true);
  assert.deepEqual(r.maxThreads, [1, 4]);
  for (const name of ['accurate', 'fast']) {
    const { one, two, three } = r[name];
    assert.ok(one.embedding.length >= 128, `${name}: no face embedded in the test photo`);
    assert.equal(two.threads, 2);
    assert.equal(three.threads, 3);
    assert.deepEqual(two.embedding, one.embedding, `${name}: 2 threads changed the embedding`);
    assert.deepEqual(three.embedding, one.embedding, `${name}: 3 threads changed the embedding`);
  }
  assert.match(r.singleRefused ?? '', /threads is 2.*faceunlock_core_mt/);
});

for (const worker of [false, true]) {
  test(`FaceUnlock.create({ threads: 2${worker ? ', worker: true' : ''} }) enrolls and unlocks ` +
      'on the multi-threaded core', { skip }, async () => {
    const page = await openPage(isolated);
    const r = await page.evaluate(async (inWorker) => {
      const { FaceUnlock } = await import('/web/index.js');
      const fu = await FaceUnlock.create({ store: 'memory', threads: 2, worker: inWorker });
      try {
        await fu.enroll('alice', window.frame, { frames: 1 });
        const u = await fu.unlock(window.frame, { timeoutMs: 5000 });
        return { threading: fu.threading, unlocked: u.unlocked, user: u.user };
      } finally {
        await fu.dispose();
      }
    }, worker);
    assert.deepEqual(r.threading,
        { requested: 2, threads: 2, core: 'faceunlock_core_mt', reason: null });
    assert.equal(r.unlocked, true);
    assert.equal(r.user, 'alice');
  });
}

test('without COOP/COEP, threads: 2 runs the single-threaded core and says why', { skip }, async () => {
  const page = await openPage(plain);
  const threading = await page.evaluate(async () => {
    const { FaceUnlock } = await import('/web/index.js');
    const fu = await FaceUnlock.create({ store: 'memory', threads: 2, embedder: 'fast' });
    const t = fu.threading;
    await fu.dispose();
    return t;
  });
  assert.equal(threading.requested, 2);
  assert.equal(threading.threads, 1);
  assert.equal(threading.core, 'faceunlock_core');
  assert.match(threading.reason, /not cross-origin isolated/);
});
