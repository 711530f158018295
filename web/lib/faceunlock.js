/**
 * @file The FaceUnlock class: enrollment, unlock, users and backups on top of an engine (on this
 * thread or in a worker) and a template store. The engine holds the working gallery in wasm
 * memory; the store holds each user's templates encrypted, and is written before a change is
 * reported as done, so what the page sees and what survives a reload stay the same.
 */

import {
  DEFAULT_MT_LOADER, asBytes, findDamagedModel, isUrlLike, loadModels, resolveWasm,
} from './assets.js';
import {
  decryptBackup, decryptRecord, encryptBackup, encryptRecord, isEncryptedBackup,
} from './crypto.js';
import { importCore } from './core-import.js';
import { LocalEngine } from './engine-local.js';
import { FaceUnlockError, messageOf, storeError } from './errors.js';
import { DEFAULT_MAX_SIDE, FrameReader, nextFrame } from './frame-source.js';
import { lockoutOptions } from './lockout.js';
import { IndexedDBStore } from './store-indexeddb.js';
import { MemoryStore } from './store-memory.js';
import { WorkerEngine } from './worker-client.js';

const DEFAULT_LEVEL = '1e-3';
const STORE_METHODS = ['open', 'getKey', 'getAll', 'put', 'delete', 'replaceAll', 'close'];
const MAX_ID_BYTES = 128; // the gallery format's limit on names
const MAX_TEMPLATES = 32; // the gallery keeps at most this many per user
const LOCKOUT_META = 'lockout'; // the store meta entry holding the engine's lockout state

/**
 * The shipped embedders' model names (their `name` metadata) and the `embedder` option that
 * loads each, to tell a user whose templates another one made how to load it.
 * tests/web/embedder-mismatch.test.mjs checks these against models/.
 */
const SHIPPED_EMBEDDERS = Object.freeze({
  'dlib-resnet': 'accurate', 'dlib-resnet-int8': 'accurate', 'dlib-resnet-pruned': 'fast',
});

/** Lets only create() call the constructor, which cannot be async. */
const CREATE_TOKEN = Symbol('FaceUnlock.create');

const utf8 = new TextEncoder();

/**
 * @param {string} id
 * @param {string} call e.g. "enroll"
 */
function checkUserId(id, call) {
  if (typeof id !== 'string' || id.length === 0) {
    throw new FaceUnlockError('invalid-argument', `${call}(): the user id must be a non-empty string`);
  }
  if (utf8.encode(id).length > MAX_ID_BYTES) {
    throw new FaceUnlockError('invalid-argument',
        `${call}('${id.slice(0, 20)}…'): the user id must be at most ${MAX_ID_BYTES} bytes of UTF-8`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id) || id.isWellFormed?.() === false) {
    throw new FaceUnlockError('invalid-argument', `${call}(): the user id contains control ` +
        'characters or unpaired surrogates; use a printable name or an opaque id such as a UUID');
  }
}

/**
 * @param {unknown} store
 * @returns {any}
 */
function resolveStore(store) {
  if (store === undefined || store === 'indexeddb') return new IndexedDBStore();
  if (store === 'memory') return new MemoryStore();
  if (store && typeof store === 'object') {
    const missing = STORE_METHODS.filter((m) => typeof (/** @type {any} */ (store))[m] !== 'function');
    if (missing.length === 0) return store;
    throw new FaceUnlockError('invalid-argument',
        `the custom store lacks the methods ${missing.join(', ')} (see TemplateStore in index.d.ts)`);
  }
  throw new FaceUnlockError('invalid-argument',
      `unknown store ${JSON.stringify(store)}: use 'indexeddb', 'memory' or a TemplateStore object`);
}

/**
 * Frame coordinates back to the source's (frames may have been scaled down).
 * @param {any} face
 * @param {number} scale
 */
function mapFace(face, scale) {
  if (!face) return null;
  const s = 1 / scale;
  return {
    box: /** @type {number[]} */ (face.box).map((v) => v * s),
    score: face.score,
    keypoints: /** @type {number[][]} */ (face.keypoints).map(([x, y]) => [x * s, y * s]),
  };
}

/**
 * @param {any} quality
 * @param {number} scale
 */
function mapQuality(quality, scale) {
  return quality ? { ...quality, faceSize: quality.faceSize / scale } : null;
}

/**
 * A seed for the challenge's turn order that the page cannot predict: 53 random bits.
 * @returns {number}
 */
function randomSeed() {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (words[0] & 0x1fffff) * 2 ** 32 + words[1];
}

/**
 * The `liveness` option as the engine's setLiveness() takes it; the engine checks the values.
 * @param {unknown} option
 * @returns {Record<string, unknown>}
 */
function livenessOptions(option) {
  if (option === undefined || option === false) return { enabled: false };
  if (option === true) return { enabled: true, seed: randomSeed() };
  if (option && typeof option === 'object') {
    const o = /** @type {Record<string, unknown>} */ (option);
    return { ...o, enabled: o.enabled ?? true, seed: o.seed ?? randomSeed() };
  }
  throw new FaceUnlockError('invalid-argument',
      'liveness must be true, false or an object { turnMs, seed, ... } (see LivenessOptions)');
}

/**
 * The model name of an embedder identity ("<name>@<weights CRC>").
 * @param {string} identity
 */
function modelName(identity) {
  const at = identity.lastIndexOf('@');
  return at < 0 ? identity : identity.slice(0, at);
}

/**
 * The keypoints a templates identity names (docs/gallery-format.md): "<embedder identity>" for
 * the detector's, "<embedder identity>+<keypoints>" for others (src/unlock/embedder_identity.h).
 * @param {string} identity
 * @returns {{embedder: string, keypoints: string}}
 */
function splitTemplatesIdentity(identity) {
  const plus = identity.lastIndexOf('+');
  if (plus < 0 || plus < identity.lastIndexOf('@')) return { embedder: identity, keypoints: 'detector' };
  return { embedder: identity.slice(0, plus), keypoints: identity.slice(plus + 1) };
}

/** @param {string} keypoints */
function keypointsText(keypoints) {
  if (keypoints === 'detector') return "the face detector's keypoints (no landmark model)";
  if (keypoints === 'landmarks-68') return 'the 68-point landmarks (the landmark model)';
  return `the keypoints '${keypoints}'`;
}

/**
 * The engine's refusal of templates another embedder made, or made on faces aligned on other
 * keypoints, said in terms of this library's options; other errors pass through.
 * @param {unknown} e
 * @param {string} what e.g. "cannot load stored user 'alice'"
 * @param {string} redo what re-enrolling means there, e.g. "remove the user and enroll again"
 * @param {string} [userId]
 */
function asMismatchError(e, what, redo, userId) {
  if (!(e instanceof FaceUnlockError) || e.code !== 'embedder-mismatch' || !e.embedders) return e;
  const { stored, running } = e.embedders;
  const was = splitTemplatesIdentity(stored);
  const now = splitTemplatesIdentity(running);
  if (stored && was.embedder === now.embedder && was.keypoints !== now.keypoints) {
    const advice = was.keypoints === 'landmarks-68' ?
      'create it with liveness on (or models: { landmarks } set to face-landmarks-68.fum)' :
      'create it with models: { landmarks: null } (or without liveness)';
    return new FaceUnlockError('keypoints-mismatch', `${what}: these templates were enrolled on ` +
        `faces aligned on ${keypointsText(was.keypoints)}; this instance aligns on ` +
        `${keypointsText(now.keypoints)}, and templates match only frames aligned as they were: ` +
        `${advice}, or ${redo}`,
    { cause: e, userId, embedders: e.embedders,
      keypoints: { stored: was.keypoints, running: now.keypoints } });
  }
  const made = stored ? `model '${modelName(stored)}' (${stored})` :
    'an embedder the templates do not name (saved before templates recorded it)';
  const choice = /** @type {Record<string, string>} */ (SHIPPED_EMBEDDERS)[modelName(stored)];
  let advice;
  if (stored && modelName(stored) === modelName(running)) {
    advice = `${redo}: they come from another version of the same model, whose embeddings differ`;
  } else if (choice) {
    advice = `create it with { embedder: '${choice}' }, or ${redo}`;
  } else if (stored) {
    advice = `create it with models: { embedder } set to model '${modelName(stored)}', or ${redo}`;
  } else {
    advice = redo;
  }
  return new FaceUnlockError('embedder-mismatch', `${what}: these templates were made by ` +
      `${made}; this instance runs '${modelName(running)}' (${running}): ${advice}`,
  { cause: e, userId, embedders: e.embedders });
}

/**
 * An engine error about an option the caller gave, as invalid-argument.
 * @param {unknown} e
 */
function asArgumentError(e) {
  return e instanceof FaceUnlockError && e.code === 'engine' ?
    new FaceUnlockError('invalid-argument', e.message, { cause: e }) : e;
}

/**
 * The engine session's update as unlock()'s result.
 * @param {any} u
 * @returns {import('../index.js').UnlockResult}
 */
function unlockResult(u) {
  /** @type {import('../index.js').UnlockResult} */
  const result = { unlocked: u.status === 'unlocked', user: u.status === 'unlocked' ? u.user : null,
    score: u.score, reason: u.reason, hint: u.hint };
  if (u.reason === 'locked-out') result.retryAfterMs = u.retryAfterMs;
  return result;
}

/** Most threads the `threads` option accepts (the multi-threaded core runs at most 4 today). */
const MAX_THREADS = 64;

/**
 * The `threads` option and which core may serve it: the multi-threaded one only where the page
 * is cross-origin isolated (COOP/COEP headers) and no custom single core (wasm.bytes, factory)
 * was given; otherwise one thread, with the reason.
 * @param {unknown} threads
 * @param {{bytes?: unknown, factory?: unknown, mtUrl?: unknown} | undefined} wasm
 * @returns {{requested: number, mtLoader?: string, reason: string | null}}
 */
function threadChoice(threads, wasm) {
  const requested = threads ?? 1;
  if (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 1 ||
      requested > MAX_THREADS) {
    throw new FaceUnlockError('invalid-argument', `threads must be a whole number from 1 to ` +
        `${MAX_THREADS}, got ${String(threads)}`);
  }
  if (wasm?.mtUrl !== undefined && !isUrlLike(wasm.mtUrl)) {
    throw new FaceUnlockError('invalid-argument', 'wasm.mtUrl must be a string or a URL');
  }
  if (requested === 1) return { requested, reason: null };
  if (globalThis.crossOriginIsolated !== true) {
    return { requested, reason: 'the page is not cross-origin isolated (serve it with ' +
        'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)' };
  }
  if (wasm?.mtUrl === undefined && (wasm?.bytes !== undefined || wasm?.factory !== undefined)) {
    return { requested, reason: 'wasm.bytes or wasm.factory names a single-threaded core; pass ' +
        'wasm.mtUrl for the multi-threaded one' };
  }
  return { requested, mtLoader: String(wasm?.mtUrl ?? DEFAULT_MT_LOADER), reason: null };
}

/**
 * Checks the options object of `call` and its callbacks, so that a typo fails at once rather
 * than with a TypeError in the middle of a camera loop.
 * @param {unknown} options
 * @param {string} call
 * @param {string[]} callbacks option names that must be functions when given
 */
function checkCallOptions(options, call, callbacks) {
  if (options === null || typeof options !== 'object') {
    throw new FaceUnlockError('invalid-argument', `${call}(): options must be an object, got ` +
        `${options === null ? 'null' : typeof options}`);
  }
  const o = /** @type {Record<string, unknown>} */ (options);
  for (const name of callbacks) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new FaceUnlockError('invalid-argument', `${call}(): ${name} must be a function`);
    }
  }
  const signal = /** @type {any} */ (o.signal);
  if (signal !== undefined && typeof signal?.aborted !== 'boolean') {
    throw new FaceUnlockError('invalid-argument', `${call}(): signal must be an AbortSignal`);
  }
}

/**
 * Checks a backup passphrase option before any work.
 * @param {unknown} passphrase
 * @param {string} call
 */
function checkPassphrase(passphrase, call) {
  if (passphrase !== undefined && (typeof passphrase !== 'string' || passphrase.length === 0)) {
    throw new FaceUnlockError('invalid-argument',
        `${call}(): the backup passphrase must be a non-empty string`);
  }
}

/**
 * Rejects after `ms` or when `signal` aborts; both checked between frames, so a frame in
 * flight finishes first (the engine cannot be interrupted mid-call).
 */
class Deadline {
  /**
   * @param {number} ms
   * @param {AbortSignal | undefined} signal
   * @param {string} call
   */
  constructor(ms, signal, call) {
    if (!(ms > 0)) {
      throw new FaceUnlockError('invalid-argument', `${call}(): timeoutMs must be a positive number`);
    }
    this.end = Date.now() + ms;
    this.signal = signal;
    this.call = call;
  }

  get expired() { return Date.now() >= this.end; }

  throwIfAborted() {
    if (this.signal?.aborted) {
      throw new FaceUnlockError('aborted', `${this.call}() was aborted`, { cause: this.signal.reason });
    }
  }
}

export class FaceUnlock {
  /**
   * Loads the engine and the models, opens the store and loads every stored user. Users whose
   * records cannot be read are skipped and listed in `loadErrors` (and passed to onStoreError).
   * @param {import('../index.js').FaceUnlockOptions} [options]
   * @returns {Promise<FaceUnlock>}
   */
  static async create(options = {}) {
    const level = options.securityLevel ?? DEFAULT_LEVEL;
    const lockout = lockoutOptions(options.lockout);
    const liveness = livenessOptions(options.liveness);
    const store = resolveStore(options.store);
    const reader = new FrameReader(options.maxFrameSide ?? DEFAULT_MAX_SIDE);
    const choice = threadChoice(options.threads, options.wasm);
    // The challenge measures the head's turn far better on the 68 landmarks than on the
    // detector's six keypoints (src/unlock/README.md), so liveness brings them unless told not to.
    const models = loadModels(options.models, options.onProgress, options.embedder,
        liveness.enabled === true);
    const wasm = resolveWasm(options.wasm);
    // The engine's core downloads and compiles while the models download; a worker gets
    // everything in one message.
    const creating = options.worker ?
      Promise.all([models, wasm]).then(([[detector, embedder, landmarks], wasmOption]) =>
        WorkerEngine.create({ wasm: wasmOption, detector, embedder, landmarks,
          threads: choice.requested, mtLoader: choice.mtLoader })) :
      wasm.then((wasmOption) => LocalEngine.create({ wasm: wasmOption,
        detector: models.then((m) => m[0]), embedder: models.then((m) => m[1]),
        landmarks: models.then((m) => m[2]), threads: choice.requested,
        mtLoader: choice.mtLoader }, importCore));
    // A failure of `models` is reported through `creating`, even when `wasm` failed first.
    models.catch(() => {});
    const [created, opened] = await Promise.allSettled([creating, store.open()]);
    if (created.status === 'rejected' || opened.status === 'rejected') {
      if (created.status === 'fulfilled') await created.value.dispose().catch(() => {});
      if (opened.status === 'fulfilled') await store.close();
      if (created.status === 'rejected') {
        // The models' CRC-32 is the engine's to check; a file it refused for that is named here.
        throw (await models.then(findDamagedModel, () => null)) ?? created.reason;
      }
      throw /** @type {PromiseRejectedResult} */ (opened).reason;
    }
    const engine = created.value;
    try {
      if (options.fusion) {
        await engine.setFusion(options.fusion.required, options.fusion.window)
            .catch((e) => { throw asArgumentError(e); });
      }
      await engine.setLockout(lockout);
      await engine.setLiveness(liveness).catch((e) => { throw asArgumentError(e); });
      const thresholds = await engine.thresholds();
      const embedder = await engine.embedder();
      const keypoints = await engine.keypoints();
      const threading = { requested: choice.requested, ...engine.threading };
      threading.reason = choice.reason ?? engine.threading.reason;
      const fu = new FaceUnlock(CREATE_TOKEN,
          { engine, store, reader, thresholds, embedder, keypoints, lockout, options, threading });
      await fu.setSecurityLevel(level);
      await fu._loadUsers();
      await fu._syncLockout();
      return fu;
    } catch (e) {
      await engine.dispose().catch(() => {});
      await store.close();
      throw e;
    }
  }

  /**
   * @param {symbol} token
   * @param {{engine: any, store: any, reader: FrameReader, thresholds: Record<string, number>,
   *   embedder: {name: string, identity: string, dimension: number, templates: string},
   *   keypoints: 'detector' | 'landmarks-68',
   *   lockout: {maxAttempts: number, lockMs: number, maxLockMs: number} | null, options: any,
   *   threading: {requested: number, threads: number, core: string, reason: string | null}}} parts
   */
  constructor(token, parts) {
    if (token !== CREATE_TOKEN) {
      throw new FaceUnlockError('invalid-argument', 'use `await FaceUnlock.create(options)`, ' +
          'not `new FaceUnlock()`: creating loads the engine and models asynchronously');
    }
    this._engine = parts.engine;
    this._store = parts.store;
    this._reader = parts.reader;
    /** @type {Record<string, number>} */
    this._thresholds = parts.thresholds;
    this._embedder = parts.embedder;
    this._keypoints = parts.keypoints;
    this._threading = parts.threading;
    /** @type {((error: FaceUnlockError) => void) | undefined} */
    this._onStoreError = parts.options.onStoreError;
    /** @type {CryptoKey | null} */
    this._key = null;
    /** @type {Map<string, {createdAt: number, updatedAt: number}>} */
    this._meta = new Map();
    /** @type {FaceUnlockError[]} */
    this._loadErrors = [];
    /** @type {string | null} the running enroll/unlock/importBackup, which share the fusion state */
    this._session = null;
    this._disposed = false;
    /** @type {string} */
    this._level = DEFAULT_LEVEL;
    /** @type {number | undefined} */
    this._threshold = undefined;
    this._lockoutOn = parts.lockout !== null;
    /** The engine's lockout status and when it was read, counted down by lockoutState(). */
    this._lock = { locked: false, retryAfterMs: 0, failures: 0, at: 0 };
    // Custom stores predating getMeta/putMeta still work; their lockout just lasts one page load.
    this._storeHasMeta = typeof this._store.getMeta === 'function' &&
        typeof this._store.putMeta === 'function';
  }

  /** Errors of stored users that could not be loaded (each has `userId`); those users are skipped. */
  get loadErrors() { return [...this._loadErrors]; }

  /** The current security level, by its false-accept rate ('1e-3', '1e-4', '2e-5'). */
  get securityLevel() { return this._level; }

  /** The similarity a face must reach at the current level (cosine, 0..1). */
  get threshold() { return this._threshold; }

  /**
   * The embedder this instance runs: its model name, its identity ("<name>@<weights CRC>"), its
   * embedding size, and the identity every stored user and backup of this instance records
   * (`templates`: the embedder's identity, followed by "+landmarks-68" with the landmark model).
   * @returns {{name: string, identity: string, dimension: number, templates: string}}
   */
  get embedder() { return { ...this._embedder }; }

  /**
   * Where the keypoints that align faces (for enrollment and unlock alike) and that the liveness
   * challenge measures come from: 'landmarks-68' when created with a landmark model, else
   * 'detector'. Stored users and backups record it; those of the other source are refused with
   * code 'keypoints-mismatch'.
   * @returns {'detector' | 'landmarks-68'}
   */
  get keypoints() { return this._keypoints; }

  /**
   * What runs the engine: the threads asked for and running, the core, and why fewer run than
   * asked (not isolated, no multi-threaded core, its limit), or null.
   * @returns {import('../index.js').Threading}
   */
  get threading() { return { ...this._threading }; }

  /**
   * The model's calibrated thresholds (engine.thresholds()).
   * @returns {Record<string, number>}
   */
  get thresholds() { return { ...this._thresholds }; }

  async _loadUsers() {
    this._key = await this._store.getKey();
    const records = await this._store.getAll();
    for (const record of records) {
      try {
        const bytes = await decryptRecord(/** @type {CryptoKey} */ (this._key), record);
        let name;
        try {
          name = await this._engine.importUser(bytes);
        } catch (e) {
          const mismatch = asMismatchError(e, `cannot load stored user '${record.id}'`,
              'remove the user and enroll again', record.id);
          if (mismatch !== e) throw mismatch;
          throw new FaceUnlockError('corrupt-record', `cannot load stored user '${record.id}': ` +
              `the engine rejected its templates (${messageOf(e)}). Remove the user and enroll again`,
          { cause: e, userId: record.id });
        }
        if (name !== record.id) {
          await this._engine.removeUser(name);
          throw new FaceUnlockError('corrupt-record', `cannot load stored user '${record.id}': ` +
              `its templates belong to '${name}'`, { userId: record.id });
        }
        this._meta.set(record.id, { createdAt: record.createdAt, updatedAt: record.updatedAt });
      } catch (e) {
        const error = e instanceof FaceUnlockError ? e :
          new FaceUnlockError('corrupt-record', `cannot load stored user '${record.id}': ` +
            messageOf(e), { cause: e, userId: record.id });
        this._loadErrors.push(error);
        // A throwing callback must not stop the other users from loading.
        try {
          this._onStoreError?.(error);
        } catch (callbackError) {
          console.error('faceunlock: onStoreError threw', callbackError);
        }
      }
    }
  }

  /**
   * Hands the stored lockout state to the engine, which keeps the policy: on create (so a reload
   * does not forgive failures) and before each unlock (another tab of the same site may have
   * recorded some). A store that fails or holds garbage leaves the state as it is: the
   * bookkeeping must never lock the owner out of the library itself.
   */
  async _syncLockout() {
    if (this._lockoutOn && this._storeHasMeta) {
      try {
        await this._engine.restoreLockout(await this._store.getMeta(LOCKOUT_META));
      } catch (e) {
        console.warn('faceunlock: cannot read the lockout state; keeping this page\'s own', e);
      }
    }
    await this._readLockout();
  }

  async _saveLockout() {
    await this._readLockout();
    if (!this._lockoutOn || !this._storeHasMeta) return;
    try {
      await this._store.putMeta(LOCKOUT_META, await this._engine.lockoutState());
    } catch (e) {
      console.warn('faceunlock: cannot save the lockout state; it lasts until this page unloads', e);
    }
  }

  async _readLockout() {
    this._lock = { ...(await this._engine.lockoutStatus()), at: Date.now() };
  }

  /**
   * Whether unlock() is refused for now after too many failed attempts, for how long, and the
   * failed attempts since the last successful unlock. As of this instance's last unlock():
   * attempts made in other tabs show up after its next one.
   * @returns {{locked: boolean, retryAfterMs: number, failures: number}}
   */
  lockoutState() {
    const retryAfterMs = Math.max(0, this._lock.retryAfterMs - (Date.now() - this._lock.at));
    return { locked: retryAfterMs > 0, retryAfterMs, failures: this._lock.failures };
  }

  _checkAlive() {
    if (this._disposed) {
      throw new FaceUnlockError('disposed', 'this FaceUnlock was disposed; create a new one');
    }
  }

  /**
   * @param {string} call
   * @returns {() => void} release
   */
  _begin(call) {
    this._checkAlive();
    if (this._session) {
      throw new FaceUnlockError('busy', `cannot start ${call}(): ${this._session}() is still ` +
          'running on this FaceUnlock; await it (or abort it with its signal) first');
    }
    this._session = call;
    return () => { this._session = null; };
  }

  /**
   * Chooses the threshold by false-accept rate: '1e-3' (default), '1e-4' or '2e-5' (as far as
   * the model is calibrated for it), or the aliases 'balanced' (1e-3) and 'strict' (1e-4);
   * 'convenience', once the model's own looser threshold, now means 1e-3 too.
   * @param {string} level
   */
  async setSecurityLevel(level) {
    this._checkAlive();
    if (typeof level !== 'string') {
      throw new FaceUnlockError('invalid-argument', 'setSecurityLevel(): the level must be a string ' +
          "such as '1e-3', '1e-4' or '2e-5'");
    }
    if (this._session) {
      throw new FaceUnlockError('busy', `cannot change the security level: ${this._session}() ` +
          'is running on this FaceUnlock; await it first');
    }
    const chosen = await this._engine.setSecurityLevel(level).catch((e) => { throw asArgumentError(e); });
    this._level = chosen.level;
    this._threshold = chosen.threshold;
  }

  /**
   * Turns the head-turn liveness challenge on or off, or changes its options (as the `liveness`
   * option of create()).
   * @param {boolean | import('../index.js').LivenessOptions} option
   */
  async setLiveness(option) {
    this._checkAlive();
    if (this._session) {
      throw new FaceUnlockError('busy', `cannot change liveness: ${this._session}() is running ` +
          'on this FaceUnlock; await it first');
    }
    await this._engine.setLiveness(livenessOptions(option)).catch((e) => { throw asArgumentError(e); });
  }

  /**
   * One frame: every face with its box and keypoints (source pixels), and the quality of the
   * most prominent one. For drawing overlays and guidance; does not touch enrollment or unlock.
   * @param {unknown} source
   */
  async analyze(source) {
    this._checkAlive();
    const frame = await this._reader.read(source);
    if (!frame) return { faces: [], chosen: -1, quality: null, hint: 'waiting for the camera', timings: null };
    const r = await this._engine.process(frame, { embed: false, match: false, requireQuality: false })
        .finally(() => this._reader.release(frame));
    return {
      faces: r.faces.map((/** @type {any} */ f) => mapFace(f, frame.scale)),
      chosen: r.chosen,
      quality: mapQuality(r.quality, frame.scale),
      hint: r.chosen < 0 ? 'look at the camera' : r.quality?.hint ?? '',
      timings: r.timings,
    };
  }

  /**
   * @param {string} id
   * @param {unknown} source
   * @param {import('../index.js').EnrollOptions} [options]
   */
  async enroll(id, source, options = {}) {
    checkUserId(id, 'enroll');
    checkCallOptions(options, 'enroll', ['onProgress']);
    const needed = options.frames ?? 5;
    if (!Number.isInteger(needed) || needed < 1 || needed > MAX_TEMPLATES) {
      throw new FaceUnlockError('invalid-argument',
          `enroll(): frames must be an integer from 1 to ${MAX_TEMPLATES}, got ${needed}`);
    }
    const isVideo = typeof HTMLVideoElement === 'function' && source instanceof HTMLVideoElement;
    // Spread the templates over time on live video so they capture small changes of pose and
    // expression; five copies of one instant add nothing.
    const intervalMs = options.intervalMs ?? (isVideo ? 200 : 0);
    const deadline = new Deadline(options.timeoutMs ?? 30000, options.signal, 'enroll');
    const release = this._begin('enroll');
    try {
      /** @type {Float32Array[]} */
      const collected = [];
      let hint = 'waiting for the camera';
      let lastCollected = -Infinity;
      while (collected.length < needed) {
        this._checkAlive();
        deadline.throwIfAborted();
        if (deadline.expired) {
          throw new FaceUnlockError('timeout', `enroll('${id}') timed out with ` +
              `${collected.length} of ${needed} good frames; last hint: "${hint}"`);
        }
        const frame = await this._reader.read(source);
        if (frame) {
          const r = await this._engine.process(frame,
              { embed: true, match: false, requireQuality: true })
              .finally(() => this._reader.release(frame));
          const face = r.chosen >= 0 ? mapFace(r.faces[r.chosen], frame.scale) : null;
          const quality = face ? mapQuality(r.quality, frame.scale) : null;
          const now = Date.now();
          let counted = false;
          if (!face) hint = 'look at the camera';
          else if (!r.embedding) hint = quality?.hint || 'hold still';
          else if (now - lastCollected >= intervalMs) {
            collected.push(r.embedding);
            lastCollected = now;
            counted = true;
            hint = collected.length < needed ? 'hold still' : 'done';
          }
          options.onProgress?.({
            collected: collected.length, needed, hint, counted,
            issue: !face ? 'no-face' : (quality?.issue ?? 'ok'), quality, face,
          });
        }
        if (collected.length < needed) await nextFrame(source);
      }
      return await this._commitEnrollment(id, collected, options.replace === true);
    } finally {
      release();
    }
  }

  /**
   * Adds the templates and persists the user; on a store failure the engine's gallery goes back
   * to what it was, so the page never unlocks a user that would vanish on reload.
   * @param {string} id
   * @param {Float32Array[]} embeddings
   * @param {boolean} replace
   */
  async _commitEnrollment(id, embeddings, replace) {
    const existed = (await this._engine.users()).some((/** @type {any} */ u) => u.user === id);
    const previous = existed ? await this._engine.exportUser(id) : null;
    try {
      if (replace && existed) await this._engine.removeUser(id);
      let templates = 0;
      for (const e of embeddings) templates = await this._engine.addTemplate(id, e);
      await this._persist(id);
      return { user: id, templates };
    } catch (e) {
      await this._engine.removeUser(id).catch(() => {});
      if (previous) await this._engine.importUser(previous).catch(() => {});
      throw e;
    }
  }

  /** @param {string} id */
  async _persist(id) {
    const plain = await this._engine.exportUser(id);
    const sealed = await encryptRecord(/** @type {CryptoKey} */ (this._key), id, plain);
    const now = Date.now();
    const createdAt = this._meta.get(id)?.createdAt ?? now;
    try {
      await this._store.put({ id, ...sealed, createdAt, updatedAt: now });
    } catch (e) {
      throw storeError(`cannot save user '${id}'`, e, id);
    }
    this._meta.set(id, { createdAt, updatedAt: now });
    this._loadErrors = this._loadErrors.filter((x) => x.userId !== id);
  }

  /**
   * @param {unknown} source
   * @param {import('../index.js').UnlockOptions} [options]
   * @returns {Promise<import('../index.js').UnlockResult>}
   */
  async unlock(source, options = {}) {
    checkCallOptions(options, 'unlock', ['onFrame']);
    const deadline = new Deadline(options.timeoutMs ?? 5000, options.signal, 'unlock');
    const release = this._begin('unlock');
    try {
      await this._syncLockout();
      // Every decision is the engine's (src/unlock/unlock_session.h): this loop only feeds it
      // camera frames, keeps its lockout state in the store and reports its updates.
      const begun = await this._engine.beginUnlock();
      if (begun.status !== 'running') return unlockResult(begun);
      while (!deadline.expired) {
        this._checkAlive();
        deadline.throwIfAborted();
        const frame = await this._reader.read(source);
        if (frame) {
          const r = await this._engine.unlockFrame(frame).finally(() => this._reader.release(frame));
          const u = r.update;
          if (u.lockoutChanged) await this._saveLockout();
          const face = r.chosen >= 0 ? mapFace(r.faces[r.chosen], frame.scale) : null;
          options.onFrame?.({ face, quality: face ? mapQuality(r.quality, frame.scale) : null,
            match: u.match, fused: u.fused, challenge: u.challenge, hint: u.hint });
          if (u.status !== 'running') return unlockResult(u);
        }
        await nextFrame(source);
      }
      const end = await this._engine.endUnlock();
      if (end.lockoutChanged) await this._saveLockout();
      return unlockResult(end);
    } finally {
      release();
    }
  }

  /** @returns {Promise<import('../index.js').UserInfo[]>} */
  async users() {
    this._checkAlive();
    const list = await this._engine.users();
    return list.map((/** @type {any} */ u) => ({
      id: u.user, templates: u.templates,
      createdAt: this._meta.get(u.user)?.createdAt ?? null,
      updatedAt: this._meta.get(u.user)?.updatedAt ?? null,
    }));
  }

  /**
   * Removes a user from the store and the engine; also removes a stored user that failed to load.
   * @param {string} id
   * @returns {Promise<boolean>} whether there was such a user
   */
  async removeUser(id) {
    this._checkAlive();
    checkUserId(id, 'removeUser');
    let stored;
    // Store first: if it fails the user stays everywhere, rather than unlocking until a reload.
    try {
      stored = await this._store.delete(id);
    } catch (e) {
      throw storeError(`cannot remove user '${id}'`, e, id);
    }
    const loaded = await this._engine.removeUser(id);
    this._meta.delete(id);
    this._loadErrors = this._loadErrors.filter((x) => x.userId !== id);
    return Boolean(stored) || loaded;
  }

  /**
   * Every user's templates in one gallery file (docs/gallery-format.md). Without a passphrase
   * the bytes are NOT encrypted: templates are biometric data, so treat them like a password
   * database, or pass `passphrase`.
   * @param {{passphrase?: string}} [options]
   * @returns {Promise<Uint8Array>}
   */
  async exportBackup(options = {}) {
    this._checkAlive();
    checkCallOptions(options, 'exportBackup', []);
    checkPassphrase(options.passphrase, 'exportBackup');
    const gallery = await this._engine.exportGallery();
    if (options.passphrase === undefined) return gallery;
    return encryptBackup(gallery, options.passphrase);
  }

  /**
   * Replaces every user with those in a backup from exportBackup(), in the engine and the store
   * (one transaction: all or nothing).
   * @param {Uint8Array | ArrayBuffer} backup
   * @param {{passphrase?: string}} [options]
   * @returns {Promise<{users: string[]}>}
   */
  async importBackup(backup, options = {}) {
    checkCallOptions(options, 'importBackup', []);
    checkPassphrase(options.passphrase, 'importBackup');
    let bytes;
    try {
      // Our own copy: the caller's buffer may change, or be transferred, while this awaits.
      bytes = asBytes(backup)?.slice() ?? null;
    } catch (e) {
      throw new FaceUnlockError('invalid-argument', 'importBackup(): the backup\'s ArrayBuffer is ' +
          'detached (transferred to a worker?); pass bytes this page still owns', { cause: e });
    }
    if (!bytes) {
      throw new FaceUnlockError('invalid-argument', 'importBackup(): expected a Uint8Array or ArrayBuffer');
    }
    if (isEncryptedBackup(bytes)) {
      if (options.passphrase === undefined) {
        throw new FaceUnlockError('backup', 'this backup is encrypted: pass { passphrase }');
      }
      bytes = await decryptBackup(bytes, options.passphrase);
    }
    const release = this._begin('importBackup');
    try {
      const previous = await this._engine.exportGallery();
      try {
        await this._engine.importGallery(bytes);
      } catch (e) {
        const mismatch = asMismatchError(e, 'cannot import the backup', 'enroll the users again');
        if (mismatch !== e) throw mismatch;
        throw new FaceUnlockError('backup', `cannot import the backup: ${messageOf(e)}`, { cause: e });
      }
      try {
        const now = Date.now();
        const ids = (await this._engine.users()).map((/** @type {any} */ u) => u.user);
        const records = [];
        for (const id of ids) {
          const sealed = await encryptRecord(/** @type {CryptoKey} */ (this._key), id,
              await this._engine.exportUser(id));
          records.push({ id, ...sealed, createdAt: this._meta.get(id)?.createdAt ?? now, updatedAt: now });
        }
        try {
          await this._store.replaceAll(records);
        } catch (e) {
          throw storeError('cannot save the imported users', e);
        }
        this._meta = new Map(records.map((r) => [r.id, { createdAt: r.createdAt, updatedAt: r.updatedAt }]));
        this._loadErrors = [];
        return { users: ids };
      } catch (e) {
        await this._engine.importGallery(previous).catch(() => {});
        throw e;
      }
    } finally {
      release();
    }
  }

  /** Frees the engine (and its worker) and closes the store. Safe to call twice. */
  async dispose() {
    if (this._disposed) return;
    this._disposed = true;
    try {
      await this._engine.dispose();
    } finally {
      await this._store.close();
    }
  }
}
