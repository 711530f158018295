// Seeded random mutations of a valid passphrase-encrypted backup (and of a plain one) through
// FaceUnlock.importBackup: every mutation must be refused with a FaceUnlockError (code 'backup'),
// never another exception, never a hang, and must leave the engine's users and the store's
// records exactly as they were. The C++ side of the same surface (the gallery file the backup
// decrypts to) is fuzzed by tests/fuzz with libFuzzer.
import assert from 'node:assert/strict';

import { FaceUnlock, FaceUnlockError, MemoryStore } from '../../web/index.js';
import { crc32 } from '../../web/lib/assets.js';
import { encryptBackup } from '../../web/lib/crypto.js';
import { engineTest, nodeOptions } from './helpers.mjs';

const SEED = 20240601;
const ENCRYPTED_MUTATIONS = 200;
const PLAIN_MUTATIONS = 100;
const PASSPHRASE = 'correct horse battery staple';
// The lowest count decryptBackup accepts: every mutation that reaches the key derivation pays
// for it, and the format's checks are the same at any count.
const ITERATIONS = 100000;
// Far above the slowest legitimate import here (the highest iteration count a header may claim,
// 10 million, takes seconds): reaching it means the import hangs.
const HANG_MS = 60000;

/** mulberry32: a small seeded generator, so a failing mutation can be replayed by its index. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A gallery file (docs/gallery-format.md, version 2) of the embedder `identity` with `users`
 * ([name, templates] pairs, in name order)
 * holding unit templates of `dimension` values.
 */
function galleryFile(identity, dimension, users, next) {
  const names = users.map(([name]) => new TextEncoder().encode(name));
  const embedder = new TextEncoder().encode(identity);
  let size = 4 + embedder.length + 8;
  users.forEach(([, count], i) => { size += 8 + names[i].length + 4 * dimension * count; });
  const file = new Uint8Array(32 + size);
  const view = new DataView(file.buffer);
  file.set(new TextEncoder().encode('FUGALLRY'), 0);
  view.setUint32(8, 2, true);
  view.setBigUint64(16, BigInt(size), true);
  let at = 32;
  view.setUint32(at, embedder.length, true);
  file.set(embedder, at + 4);
  at += 4 + embedder.length;
  view.setUint32(at, dimension, true);
  view.setUint32(at + 4, users.length, true);
  at += 8;
  users.forEach(([, count], i) => {
    view.setUint32(at, names[i].length, true);
    file.set(names[i], at + 4);
    at += 4 + names[i].length;
    view.setUint32(at, count, true);
    at += 4;
    for (let t = 0; t < count; t++) {
      const v = Array.from({ length: dimension }, () => next() - 0.5);
      const norm = Math.hypot(...v);
      for (const x of v) {
        view.setFloat32(at, x / norm, true);
        at += 4;
      }
    }
  });
  view.setUint32(24, crc32(file, 32), true);
  return file;
}

/**
 * One random mutation of `bytes`, weighted towards the first `headerBytes`, where the parsing is.
 * @returns {{bytes: Uint8Array, what: string}}
 */
function mutate(bytes, headerBytes, next) {
  const pick = (n) => Math.floor(next() * n);
  const at = () => (next() < 0.6 ? pick(headerBytes) : pick(bytes.length));
  const out = new Uint8Array(bytes);
  switch (pick(7)) {
    case 0: {
      const i = at();
      const bit = 1 << pick(8);
      out[i] ^= bit;
      return { bytes: out, what: `flip bit ${bit} of byte ${i}` };
    }
    case 1: {
      const n = 1 + pick(8);
      for (let k = 0; k < n; k++) out[at()] = pick(256);
      return { bytes: out, what: `${n} random bytes` };
    }
    case 2: {
      const n = pick(bytes.length);
      return { bytes: bytes.slice(0, n), what: `cut to ${n} bytes` };
    }
    case 3: {
      const extra = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256));
      const joined = new Uint8Array(bytes.length + extra.length);
      joined.set(bytes);
      joined.set(extra, bytes.length);
      return { bytes: joined, what: `${extra.length} bytes appended` };
    }
    case 4: {
      const i = at();
      const n = 1 + pick(16);
      const shorter = new Uint8Array(bytes.length - Math.min(n, bytes.length - i));
      shorter.set(bytes.subarray(0, i));
      shorter.set(bytes.subarray(i + n), i);
      return { bytes: shorter, what: `${n} bytes removed at ${i}` };
    }
    case 5: {
      // A little-endian u32 field rewritten: counts, versions, sizes, the iteration count.
      const i = 4 * pick(Math.floor(headerBytes / 4));
      const value = [0, 1, 2, 0xffffffff, pick(2 ** 32), ITERATIONS + pick(1000)][pick(6)];
      new DataView(out.buffer).setUint32(i, value, true);
      return { bytes: out, what: `u32 at ${i} set to ${value}` };
    }
    default: {
      // A header spliced onto another body: one backup's salt and IV with the other's data.
      const i = pick(bytes.length);
      out.copyWithin(i, pick(bytes.length));
      return { bytes: out, what: `bytes moved to ${i}` };
    }
  }
}

function withWatchdog(promise, what) {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`importBackup hung (over ${HANG_MS} ms): ${what}`)),
        HANG_MS);
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

/**
 * Imports every mutation into `fu` and checks the contract for each; returns how many ended at
 * each kind of refusal.
 */
async function importMutations(fu, store, valid, count, headerBytes, options, next) {
  const users = await fu.users();
  const records = await store.getAll();
  const gallery = await fu.exportBackup();
  const refusals = new Map();
  for (let n = 0; n < count; n++) {
    let mutation;
    do {
      mutation = mutate(valid, headerBytes, next);
    } while (Buffer.compare(mutation.bytes, valid) === 0);  // e.g. a field set to its own value
    const { bytes, what } = mutation;
    const label = `mutation ${n} (seed ${SEED}): ${what}`;
    const error = await withWatchdog(fu.importBackup(bytes, options), label).then(
        () => assert.fail(`${label} was accepted`), (e) => e);
    if (!(error instanceof FaceUnlockError)) throw error;
    // A mutated embedder identity that still reads as one is refused as another embedder's.
    assert.ok(['backup', 'embedder-mismatch'].includes(error.code), `${label}: ${error.code}: ${error.message}`);
    const kind = error.message.replace(/:.*$/s, '');
    refusals.set(kind, (refusals.get(kind) ?? 0) + 1);
    assert.deepEqual(await fu.users(), users, `${label} changed the engine's users`);
    assert.deepEqual(await fu.exportBackup(), gallery, `${label} changed the engine's templates`);
    assert.deepEqual(await store.getAll(), records, `${label} changed the store`);
  }
  return refusals;
}

engineTest('fuzz: mutated backups are refused with a FaceUnlockError and change nothing', {},
    async (t) => {
      const next = random(SEED);
      const store = new MemoryStore();
      const fu = await FaceUnlock.create(await nodeOptions({ store }));
      t.after(() => fu.dispose());
      const { identity, dimension } = fu.embedder;
      await fu.importBackup(galleryFile(identity, dimension, [['alice', 2], ['bob', 1]], next));
      assert.equal((await store.getAll()).length, 2);

      // Other users than the instance holds, so an import that slipped through would show.
      const plain = galleryFile(identity, dimension, [['carol', 3], ['dave', 1]], next);
      const encrypted = await encryptBackup(plain, PASSPHRASE, ITERATIONS);
      const check = await FaceUnlock.create(await nodeOptions({ store: 'memory' }));
      t.after(() => check.dispose());
      assert.deepEqual(await check.importBackup(encrypted, { passphrase: PASSPHRASE }),
          { users: ['carol', 'dave'] }, 'the unmutated backup imports');

      const sealed = await importMutations(fu, store, encrypted, ENCRYPTED_MUTATIONS, 44,
          { passphrase: PASSPHRASE }, next);
      const open = await importMutations(fu, store, plain, PLAIN_MUTATIONS, 40, {}, next);
      t.diagnostic(`encrypted: ${JSON.stringify(Object.fromEntries(sealed))}`);
      t.diagnostic(`plain: ${JSON.stringify(Object.fromEntries(open))}`);
      // The mutations reached past the header checks into the decryption and into the engine's
      // gallery reader, not only the magic number.
      assert.ok(sealed.get('cannot decrypt the backup') > 0, 'some reached the decryption');
      assert.ok(sealed.get('cannot read the backup') > 0, 'some failed the header checks');
      assert.ok(open.get('cannot import the backup') > 0, 'some reached the gallery reader');
    });
