// Parts that need no engine: frame reading, encryption, error classification.
import assert from 'node:assert/strict';
import test from 'node:test';

import { decryptBackup, decryptRecord, encryptBackup, encryptRecord, generateStoreKey,
  isEncryptedBackup } from '../../web/lib/crypto.js';
import { FaceUnlockError, isQuotaError, storeError } from '../../web/lib/errors.js';
import { FrameReader } from '../../web/lib/frame-source.js';

test('raw RGBA frames: used as they are up to maxSide, box-averaged above it', async () => {
  const reader = new FrameReader(32);
  const data = new Uint8Array(32 * 2 * 4).fill(7);
  const same = await reader.read({ width: 32, height: 2, data });
  assert.equal(same.data, data);
  assert.deepEqual([same.width, same.height, same.scale, same.owned], [32, 2, 1, false]);

  // 64x2 with the left half 0 and the right half 200 -> 32x1: 16 pixels of 0, 16 of 200.
  const wide = new Uint8Array(64 * 2 * 4);
  for (let y = 0; y < 2; y++) wide.fill(200, (y * 64 + 32) * 4, (y * 64 + 64) * 4);
  const small = await reader.read({ width: 64, height: 2, data: wide });
  assert.deepEqual([small.width, small.height, small.scale, small.owned], [32, 1, 0.5, true]);
  assert.deepEqual([...small.data].filter((_, i) => i % 4 === 0),
      [...Array(16).fill(0), ...Array(16).fill(200)]);

  await assert.rejects(reader.read({ width: 4, height: 2, data: new Uint8Array(3) }),
      { code: 'invalid-argument', message: /needs width \* height \* 4 = 32/ });
  await assert.rejects(reader.read({ width: 0, height: 2, data: [] }), { code: 'invalid-argument' });
  await assert.rejects(reader.read(42), { code: 'unsupported-source', message: /HTMLVideoElement/ });
  assert.throws(() => new FrameReader(8), { code: 'invalid-argument' });
});

test('records: AES-GCM bound to the id; tampering and swapping fail', async () => {
  const key = await generateStoreKey();
  assert.equal(key.extractable, false);
  const plain = new Uint8Array([1, 2, 3, 4, 5]);
  const sealed = await encryptRecord(key, 'alice', plain);
  assert.equal(sealed.version, 1);
  assert.deepEqual(await decryptRecord(key, { id: 'alice', ...sealed }), plain);
  await assert.rejects(decryptRecord(key, { id: 'bob', ...sealed }), { code: 'corrupt-record', userId: 'bob' });
  const flipped = new Uint8Array(sealed.ciphertext);
  flipped[0] ^= 1;
  await assert.rejects(decryptRecord(key, { id: 'alice', ...sealed, ciphertext: flipped }),
      { code: 'corrupt-record', message: /modified or damaged/ });
  await assert.rejects(decryptRecord(await generateStoreKey(), { id: 'alice', ...sealed }),
      { code: 'corrupt-record' });
  await assert.rejects(decryptRecord(key, { id: 'alice', ...sealed, version: 2 }),
      { code: 'corrupt-record', message: /newer faceunlock/ });
});

test('backups: passphrase round trip; the header is authenticated', async () => {
  const gallery = new TextEncoder().encode('FUGALLRY and some templates');
  const sealed = await encryptBackup(gallery, 'pw', 100000);
  assert.ok(isEncryptedBackup(sealed));
  assert.ok(!isEncryptedBackup(gallery));
  assert.deepEqual(await decryptBackup(sealed, 'pw'), gallery);
  await assert.rejects(decryptBackup(sealed, 'wrong'), { code: 'backup', message: /wrong passphrase/ });
  const salted = new Uint8Array(sealed);
  salted[20] ^= 1;
  await assert.rejects(decryptBackup(salted, 'pw'), { code: 'backup' });
  const weak = new Uint8Array(sealed);
  new DataView(weak.buffer).setUint32(12, 1000, true);
  await assert.rejects(decryptBackup(weak, 'pw'), { code: 'backup', message: /iteration count/ });
  await assert.rejects(encryptBackup(gallery, ''), { code: 'invalid-argument' });
});

test('quota errors are recognised in their browser-specific shapes', () => {
  assert.ok(isQuotaError(new DOMException('full', 'QuotaExceededError')));
  assert.ok(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' }));
  assert.ok(isQuotaError(new Error('aborted', { cause: new DOMException('full', 'QuotaExceededError') })));
  assert.ok(!isQuotaError(new DOMException('x', 'AbortError')));
  const e = storeError("cannot save user 'a'", new DOMException('full', 'QuotaExceededError'), 'a');
  assert.ok(e instanceof FaceUnlockError && e instanceof Error);
  assert.equal(e.code, 'quota-exceeded');
  assert.equal(storeError('x', new Error('disk on fire')).code, 'store');
});
