// FileStore ('faceunlock/file-store'): users persist in a file between processes, encrypted
// under a key kept in a second file; damaged, foreign or newer files are refused clearly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';

import { FaceUnlock } from '../../web/index.js';
import { encryptRecord } from '../../web/lib/crypto.js';
import { FileStore } from '../../web/lib/store-file.js';
import { engineTest, photo } from './helpers.mjs';

function tempDir(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceunlock-filestore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function record(store, id, bytes) {
  const sealed = await encryptRecord(await store.getKey(), id, bytes);
  return { id, ...sealed, createdAt: 1, updatedAt: 2 };
}

test('records and meta survive a new FileStore on the same file; the key file is private', async (t) => {
  const file = path.join(tempDir(t), 'users.json');
  const a = new FileStore({ path: file });
  await a.open();
  const secret = new TextEncoder().encode('template bytes that must not appear in clear');
  await a.put(await record(a, 'alice', secret));
  await a.put(await record(a, 'bob', secret));
  await a.putMeta('lockout', { v: 1, failures: 2 });
  assert.equal(await a.delete('bob'), true);
  assert.equal(await a.delete('bob'), false);
  await a.close();

  assert.equal(statSync(`${file}.key`).mode & 0o777, 0o600);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /must not appear/);
  assert.equal(JSON.parse(text).format, 'faceunlock-file-store');

  const b = new FileStore({ path: file });
  await b.open();
  const records = await b.getAll();
  assert.deepEqual(records.map((r) => r.id), ['alice']);
  assert.deepEqual(await b.getMeta('lockout'), { v: 1, failures: 2 });
  assert.equal(await b.getMeta('nothing'), undefined);
  // The same key: what a decrypts, b decrypts.
  const { decryptRecord } = await import('../../web/lib/crypto.js');
  assert.deepEqual(await decryptRecord(await b.getKey(), records[0]), secret);
  await b.replaceAll([]);
  assert.deepEqual(await b.getAll(), []);
  await b.close();
});

test('bad files are refused with the reason', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'users.json');
  assert.throws(() => new FileStore({}), { code: 'invalid-argument' });

  writeFileSync(file, 'not json');
  await assert.rejects(new FileStore({ path: file }).open(), { code: 'store', message: /not JSON/ });
  writeFileSync(file, JSON.stringify({ format: 'something-else' }));
  await assert.rejects(new FileStore({ path: file }).open(), { code: 'store', message: /not a faceunlock-file-store/ });
  writeFileSync(file, JSON.stringify({ format: 'faceunlock-file-store', version: 2, records: [] }));
  await assert.rejects(new FileStore({ path: file }).open(), { code: 'store', message: /version 2.*newer/ });
  writeFileSync(file, JSON.stringify({ format: 'faceunlock-file-store', version: 1, records: [{ id: 'x' }] }));
  await assert.rejects(new FileStore({ path: file }).open(), { code: 'store', message: /malformed/ });

  // Users without their key cannot be read: say so rather than start a new, empty key.
  const good = new FileStore({ path: file + '2' });
  await good.open();
  await good.put(await record(good, 'alice', new Uint8Array([1, 2, 3])));
  await good.close();
  rmSync(`${file}2.key`);
  await assert.rejects(new FileStore({ path: file + '2' }).open(),
      { code: 'store', message: /key file is missing/ });
  writeFileSync(`${file}2.key`, 'short');
  await assert.rejects(new FileStore({ path: file + '2' }).open(), { code: 'store', message: /5 bytes/ });
  await assert.rejects(new FileStore({ path: file + '3' }).getAll(), { code: 'store', message: /not open/ });
});

engineTest('a script enrolls into a FileStore; another run unlocks from it', { photos: true }, async (t) => {
  const file = path.join(tempDir(t), 'users.json');
  const first = await FaceUnlock.create({ store: new FileStore({ path: file }) });
  await first.enroll('colin', await photo('Colin_Powell', 1), { frames: 1 });
  await first.dispose();

  const second = await FaceUnlock.create({ store: new FileStore({ path: file }) });
  t.after(() => second.dispose());
  assert.deepEqual((await second.users()).map((u) => u.id), ['colin']);
  const r = await second.unlock(await photo('Colin_Powell', 2), { timeoutMs: 3000 });
  assert.equal(r.unlocked, true, JSON.stringify(r));
  assert.equal(r.user, 'colin');
});
