// The unlock lockout: the policy in the engine's unlock session (src/unlock/lockout.h, tested in
// full by tests/unlock/lockout_test.cc) with a fake clock through the Engine's surface, then
// FaceUnlock with the real engine (a wrong face locks after maxAttempts, the lock survives a
// reload and is shared by tabs, a success forgives, damaged or missing state never blocks the
// owner).
import assert from 'node:assert/strict';
import test from 'node:test';

import { IDBFactory } from 'fake-indexeddb';

import { FaceUnlock, IndexedDBStore, MemoryStore } from '../../web/index.js';
import { LOCKOUT_DEFAULTS, lockoutOptions } from '../../web/lib/lockout.js';
import { engineAssets, engineTest, nodeOptions, photo } from './helpers.mjs';

const ALICE = 'Colin_Powell';
const BOB = 'George_W_Bush';
// Long enough for a few frames to be compared, short enough to keep the suite quick.
const WRONG_FACE_MS = 200;

function fakeClock(start = 1_700_000_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/**
 * An Engine with Alice enrolled, the lockout `policy` and the fake clock; fail(n) makes n unlock
 * attempts with Bob's face, each one frame, and returns the lockout status.
 * @param {import('node:test').TestContext} t
 * @param {object} policy
 * @param {{now: () => number}} clock
 */
async function lockoutEngine(t, policy, clock) {
  const a = await engineAssets();
  const engine = new a.core.Engine(a.detector, a.embedder);
  t.after(() => engine.delete());
  engine.setClock(clock.now);
  engine.setLockout(policy);
  const show = (frame) => {
    engine.frameView(frame.width, frame.height).set(frame.data);
    return frame;
  };
  const alice = show(await photo(ALICE, 1));
  engine.addTemplate('alice', engine.processFrame(alice.width, alice.height, { match: false }).embedding);
  const bob = await photo(BOB, 1);
  const fail = (n) => {
    for (let i = 0; i < n; i++) {
      assert.equal(engine.beginUnlock().status, 'running');
      show(bob);
      assert.equal(engine.unlockFrame(bob.width, bob.height).update.lockoutChanged, true);
      assert.equal(engine.endUnlock().reason, 'timeout');
    }
    return engine.lockoutStatus();
  };
  return { engine, fail };
}

engineTest('policy: 5 failures lock for 30 s, the next lock doubles, up to the cap', { photos: true },
    async (t) => {
      const clock = fakeClock();
      const { engine, fail } = await lockoutEngine(t, lockoutOptions({ maxLockMs: 100_000 }), clock);
      assert.deepEqual(engine.lockoutStatus(), { locked: false, retryAfterMs: 0, failures: 0 });
      assert.deepEqual(fail(4), { locked: false, retryAfterMs: 0, failures: 4 });
      assert.deepEqual(fail(1), { locked: true, retryAfterMs: 30_000, failures: 5 });
      const refused = engine.beginUnlock();
      assert.deepEqual([refused.status, refused.reason, refused.retryAfterMs], ['rejected', 'locked-out', 30_000]);
      assert.equal(refused.hint, 'too many failed attempts: try again in 30 s');
      clock.t += 29_999;
      assert.deepEqual(engine.lockoutStatus(), { locked: true, retryAfterMs: 1, failures: 5 });
      clock.t += 1;
      assert.deepEqual(engine.lockoutStatus(), { locked: false, retryAfterMs: 0, failures: 5 });

      // A fresh allowance after each lock, but a longer lock.
      assert.equal(fail(4).locked, false);
      assert.deepEqual(fail(1), { locked: true, retryAfterMs: 60_000, failures: 10 });
      clock.t += 60_000;
      assert.equal(fail(5).retryAfterMs, 100_000, '120 s capped at maxLockMs');
    });

engineTest('policy: states round-trip; stale, malformed or stretched ones are not obeyed',
    { photos: true }, async (t) => {
      const clock = fakeClock();
      const options = lockoutOptions({ maxAttempts: 2 });
      const a = await lockoutEngine(t, options, clock);
      a.fail(2);
      const saved = structuredClone(a.engine.lockoutState());
      assert.deepEqual(Object.keys(saved).sort(),
          ['failures', 'lockMs', 'lockedAt', 'locks', 'seq', 'sinceLock', 'v']);

      const b = await lockoutEngine(t, options, clock);
      assert.equal(b.engine.restoreLockout(saved), true);
      assert.deepEqual(b.engine.lockoutStatus(), { locked: true, retryAfterMs: 30_000, failures: 2 });
      // An older copy (lower seq) must not undo what this one recorded since.
      b.engine.setLockout(options);
      b.engine.restoreLockout({ ...saved, seq: saved.seq + 5, failures: 0, sinceLock: 0, locks: 0,
        lockedAt: 0, lockMs: 0 });
      assert.equal(b.engine.restoreLockout(saved), false);
      assert.equal(b.engine.lockoutStatus().locked, false);

      for (const junk of [undefined, null, 'lockout', 42, {}, { ...saved, v: 2 },
        { ...saved, failures: -1 }, { ...saved, lockedAt: 'soon' }, { ...saved, seq: 1.5 },
        { ...saved, lockMs: Infinity }]) {
        b.engine.setLockout(options); // a fresh state
        assert.equal(b.engine.restoreLockout(junk), false, JSON.stringify(junk));
        assert.deepEqual(b.engine.lockoutStatus(), { locked: false, retryAfterMs: 0, failures: 0 });
      }

      // A clock set back an hour does not make a 30 s lock last an hour...
      clock.t -= 3_600_000;
      b.engine.setLockout(options);
      b.engine.restoreLockout(saved);
      assert.equal(b.engine.lockoutStatus().retryAfterMs, 30_000);
      // ...and a lock saved under a longer cap ends by the current one.
      clock.t += 3_600_000;
      b.engine.setLockout(lockoutOptions({ maxAttempts: 2, lockMs: 1000, maxLockMs: 5000 }));
      b.engine.restoreLockout({ ...saved, lockMs: 86_400_000 });
      assert.equal(b.engine.lockoutStatus().retryAfterMs, 5000);
      // Off: nothing to save, nothing adopted, never locked.
      b.engine.setLockout(null);
      assert.equal(b.engine.lockoutState(), null);
      assert.equal(b.engine.restoreLockout(saved), false);
      assert.deepEqual(b.engine.lockoutStatus(), { locked: false, retryAfterMs: 0, failures: 0 });
    });

test('policy options: defaults, false, and clear errors', () => {
  assert.deepEqual(lockoutOptions(undefined), { ...LOCKOUT_DEFAULTS });
  assert.equal(lockoutOptions(false), null);
  assert.deepEqual(lockoutOptions({ lockMs: 3_600_000 }),
      { maxAttempts: 5, lockMs: 3_600_000, maxLockMs: 3_600_000 });
  for (const bad of [{ maxAttempts: 0 }, { maxAttempts: 2.5 }, { lockMs: 0 }, { lockMs: NaN },
    { lockMs: 1000, maxLockMs: 999 }, true, null, 'on']) {
    assert.throws(() => lockoutOptions(bad), { code: 'invalid-argument' }, JSON.stringify(bad));
  }
});

/**
 * A frame source that counts every read of its pixels, to show a locked unlock reads nothing.
 * @param {{width: number, height: number, data: Uint8Array}} frame
 */
function watched(frame) {
  const source = {
    reads: 0,
    get width() { source.reads++; return frame.width; },
    get height() { return frame.height; },
    get data() { return frame.data; },
  };
  return source;
}

/**
 * @param {import('node:test').TestContext} t
 * @param {object} [extra] more FaceUnlock.create options
 */
async function enrolled(t, extra = {}) {
  const fu = await FaceUnlock.create(await nodeOptions({ store: 'memory', ...extra }));
  t.after(() => fu.dispose());
  if ((await fu.users()).length === 0) await fu.enroll('alice', await photo(ALICE, 1), { frames: 1 });
  return fu;
}

engineTest('five wrong faces lock unlock(); the sixth returns locked-out at once, reading no frame',
    { photos: true }, async (t) => {
      const fu = await enrolled(t);
      const bob = await photo(BOB, 1);
      for (let i = 1; i <= 5; i++) {
        const r = await fu.unlock(bob, { timeoutMs: WRONG_FACE_MS });
        assert.equal(r.reason, 'timeout', JSON.stringify(r));
        assert.equal(fu.lockoutState().failures, i);
        assert.equal(fu.lockoutState().locked, i === 5);
      }
      const source = watched(bob);
      const started = Date.now();
      const r = await fu.unlock(source, { timeoutMs: 5000 });
      assert.ok(Date.now() - started < 100, `took ${Date.now() - started} ms`);
      assert.equal(source.reads, 0);
      assert.deepEqual([r.unlocked, r.user, r.score, r.reason], [false, null, null, 'locked-out']);
      assert.ok(r.retryAfterMs > 25_000 && r.retryAfterMs <= 30_000, String(r.retryAfterMs));
      assert.match(r.hint, /too many failed attempts: try again in \d+ s/);
      // The owner is refused too while it lasts: that is the point.
      assert.equal((await fu.unlock(await photo(ALICE, 2))).reason, 'locked-out');
    });

engineTest('what counts: a rejected face (even if aborted), not a blank frame; a success forgives',
    { photos: true }, async (t) => {
      const fu = await enrolled(t, { lockout: { maxAttempts: 3, lockMs: 300 } });
      const blank = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 4).fill(128) };
      assert.equal((await fu.unlock(blank, { timeoutMs: 100 })).reason, 'no-face');
      assert.equal(fu.lockoutState().failures, 0);

      // Cancelling just before the timeout must not make wrong faces free.
      const controller = new AbortController();
      const bob = await photo(BOB, 1);
      const aborted = fu.unlock(bob, { timeoutMs: 5000, signal: controller.signal,
        onFrame: (f) => { if (f.match) controller.abort(); } });
      await assert.rejects(aborted, { code: 'aborted' });
      assert.equal(fu.lockoutState().failures, 1);

      await fu.unlock(bob, { timeoutMs: WRONG_FACE_MS });
      await fu.unlock(bob, { timeoutMs: WRONG_FACE_MS });
      assert.equal(fu.lockoutState().locked, true);
      await new Promise((resolve) => setTimeout(resolve, fu.lockoutState().retryAfterMs + 10));
      assert.deepEqual(fu.lockoutState(), { locked: false, retryAfterMs: 0, failures: 3 });

      const yes = await fu.unlock(await photo(ALICE, 2));
      assert.equal(yes.reason, 'matched');
      assert.deepEqual(fu.lockoutState(), { locked: false, retryAfterMs: 0, failures: 0 });
    });

engineTest('lockout: false never locks', { photos: true }, async (t) => {
  const fu = await enrolled(t, { lockout: false });
  const bob = await photo(BOB, 1);
  await fu.unlock(bob, { timeoutMs: WRONG_FACE_MS });
  assert.deepEqual(fu.lockoutState(), { locked: false, retryAfterMs: 0, failures: 0 });
  await assert.rejects(FaceUnlock.create(await nodeOptions({ store: 'memory', lockout: { maxAttempts: 0 } })),
      { code: 'invalid-argument', message: /maxAttempts/ });
});

engineTest('the lock survives a reload (IndexedDB) and holds in another tab', { photos: true }, async (t) => {
  const factory = new IDBFactory();
  const options = { lockout: { maxAttempts: 2 } };
  const open = async () => {
    const fu = await FaceUnlock.create(await nodeOptions({
      store: new IndexedDBStore({ indexedDB: factory }), ...options }));
    t.after(() => fu.dispose());
    return fu;
  };
  const first = await open();
  await first.enroll('alice', await photo(ALICE, 1), { frames: 1 });
  const other = await open(); // a second tab, opened before the failures
  const bob = await photo(BOB, 1);
  await first.unlock(bob, { timeoutMs: WRONG_FACE_MS });
  await first.unlock(bob, { timeoutMs: WRONG_FACE_MS });
  assert.equal(first.lockoutState().locked, true);
  await first.dispose();

  const reloaded = await open();
  const state = reloaded.lockoutState();
  assert.equal(state.locked, true);
  assert.equal(state.failures, 2);
  assert.ok(state.retryAfterMs > 25_000, String(state.retryAfterMs));
  assert.equal((await reloaded.unlock(bob)).reason, 'locked-out');
  assert.equal((await other.unlock(bob)).reason, 'locked-out');

  // Kept beside the key, under its own name; the key is untouched.
  const db = await new Promise((resolve, reject) => {
    const r = factory.open('faceunlock');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  assert.equal(db.version, 1);
  const get = (key) => new Promise((resolve) => {
    const r = db.transaction('keys', 'readonly').objectStore('keys').get(key);
    r.onsuccess = () => resolve(r.result);
  });
  const put = (key, value) => new Promise((resolve) => {
    const tx = db.transaction('keys', 'readwrite');
    tx.objectStore('keys').put(value, key);
    tx.oncomplete = resolve;
  });
  assert.deepEqual(Object.keys(await get('meta:lockout')).sort(),
      ['failures', 'lockMs', 'lockedAt', 'locks', 'seq', 'sinceLock', 'v']);
  assert.equal((await get('store-key')).type, 'secret');

  // Damaged state: start unlocked, the users still load.
  await put('meta:lockout', { v: 1, seq: 'x' });
  db.close();
  await reloaded.dispose();
  await other.dispose();
  const afterDamage = await open();
  assert.deepEqual(afterDamage.lockoutState(), { locked: false, retryAfterMs: 0, failures: 0 });
  assert.equal((await afterDamage.unlock(await photo(ALICE, 2))).user, 'alice');
});

engineTest('stores without meta, or whose meta fails, lock in memory and never throw',
    { photos: true }, async (t) => {
      const warn = t.mock.method(console, 'warn', () => {});
      // A custom store written before getMeta/putMeta existed.
      const inner = new MemoryStore();
      const plain = {};
      for (const m of ['open', 'getKey', 'getAll', 'put', 'delete', 'replaceAll', 'close']) {
        plain[m] = (...args) => inner[m](...args);
      }
      const bob = await photo(BOB, 1);
      const a = await enrolled(t, { store: plain, lockout: { maxAttempts: 1 } });
      await a.unlock(bob, { timeoutMs: WRONG_FACE_MS });
      assert.equal((await a.unlock(bob)).reason, 'locked-out');

      class BrokenMeta extends MemoryStore {
        async getMeta() { throw new Error('disk on fire'); }
        async putMeta() { throw new DOMException('full', 'QuotaExceededError'); }
      }
      const b = await enrolled(t, { store: new BrokenMeta(), lockout: { maxAttempts: 1 } });
      assert.equal(b.lockoutState().locked, false);
      assert.equal((await b.unlock(bob, { timeoutMs: WRONG_FACE_MS })).reason, 'timeout');
      assert.equal((await b.unlock(bob)).reason, 'locked-out');
      assert.ok(warn.mock.callCount() >= 2);
    });
