// The IndexedDB store (fake-indexeddb in Node): persistence across instances, encryption at
// rest, tampered records skipped with a clear error, schema versions.
import assert from 'node:assert/strict';
import test from 'node:test';

import { IDBFactory } from 'fake-indexeddb';

import { FaceUnlock, IndexedDBStore } from '../../web/index.js';
import { encryptRecord } from '../../web/lib/crypto.js';
import { engineTest, nodeOptions, photo } from './helpers.mjs';

const ALICE = 'Colin_Powell';
const BOB = 'George_W_Bush';

/** Opens the raw database to look at or edit what the library wrote. */
function rawDb(factory, name = 'faceunlock', version = undefined) {
  return new Promise((resolve, reject) => {
    const r = factory.open(name, version);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onupgradeneeded = () => {};
  });
}

function rawPut(db, value) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction('users', 'readwrite');
    tx.objectStore('users').put(value);
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error);
  });
}

function rawGet(db, store, key) {
  return new Promise((resolve, reject) => {
    const r = db.transaction(store, 'readonly').objectStore(store).get(key);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function open(t, factory, extra = {}) {
  const fu = await FaceUnlock.create(await nodeOptions({
    store: new IndexedDBStore({ indexedDB: factory }), ...extra,
  }));
  t.after(() => fu.dispose());
  return fu;
}

test('schema 1: users and keys object stores; a non-extractable key that persists', async () => {
  const factory = new IDBFactory();
  const store = new IndexedDBStore({ indexedDB: factory });
  await store.open();
  const key = await store.getKey();
  assert.equal(key.extractable, false);
  assert.deepEqual(key.algorithm, { name: 'AES-GCM', length: 256 });
  assert.equal(await store.getKey(), key);
  store.close();

  const again = new IndexedDBStore({ indexedDB: factory });
  await again.open();
  const reloaded = await again.getKey();
  // Same key: what one encrypts the other decrypts.
  const iv = new Uint8Array(12);
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new Uint8Array([1, 2, 3]));
  assert.deepEqual(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, reloaded, ct)),
      new Uint8Array([1, 2, 3]));
  again.close();

  const db = await rawDb(factory);
  assert.equal(db.version, 1);
  assert.deepEqual([...db.objectStoreNames].sort(), ['keys', 'users']);
  db.close();
});

test('a database from a newer schema is refused with a clear error', async () => {
  const factory = new IDBFactory();
  (await rawDb(factory, 'faceunlock', 7)).close();
  const store = new IndexedDBStore({ indexedDB: factory });
  await assert.rejects(store.open(), { code: 'store', message: /newer faceunlock/ });
});

test('put, delete, replaceAll are transactional records', async () => {
  const store = new IndexedDBStore({ indexedDB: new IDBFactory() });
  await store.open();
  const rec = (id) => ({ id, version: 1, iv: new Uint8Array(12), ciphertext: new Uint8Array([1]),
    createdAt: 1, updatedAt: 2 });
  await store.put(rec('a'));
  await store.put(rec('b'));
  assert.deepEqual((await store.getAll()).map((r) => r.id), ['a', 'b']);
  assert.equal(await store.delete('a'), true);
  assert.equal(await store.delete('a'), false);
  await store.replaceAll([rec('c'), rec('d')]);
  assert.deepEqual((await store.getAll()).map((r) => r.id), ['c', 'd']);
  assert.ok((await store.getAll())[0].ciphertext instanceof Uint8Array);
  store.close();
  await assert.rejects(store.getAll(), { code: 'store', message: /closed/ });
});

engineTest('users persist across instances; records hold ciphertext, never templates in clear',
    { photos: true }, async (t) => {
      const factory = new IDBFactory();
      const first = await open(t, factory);
      await first.enroll('alice', await photo(ALICE, 1), { frames: 2 });
      await first.enroll('bob', await photo(BOB, 1), { frames: 1 });
      const gallery = await first.exportBackup();
      await first.dispose();

      const db = await rawDb(factory);
      const record = await rawGet(db, 'users', 'alice');
      db.close();
      assert.deepEqual(Object.keys(record).sort(),
          ['ciphertext', 'createdAt', 'id', 'iv', 'updatedAt', 'version']);
      assert.equal(record.version, 1);
      assert.equal(record.iv.length, 12);
      // The one-user gallery (44 + the embedder identity + 8 + 5 + 2 * 128 * 4 bytes) plus the
      // 16-byte GCM tag.
      const identity = 'dlib-resnet@6c83f8d0'.length;
      assert.equal(record.ciphertext.length, 44 + identity + 8 + 5 + 2 * 128 * 4 + 16);
      const head = Buffer.from(gallery.subarray(0, 8));
      assert.equal(Buffer.from(record.ciphertext).includes(head), false);

      const second = await open(t, factory);
      assert.deepEqual(second.loadErrors, []);
      assert.deepEqual((await second.users()).map((u) => [u.id, u.templates]), [['alice', 2], ['bob', 1]]);
      assert.equal((await second.unlock(await photo(ALICE, 2))).user, 'alice');
      assert.equal(await second.removeUser('bob'), true);
      await second.dispose();

      const third = await open(t, factory);
      assert.deepEqual((await third.users()).map((u) => u.id), ['alice']);
    });

engineTest('a tampered or unreadable record is reported and skipped; the others still unlock',
    { photos: true }, async (t) => {
      const factory = new IDBFactory();
      const first = await open(t, factory);
      await first.enroll('alice', await photo(ALICE, 1), { frames: 1 });
      await first.enroll('bob', await photo(BOB, 1), { frames: 1 });
      await first.enroll('carol', await photo(BOB, 2), { frames: 1 });
      await first.dispose();

      const db = await rawDb(factory);
      // bob: one flipped ciphertext bit. carol: bob's intact ciphertext under carol's id (the id
      // is authenticated, so a swap cannot make bob's face unlock as carol).
      const bob = await rawGet(db, 'users', 'bob');
      const tampered = new Uint8Array(bob.ciphertext);
      tampered[20] ^= 1;
      await rawPut(db, { ...bob, ciphertext: tampered });
      await rawPut(db, { ...bob, id: 'carol' });
      // dave: decrypts fine (right key, right id) but the engine rejects the bytes.
      const key = await rawGet(db, 'keys', 'store-key');
      const junk = await encryptRecord(key, 'dave', new TextEncoder().encode('FUGALLRY not really'));
      await rawPut(db, { id: 'dave', ...junk, createdAt: 1, updatedAt: 1 });
      db.close();

      const reported = [];
      const second = await open(t, factory, { onStoreError: (e) => reported.push(e) });
      assert.deepEqual(second.loadErrors.map((e) => [e.userId, e.code]),
          [['bob', 'corrupt-record'], ['carol', 'corrupt-record'], ['dave', 'corrupt-record']]);
      assert.deepEqual(reported.map((e) => e.userId), ['bob', 'carol', 'dave']);
      assert.match(second.loadErrors[0].message, /cannot decrypt stored user 'bob': the record was modified/);
      assert.match(second.loadErrors[2].message, /cannot load stored user 'dave': the engine rejected/);
      assert.deepEqual((await second.users()).map((u) => u.id), ['alice']);
      assert.equal((await second.unlock(await photo(ALICE, 2))).user, 'alice');
      const notBob = await second.unlock(await photo(BOB, 3), { timeoutMs: 500 });
      assert.equal(notBob.unlocked, false);

      // Removing (or re-enrolling) a damaged user clears its error and its record.
      assert.equal(await second.removeUser('bob'), true);
      await second.enroll('carol', await photo(BOB, 2), { frames: 1 });
      assert.deepEqual(second.loadErrors.map((e) => e.userId), ['dave']);
      await second.dispose();
      const third = await open(t, factory);
      assert.deepEqual(third.loadErrors.map((e) => e.userId), ['dave']);
      assert.deepEqual((await third.users()).map((u) => u.id), ['alice', 'carol']);
    });

engineTest('importBackup replaces the stored users in one go', { photos: true }, async (t) => {
  const factory = new IDBFactory();
  const fu = await open(t, factory);
  await fu.enroll('alice', await photo(ALICE, 1), { frames: 1 });
  const backup = await fu.exportBackup({ passphrase: 'pw' });
  await fu.removeUser('alice');
  await fu.enroll('bob', await photo(BOB, 1), { frames: 1 });
  await fu.importBackup(backup, { passphrase: 'pw' });
  await fu.dispose();
  const again = await open(t, factory);
  assert.deepEqual((await again.users()).map((u) => u.id), ['alice']);
});
