// Bad input to every public method of FaceUnlock: wrong types, empty and huge frames, detached
// buffers, calls that overlap, a disposed instance. Each rejects with a FaceUnlockError whose
// code and message say what is wrong, and the stored users (memory store and encrypted
// FileStore) are byte for byte what they were.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { FaceUnlock, FaceUnlockError, MemoryStore } from '../../web/index.js';
import { encryptRecord } from '../../web/lib/crypto.js';
import { FileStore } from '../../web/lib/store-file.js';
import { engineAssets, engineTest, nodeOptions } from './helpers.mjs';

const BLANK = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 4).fill(100) };

/** One enrolled user's record plaintext, made by the engine itself (no photos needed). */
async function aliceRecord() {
  const { core, detector, embedder } = await engineAssets();
  const engine = new core.Engine(detector, embedder);
  try {
    const e = new Float32Array(128).map((_, i) => Math.cos(i));
    engine.addTemplate('alice', e);
    return new Uint8Array(engine.exportUser('alice'));
  } finally {
    engine.delete();
  }
}

/** A detached ArrayBuffer's view: length 0, as after postMessage(..., [buffer]). */
function detachedFrame() {
  const buffer = new ArrayBuffer(64 * 48 * 4);
  const data = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return { width: 64, height: 48, data };
}

/**
 * Every bad call, with the code and (part of) the message it must reject with.
 * @returns {[string, (fu: FaceUnlock) => Promise<unknown>, string, RegExp][]}
 */
function badCalls() {
  const frame = (width, height, bytes) => ({ width, height, data: new Uint8Array(bytes) });
  return [
    ['analyze(42)', (fu) => fu.analyze(42), 'unsupported-source', /cannot read a frame from this source/],
    ['analyze(null)', (fu) => fu.analyze(null), 'unsupported-source', /cannot read a frame/],
    ['analyze("x")', (fu) => fu.analyze('x'), 'unsupported-source', /cannot read a frame/],
    ['analyze 0x0', (fu) => fu.analyze(frame(0, 0, 0)), 'invalid-argument', /0x0: width and height must be positive integers/],
    ['analyze 100000x100000 from 16 bytes', (fu) => fu.analyze(frame(100000, 100000, 16)),
      'invalid-argument', /100000x100000 frame from 16 bytes/],
    ['analyze NaN width', (fu) => fu.analyze({ width: NaN, height: 2, data: new Uint8Array(8) }),
      'invalid-argument', /positive integers/],
    ['analyze 2.5 width', (fu) => fu.analyze({ width: 2.5, height: 2, data: new Uint8Array(20) }),
      'invalid-argument', /positive integers/],
    ['analyze a detached buffer', (fu) => fu.analyze(detachedFrame()), 'invalid-argument',
      /from 0 bytes.*detached/],
    ['analyze string pixels', (fu) => fu.analyze({ width: 1, height: 1, data: 'abcd' }),
      'invalid-argument', /data must be/],
    ['enroll(42, frame)', (fu) => fu.enroll(42, BLANK), 'invalid-argument', /user id must be a non-empty string/],
    ['enroll("", frame)', (fu) => fu.enroll('', BLANK), 'invalid-argument', /non-empty string/],
    ['enroll(control chars)', (fu) => fu.enroll('a\u0000b', BLANK), 'invalid-argument', /control characters/],
    ['enroll(129-byte id)', (fu) => fu.enroll('x'.repeat(129), BLANK), 'invalid-argument', /at most 128 bytes/],
    ['enroll frames: 0', (fu) => fu.enroll('bob', BLANK, { frames: 0 }), 'invalid-argument', /frames must be an integer from 1 to 32/],
    ['enroll frames: "5"', (fu) => fu.enroll('bob', BLANK, { frames: '5' }), 'invalid-argument', /frames must be an integer/],
    ['enroll timeoutMs: -1', (fu) => fu.enroll('bob', BLANK, { timeoutMs: -1 }), 'invalid-argument', /timeoutMs must be a positive number/],
    ['enroll from a huge frame', (fu) => fu.enroll('bob', frame(100000, 100000, 4)), 'invalid-argument', /100000x100000/],
    ['enroll options: 7', (fu) => fu.enroll('bob', BLANK, 7), 'invalid-argument', /options must be an object/],
    ['unlock(undefined)', (fu) => fu.unlock(undefined), 'unsupported-source', /cannot read a frame/],
    ['unlock a detached buffer', (fu) => fu.unlock(detachedFrame()), 'invalid-argument', /detached/],
    ['unlock timeoutMs: "x"', (fu) => fu.unlock(BLANK, { timeoutMs: 'x' }), 'invalid-argument', /timeoutMs/],
    ['unlock onFrame: 3', (fu) => fu.unlock(BLANK, { onFrame: 3 }), 'invalid-argument', /onFrame must be a function/],
    ['removeUser(null)', (fu) => fu.removeUser(null), 'invalid-argument', /non-empty string/],
    ['removeUser("")', (fu) => fu.removeUser(''), 'invalid-argument', /non-empty string/],
    ['importBackup("text")', (fu) => fu.importBackup('text'), 'invalid-argument', /expected a Uint8Array or ArrayBuffer/],
    ['importBackup(empty)', (fu) => fu.importBackup(new Uint8Array(0)), 'backup', /cannot import the backup.*truncated/],
    ['importBackup(garbage)', (fu) => fu.importBackup(new Uint8Array(100).fill(7)), 'backup', /bad magic/],
    ['importBackup(detached)', (fu) => fu.importBackup(detachedFrame().data), 'invalid-argument',
      /ArrayBuffer is detached/],
    ['importBackup(a detached ArrayBuffer)', (fu) => fu.importBackup(detachedFrame().data.buffer),
      'invalid-argument', /ArrayBuffer is detached/],
    ['importBackup wrong passphrase type', (fu) => fu.importBackup(new Uint8Array(8), { passphrase: 5 }),
      'invalid-argument', /importBackup\(\): the backup passphrase must be a non-empty string/],
    ['exportBackup passphrase: 5', (fu) => fu.exportBackup({ passphrase: 5 }), 'invalid-argument', /passphrase must be a non-empty string/],
    ['exportBackup passphrase: ""', (fu) => fu.exportBackup({ passphrase: '' }), 'invalid-argument', /passphrase must be a non-empty string/],
    ['setSecurityLevel(5)', (fu) => fu.setSecurityLevel(5), 'invalid-argument', /level must be a string/],
    ['setSecurityLevel("1e-9")', (fu) => fu.setSecurityLevel('1e-9'), 'invalid-argument', /1e-9/],
    ['setLiveness("yes")', (fu) => fu.setLiveness('yes'), 'invalid-argument', /liveness must be true, false or an object/],
    ['setLiveness({turnMs: "x"})', (fu) => fu.setLiveness({ turnMs: 'x' }), 'invalid-argument', /turnMs/],
  ];
}

/**
 * Runs the whole sweep against one instance over `store`; `snapshot` reads what is stored.
 * @param {import('node:test').TestContext} t
 * @param {any} store
 * @param {() => Promise<string>} snapshot
 */
async function sweep(t, store, snapshot) {
  const fu = await FaceUnlock.create(await nodeOptions({ store, lockout: false }));
  t.after(() => fu.dispose());
  assert.deepEqual((await fu.users()).map((u) => u.id), ['alice']);
  const before = await snapshot();
  const backupBefore = await fu.exportBackup();

  for (const [name, call, code, message] of badCalls()) {
    await assert.rejects(Promise.resolve().then(() => call(fu)), (e) => {
      assert.ok(e instanceof FaceUnlockError, `${name}: ${e?.stack ?? e}`);
      assert.equal(e.code, code, `${name}: ${e.message}`);
      assert.match(e.message, message, name);
      return true;
    }, name);
  }

  // Calls that overlap: one enroll or unlock at a time per instance.
  const enrolling = fu.enroll('bob', BLANK, { timeoutMs: 400 });
  await assert.rejects(fu.unlock(BLANK), { code: 'busy', message: /cannot start unlock\(\): enroll\(\) is still running/ });
  await assert.rejects(fu.enroll('carol', BLANK), { code: 'busy' });
  await assert.rejects(fu.importBackup(backupBefore), { code: 'busy' });
  await assert.rejects(fu.setSecurityLevel('1e-4'), { code: 'busy' });
  await assert.rejects(enrolling, { code: 'timeout', message: /enroll\('bob'\) timed out with 0 of 5 good frames/ });
  const unlocking = fu.unlock(BLANK, { timeoutMs: 400 });
  await assert.rejects(fu.unlock(BLANK), { code: 'busy', message: /unlock\(\) is still running/ });
  await assert.rejects(fu.enroll('bob', BLANK), { code: 'busy' });
  assert.equal((await unlocking).reason, 'no-face');
  // An abort stops a running call and frees the instance for the next.
  const aborter = new AbortController();
  const aborted = fu.unlock(BLANK, { timeoutMs: 5000, signal: aborter.signal });
  aborter.abort();
  await assert.rejects(aborted, { code: 'aborted' });
  assert.equal((await fu.unlock(BLANK, { timeoutMs: 100 })).reason, 'no-face');

  // Documented non-errors: an unknown user removes nothing, and says so.
  assert.equal(await fu.removeUser('nobody'), false);

  assert.deepEqual((await fu.users()).map((u) => u.id), ['alice']);
  assert.deepEqual(await fu.exportBackup(), backupBefore);
  assert.equal(await snapshot(), before, 'the store is byte-identical');

  // Disposed: everything refuses with 'disposed', nothing is written.
  await fu.dispose();
  const disposedCalls = [
    () => fu.analyze(BLANK), () => fu.enroll('bob', BLANK), () => fu.unlock(BLANK), () => fu.users(),
    () => fu.removeUser('alice'), () => fu.exportBackup(), () => fu.importBackup(backupBefore),
    () => fu.setSecurityLevel('1e-3'), () => fu.setLiveness(false),
  ];
  for (const call of disposedCalls) {
    await assert.rejects(Promise.resolve().then(call), { code: 'disposed', message: /disposed; create a new one/ }, String(call));
  }
  await fu.dispose(); // twice is fine
  assert.equal(await snapshot(), before, 'the store is byte-identical after dispose');
}

engineTest('bad input to every method, memory store: clear errors, users intact', {}, async (t) => {
  const store = new MemoryStore();
  const key = await store.getKey();
  await store.put({ id: 'alice', ...(await encryptRecord(key, 'alice', await aliceRecord())), createdAt: 1, updatedAt: 2 });
  await sweep(t, store, async () => JSON.stringify((await store.getAll()).map((r) =>
    ({ ...r, iv: [...r.iv], ciphertext: [...r.ciphertext] }))));
});

engineTest('bad input to every method, encrypted FileStore: clear errors, file intact', {}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceunlock-bad-input-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'users.json');
  const seed = new FileStore({ path: file });
  await seed.open();
  await seed.put({ id: 'alice', ...(await encryptRecord(await seed.getKey(), 'alice', await aliceRecord())),
    createdAt: 1, updatedAt: 2 });
  await seed.close();
  await sweep(t, new FileStore({ path: file }), async () =>
    readFileSync(file).toString('base64') + readFileSync(`${file}.key`).toString('base64'));
});

engineTest('bad options to create() reject before anything is stored', {}, async () => {
  const cases = [
    [{ store: 'nowhere' }, /unknown store "nowhere"/],
    [{ store: 42 }, /unknown store 42/],
    [{ store: { open() {} } }, /the custom store lacks the methods/],
    [{ securityLevel: 7 }, /level must be a string/],
    [{ liveness: 'on' }, /liveness must be true, false or an object/],
    [{ lockout: { maxAttempts: 0 } }, /maxAttempts must be a positive integer/],
    [{ maxFrameSide: 4 }, /maxFrameSide must be at least 32/],
    [{ embedder: 'huge' }, /embedder must be 'accurate' or 'fast'/],
    [{ fusion: { required: 9, window: 2 } }, /fusion/],
  ];
  for (const [extra, message] of cases) {
    await assert.rejects(FaceUnlock.create(await nodeOptions({ store: 'memory', ...extra })), (e) => {
      assert.ok(e instanceof FaceUnlockError, `${JSON.stringify(extra)}: ${e?.stack ?? e}`);
      assert.equal(e.code, 'invalid-argument', `${JSON.stringify(extra)}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    }, JSON.stringify(extra));
  }
});
