// Templates know their embedder (docs/gallery-format.md): stored users and backups made by one
// embedder are refused by an instance running another, with code embedder-mismatch and a message
// naming the option that loads the right one, and nothing stored changes. Records from before
// identities (gallery version 1) load as the default 'accurate' embedder's, and only as its.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { MemoryStore } from '../../web/index.js';
import { crc32 } from '../../web/lib/assets.js';
import { encryptRecord, generateStoreKey } from '../../web/lib/crypto.js';
import {
  createdFor, engineAssets, engineTest, nodeOptions, nodeOptionsWithModels, repoRoot,
} from './helpers.mjs';

const FAST_MODEL = path.join(repoRoot, 'models', 'dlib-resnet-pruned-int8.fum');

/**
 * A user record's plaintext as an engine running `embedder` exports it: one user with two
 * random templates.
 * @param {Uint8Array} embedder model bytes
 * @param {string} id
 */
async function exportedUser(embedder, id) {
  const { core, detector } = await engineAssets();
  const engine = new core.Engine(detector, embedder);
  try {
    let seed = id.length;
    for (let t = 0; t < 2; t++) {
      const e = new Float32Array(engine.embedder().dimension);
      for (let i = 0; i < e.length; i++) e[i] = Math.sin(++seed * 12.9898) * 2 - 1;
      engine.addTemplate(id, e);
    }
    return new Uint8Array(engine.exportUser(id));
  } finally {
    engine.delete();
  }
}

/**
 * The same gallery file as version 1 wrote it: no embedder field (docs/gallery-format.md).
 * @param {Uint8Array} file
 */
function asVersion1(file) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const identityBytes = view.getUint32(32, true);
  const old = new Uint8Array(file.length - 4 - identityBytes);
  old.set(file.subarray(0, 32));
  old.set(file.subarray(36 + identityBytes), 32);
  const oldView = new DataView(old.buffer);
  oldView.setUint32(8, 1, true);
  oldView.setBigUint64(16, BigInt(old.length - 32), true);
  oldView.setUint32(24, crc32(old, 32), true);
  return old;
}

/**
 * A memory store holding these users' records, and a snapshot of its bytes to compare later.
 * @param {[string, Uint8Array][]} users
 */
async function storeWith(users) {
  const key = await generateStoreKey();
  const records = [];
  for (const [id, plain] of users) {
    records.push({ id, ...(await encryptRecord(key, id, plain)), createdAt: 1, updatedAt: 2 });
  }
  return new MemoryStore({ key, records });
}

/** @param {MemoryStore} store */
async function snapshot(store) {
  return JSON.stringify((await store.getAll()).map((r) =>
    ({ ...r, iv: [...r.iv], ciphertext: [...r.ciphertext] })));
}

async function fastOptions(extra = {}) {
  return nodeOptionsWithModels({ embedder: await readFile(FAST_MODEL) }, extra);
}

engineTest('each instance reports the identity of the embedder it runs', {}, async (t) => {
  const accurate = await createdFor(t, await nodeOptions({ store: 'memory' }));
  const fast = await createdFor(t, await fastOptions({ store: 'memory' }));
  assert.match(accurate.embedder.identity, /^dlib-resnet@[0-9a-f]{8}$/);
  assert.equal(accurate.embedder.name, 'dlib-resnet');
  assert.equal(accurate.embedder.dimension, 128);
  assert.match(fast.embedder.identity, /^dlib-resnet-pruned@[0-9a-f]{8}$/);
  assert.equal(fast.embedder.dimension, 128);
});

engineTest('a stored user of another embedder is refused, named, and left in the store', {},
    async (t) => {
      const { embedder: accurateModel } = await engineAssets();
      const fastModel = await readFile(FAST_MODEL);
      const byAccurate = await exportedUser(accurateModel, 'alice');
      const byFast = await exportedUser(fastModel, 'bob');

      const store = await storeWith([['alice', byAccurate], ['bob', byFast]]);
      const before = await snapshot(store);
      const seen = [];
      const fast = await createdFor(t, await fastOptions({ store, onStoreError: (e) => seen.push(e) }));
      assert.deepEqual((await fast.users()).map((u) => u.id), ['bob']);
      assert.equal(fast.loadErrors.length, 1);
      const e = fast.loadErrors[0];
      assert.equal(e.code, 'embedder-mismatch');
      assert.equal(e.userId, 'alice');
      assert.match(e.message, /^cannot load stored user 'alice': these templates were made by model 'dlib-resnet' \(dlib-resnet@[0-9a-f]{8}\); this instance runs 'dlib-resnet-pruned' /);
      assert.match(e.message, /create it with \{ embedder: 'accurate' \}, or remove the user and enroll again$/);
      assert.equal(e.embedders.running, fast.embedder.identity);
      assert.match(e.embedders.stored, /^dlib-resnet@/);
      assert.deepEqual(seen, [e]);
      await fast.dispose();
      assert.equal(await snapshot(store), before, 'nothing stored changed');

      // The same store under the accurate embedder: alice loads, bob is the stranger now.
      const accurate = await createdFor(t, await nodeOptions({ store }));
      assert.deepEqual((await accurate.users()).map((u) => u.id), ['alice']);
      assert.equal(accurate.loadErrors[0].code, 'embedder-mismatch');
      assert.match(accurate.loadErrors[0].message, /create it with \{ embedder: 'fast' \}/);
      assert.equal(await snapshot(store), before, 'nothing stored changed');
    });

engineTest('records from before identities load as the accurate embedder\'s, and only as its', {},
    async (t) => {
      const { embedder: accurateModel } = await engineAssets();
      const old = asVersion1(await exportedUser(accurateModel, 'carol'));
      assert.equal(new DataView(old.buffer).getUint32(8, true), 1);
      const store = await storeWith([['carol', old]]);
      const before = await snapshot(store);

      const fast = await createdFor(t, await fastOptions({ store }));
      assert.deepEqual(await fast.users(), []);
      assert.equal(fast.loadErrors[0].code, 'embedder-mismatch');
      assert.match(fast.loadErrors[0].message, /create it with \{ embedder: 'accurate' \}/);
      await fast.dispose();

      const accurate = await createdFor(t, await nodeOptions({ store }));
      assert.deepEqual(accurate.loadErrors, []);
      assert.deepEqual((await accurate.users()).map((u) => [u.id, u.templates]), [['carol', 2]]);
      assert.equal(await snapshot(store), before, 'loading does not rewrite the record');
      // What it exports from now on names the embedder.
      const backup = await accurate.exportBackup();
      assert.equal(new DataView(backup.buffer, backup.byteOffset).getUint32(8, true), 2);
      const identity = new TextDecoder().decode(backup.subarray(36, 36 +
          new DataView(backup.buffer, backup.byteOffset).getUint32(32, true)));
      assert.equal(identity, accurate.embedder.identity);
    });

engineTest('a backup of another embedder is refused and changes nothing', {}, async (t) => {
  const { embedder: accurateModel } = await engineAssets();
  const fastModel = await readFile(FAST_MODEL);
  const store = await storeWith([['alice', await exportedUser(accurateModel, 'alice')]]);
  const accurate = await createdFor(t, await nodeOptions({ store }));
  const before = await snapshot(store);
  const backupBefore = await accurate.exportBackup();

  const fast = await createdFor(t, await fastOptions({ store: 'memory' }));
  await fast.importBackup(await exportedUser(fastModel, 'bob'));
  const plain = await fast.exportBackup();
  const sealed = await fast.exportBackup({ passphrase: 'correct horse' });
  for (const [backup, options] of [[plain, {}], [sealed, { passphrase: 'correct horse' }]]) {
    await assert.rejects(accurate.importBackup(backup, options), (e) => {
      assert.equal(e.code, 'embedder-mismatch');
      assert.match(e.message, /^cannot import the backup: these templates were made by model 'dlib-resnet-pruned' .*create it with \{ embedder: 'fast' \}, or enroll the users again$/);
      return true;
    });
  }
  assert.deepEqual((await accurate.users()).map((u) => u.id), ['alice']);
  assert.deepEqual(await accurate.exportBackup(), backupBefore);
  assert.equal(await snapshot(store), before);
});
