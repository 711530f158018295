// The library with the 68-point landmark model (models.landmarks): it loads with the other
// models (bytes or a file: URL, on this thread or in the worker), says which keypoints it aligns
// on, and stored users and backups enrolled on the other keypoints are refused with code
// 'keypoints-mismatch' and advice naming the option, while nothing stored changes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { FaceUnlock, MemoryStore } from '../../web/index.js';
import { generateStoreKey } from '../../web/lib/crypto.js';
import { serveEngine } from '../../web/lib/worker.js';
import { WorkerEngine } from '../../web/lib/worker-client.js';
import {
  createdFor, engineAssets, engineTest, nodeOptions, nodeOptionsWithModels, photo, repoRoot,
} from './helpers.mjs';

const LANDMARK_MODEL = path.join(repoRoot, 'models', 'face-landmarks-68.fum');

/** Options with the landmark model as bytes, plus `extra`. */
async function landmarkOptions(extra = {}) {
  return nodeOptionsWithModels({ landmarks: await readFile(LANDMARK_MODEL) }, extra);
}

/** Enrolls `id` from two LFW photos of `person` through the public API. */
async function enrollPhotos(fu, id, person) {
  for (const n of [1, 2]) await fu.enroll(id, await photo(person, n), { frames: 1 });
}

/** @param {MemoryStore} store */
async function snapshot(store) {
  return JSON.stringify((await store.getAll()).map((r) =>
    ({ ...r, iv: [...r.iv], ciphertext: [...r.ciphertext] })));
}

engineTest('models.landmarks (bytes or a URL) switches the keypoints the instance aligns on', {}, async (t) => {
  const plain = await createdFor(t, await nodeOptions({ store: 'memory' }));
  const withBytes = await createdFor(t, await landmarkOptions({ store: 'memory', liveness: true }));
  const withUrl = await createdFor(t, await nodeOptions({ store: 'memory' }).then((o) =>
    ({ ...o, models: { ...o.models, landmarks: pathToFileURL(LANDMARK_MODEL) } })));
  assert.equal(plain.keypoints, 'detector');
  assert.equal(withBytes.keypoints, 'landmarks-68');
  assert.equal(withUrl.keypoints, 'landmarks-68');
  assert.equal(withBytes.embedder.identity, plain.embedder.identity, 'the same embedder');
  assert.equal(plain.embedder.templates, plain.embedder.identity);
  assert.equal(withBytes.embedder.templates, `${plain.embedder.identity}+landmarks-68`);
});

engineTest('liveness on brings the shipped landmark model unless models.landmarks is null', {},
    async (t) => {
      const reports = [];
      const live = await createdFor(t, await nodeOptions({ store: 'memory', liveness: true,
        onProgress: (p) => reports.push(p) }));
      assert.equal(live.keypoints, 'landmarks-68');
      const { detector, embedder } = await engineAssets();
      // The package's own file, as downloaded: gzipped (the library unpacks it).
      const shipped = (await readFile(`${LANDMARK_MODEL}.gz`)).length;
      const total = detector.length + embedder.length + shipped;
      assert.deepEqual(reports.at(-1), { loaded: total, total }, 'the package\'s own file loaded');
      const optedOut = await createdFor(t, await nodeOptionsWithModels({ landmarks: null },
          { store: 'memory', liveness: { turnMs: 3000 } }));
      assert.equal(optedOut.keypoints, 'detector');
      const off = await createdFor(t, await nodeOptions({ store: 'memory', liveness: { enabled: false } }));
      assert.equal(off.keypoints, 'detector');
    });

engineTest('the download progress counts the landmark model', {}, async (t) => {
  const reports = [];
  const options = await landmarkOptions({ store: 'memory', onProgress: (p) => reports.push(p) });
  await createdFor(t, options);
  const last = reports.at(-1);
  const expected = options.models.detector.length + options.models.embedder.length +
      options.models.landmarks.length;
  assert.deepEqual(last, { loaded: expected, total: expected });
});

engineTest('a bad landmark model rejects create() with load-failed or the engine\'s reason', {},
    async () => {
      const good = new Uint8Array(await readFile(LANDMARK_MODEL));
      const cut = good.slice(0, good.length - 10);
      await assert.rejects(
          FaceUnlock.create(await nodeOptionsWithModels({ landmarks: cut }, { store: 'memory' })),
          { code: 'load-failed', message: /cannot use the landmark model \(the bytes passed in\): its header announces/ });
      const { detector } = await engineAssets();
      await assert.rejects(
          FaceUnlock.create(await nodeOptionsWithModels({ landmarks: detector }, { store: 'memory' })),
          { code: 'engine', message: /cannot use model as a face landmarker \(blazeface-short\)/ });
      await assert.rejects(
          FaceUnlock.create(await nodeOptionsWithModels({ landmarks: 42 }, { store: 'memory' })),
          { code: 'invalid-argument', message: /cannot load the landmark model: expected a URL/ });
    });

engineTest('users enrolled on the other keypoints are refused with advice, and stay stored',
    { photos: true }, async (t) => {
      const key = await generateStoreKey();
      const store = new MemoryStore({ key, records: [] });
      const landmarks = await createdFor(t, await landmarkOptions({ store }));
      await enrollPhotos(landmarks, 'alice', 'Aaron_Peirsol');
      const backup = await landmarks.exportBackup();
      await landmarks.dispose();
      const before = await snapshot(store);

      // The detector's keypoints: alice is refused, named, left in the store.
      const seen = [];
      const detector = await createdFor(t, await nodeOptions({ store, onStoreError: (e) => seen.push(e) }));
      assert.deepEqual(await detector.users(), []);
      const [e] = detector.loadErrors;
      assert.equal(e.code, 'keypoints-mismatch');
      assert.equal(e.userId, 'alice');
      assert.deepEqual(e.keypoints, { stored: 'landmarks-68', running: 'detector' });
      assert.equal(e.embedders.stored, `${detector.embedder.identity}+landmarks-68`);
      assert.match(e.message, /^cannot load stored user 'alice': these templates were enrolled on faces aligned on the 68-point landmarks \(the landmark model\); this instance aligns on the face detector's keypoints/);
      assert.match(e.message, /create it with liveness on \(or models: \{ landmarks \} set to face-landmarks-68\.fum\), or remove the user and enroll again$/);
      assert.deepEqual(seen, [e]);
      // Its backup is refused too, and changes nothing.
      await assert.rejects(detector.importBackup(backup), (err) => {
        assert.equal(err.code, 'keypoints-mismatch');
        assert.match(err.message, /^cannot import the backup: .*or enroll the users again$/);
        return true;
      });
      await detector.dispose();
      assert.equal(await snapshot(store), before, 'nothing stored changed');

      // The landmark path loads alice again, and she unlocks from another photo.
      const again = await createdFor(t, await landmarkOptions({ store }));
      assert.deepEqual(again.loadErrors, []);
      assert.deepEqual((await again.users()).map((u) => u.id), ['alice']);
      const r = await again.unlock(await photo('Aaron_Peirsol', 3), { timeoutMs: 20000 });
      assert.deepEqual([r.unlocked, r.user], [true, 'alice'], `${r.reason} ${r.score}`);

      // The other way round: users enrolled on the detector's keypoints, under the landmarks.
      const other = new MemoryStore({ key: await generateStoreKey(), records: [] });
      const plain = await createdFor(t, await nodeOptions({ store: other }));
      await enrollPhotos(plain, 'bob', 'Colin_Powell');
      await plain.dispose();
      const landmarksOnOld = await createdFor(t, await landmarkOptions({ store: other }));
      assert.equal(landmarksOnOld.loadErrors[0].code, 'keypoints-mismatch');
      assert.match(landmarksOnOld.loadErrors[0].message, /aligned on the face detector's keypoints \(no landmark model\); this instance aligns on the 68-point landmarks.*create it with models: \{ landmarks: null \} \(or without liveness\), or remove the user and enroll again$/);
    });

engineTest('the worker engine takes the landmark model too', {}, async (t) => {
  const a = await engineAssets();
  const channel = new MessageChannel();
  serveEngine(channel.port2);
  t.after(() => channel.port2.close());
  const engine = await WorkerEngine.create({ wasm: { bytes: a.wasm }, detector: a.detector,
    embedder: a.embedder, landmarks: new Uint8Array(await readFile(LANDMARK_MODEL)) }, channel.port1);
  try {
    assert.equal(await engine.keypoints(), 'landmarks-68');
    assert.match((await engine.embedder()).templates, /\+landmarks-68$/);
  } finally {
    await engine.dispose();
  }
});
