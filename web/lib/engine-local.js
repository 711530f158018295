/**
 * @file The WebAssembly engine on the current thread (the page's, or a worker's). Everything
 * above it talks to an engine through this class's async methods, so the worker client can stand
 * in for it with the same shape. The caller says where the Emscripten loader comes from, so
 * that this file has no dynamic import (see worker.js).
 */

import { FaceUnlockError, messageOf } from './errors.js';

/**
 * @typedef {object} WasmOption
 * @property {Uint8Array | ArrayBuffer} [bytes] the faceunlock_core.wasm bytes
 * @property {string | URL} [url] where to fetch faceunlock_core.wasm
 * @property {(options: object) => Promise<any>} [factory] a createFaceUnlockCore function (a
 *     custom build); main thread only
 */

/**
 * @typedef {() => Promise<(options: object) => Promise<any>>} CoreImport gives the
 *     createFaceUnlockCore of web/dist/: core-import.js on the page (imported on demand), a
 *     static import in worker.js (a worker's module graph must not split, see worker.js)
 */

/**
 * @param {WasmOption} wasm
 * @param {CoreImport} importCore
 * @returns {Promise<any>} the Emscripten module
 */
async function loadCore(wasm, importCore) {
  const factory = wasm.factory ?? (await importCore());
  /** @type {Record<string, unknown>} */
  const options = {};
  if (wasm.bytes) options.wasmBinary = wasm.bytes;
  else if (wasm.url) {
    const url = String(wasm.url);
    options.locateFile = (/** @type {string} */ path, /** @type {string} */ prefix) =>
      (path.endsWith('.wasm') ? url : prefix + path);
  }
  try {
    return await factory(options);
  } catch (e) {
    const where = wasm.bytes ? '' : ` from ${wasm.url ? String(wasm.url) : 'its default URL'}`;
    throw new FaceUnlockError('load-failed', `cannot start the WebAssembly engine${where}: ` +
        `${messageOf(e)}. Check that faceunlock_core.wasm is served there (as application/wasm), ` +
        'or pass wasm: { url } or wasm: { bytes }', { cause: e });
  }
}

/**
 * Turns an engine exception into our Error type, keeping the C++ message (it says what failed).
 * @template T
 * @param {string} what
 * @param {() => T} fn
 * @returns {T}
 */
function call(what, fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FaceUnlockError) throw e;
    const x = /** @type {{code?: unknown, stored?: unknown, running?: unknown}} */ (e);
    if (x?.code === 'embedder-mismatch') {
      throw new FaceUnlockError('embedder-mismatch', `${what}: ${messageOf(e)}`,
          { cause: e, embedders: { stored: String(x.stored), running: String(x.running) } });
    }
    throw new FaceUnlockError('engine', `${what}: ${messageOf(e)}`, { cause: e });
  }
}

/**
 * Embind may hand back views of wasm memory, which the next call can overwrite or detach.
 * @param {ArrayLike<number>} x
 * @returns {Uint8Array}
 */
function copyBytes(x) {
  return new Uint8Array(/** @type {any} */ (x));
}

export class LocalEngine {
  /**
   * @param {{wasm?: WasmOption, detector: Uint8Array, embedder: Uint8Array}} options
   * @param {CoreImport} importCore where the engine's loader comes from (unless wasm.factory)
   * @returns {Promise<LocalEngine>}
   */
  static async create(options, importCore) {
    const core = await loadCore(options.wasm ?? {}, importCore);
    const engine = call('cannot load the models', () =>
      new core.Engine(options.detector, options.embedder));
    return new LocalEngine(core, engine);
  }

  /**
   * @param {any} core
   * @param {any} engine
   */
  constructor(core, engine) {
    this._core = core;
    this._engine = engine;
  }

  /** @returns {any} */
  _live() {
    if (!this._engine) throw new FaceUnlockError('disposed', 'the engine was disposed');
    return this._engine;
  }

  /**
   * @param {{width: number, height: number, data: ArrayLike<number>}} frame
   * @param {{embed?: boolean, match?: boolean, requireQuality?: boolean, threshold?: number}} options
   * @returns {Promise<any>} the engine's processFrame result, embedding copied out of wasm memory
   */
  async process(frame, options) {
    const engine = this._live();
    return call('cannot process the frame', () => {
      // Taken anew for every frame: memory growth detaches earlier views.
      engine.frameView(frame.width, frame.height).set(frame.data);
      const r = engine.processFrame(frame.width, frame.height, options);
      if (r.embedding) r.embedding = new Float32Array(r.embedding);
      return r;
    });
  }

  /**
   * @param {string} user
   * @param {Float32Array} embedding
   * @returns {Promise<number>}
   */
  async addTemplate(user, embedding) {
    return call(`cannot add a template for '${user}'`, () => this._live().addTemplate(user, embedding));
  }

  /** @returns {Promise<{user: string, templates: number}[]>} */
  async users() {
    return call('cannot list users', () => this._live().users());
  }

  /**
   * @param {string} user
   * @returns {Promise<boolean>}
   */
  async removeUser(user) {
    return call(`cannot remove '${user}'`, () => this._live().removeUser(user));
  }

  /**
   * @param {string} user
   * @returns {Promise<Uint8Array>}
   */
  async exportUser(user) {
    return call(`cannot export '${user}'`, () => copyBytes(this._live().exportUser(user)));
  }

  /**
   * @param {Uint8Array} bytes
   * @returns {Promise<string>} the user's name
   */
  async importUser(bytes) {
    return call('cannot import a user', () => this._live().importUser(bytes));
  }

  /** @returns {Promise<Uint8Array>} */
  async exportGallery() {
    return call('cannot export the gallery', () => copyBytes(this._live().exportGallery()));
  }

  /** @param {Uint8Array} bytes */
  async importGallery(bytes) {
    call('cannot import the gallery', () => this._live().importGallery(bytes));
  }

  /**
   * The embedder this engine runs; its identity is what galleries record (docs/gallery-format.md).
   * @returns {Promise<{name: string, identity: string, dimension: number}>}
   */
  async embedder() {
    return call('cannot read the embedder', () => ({ ...this._live().embedder() }));
  }

  /** @returns {Promise<Record<string, number>>} */
  async thresholds() {
    return call('cannot read the thresholds', () => ({ ...this._live().thresholds() }));
  }

  /**
   * Starts an unlock attempt in the engine's session (src/unlock/unlock_session.h).
   * @returns {Promise<any>} the session's update
   */
  async beginUnlock() {
    return call('cannot start unlocking', () => this._live().beginUnlock());
  }

  /**
   * One frame of the running attempt.
   * @param {{width: number, height: number, data: ArrayLike<number>}} frame
   * @returns {Promise<any>} {faces, chosen, quality, timings, update}
   */
  async unlockFrame(frame) {
    const engine = this._live();
    return call('cannot process the frame', () => {
      engine.frameView(frame.width, frame.height).set(frame.data);
      return engine.unlockFrame(frame.width, frame.height);
    });
  }

  /** @returns {Promise<any>} the session's final update */
  async endUnlock() {
    return call('cannot end unlocking', () => this._live().endUnlock());
  }

  /** @returns {Promise<{name: string, falseAcceptRate: number, threshold: number}[]>} */
  async securityLevels() {
    return call('cannot list the security levels', () => this._live().securityLevels());
  }

  /**
   * @param {string} level
   * @returns {Promise<{level: string, threshold: number}>} what the session uses now
   */
  async setSecurityLevel(level) {
    const engine = this._live();
    return call(`cannot choose security level '${level}'`, () => {
      engine.setSecurityLevel(level);
      return { level: engine.securityLevel(), threshold: engine.threshold() };
    });
  }

  /** @param {object} options see Engine.setLiveness (docs/engine-api.md) */
  async setLiveness(options) {
    call('cannot set the liveness options', () => this._live().setLiveness(options));
  }

  /** @returns {Promise<string[]>} */
  async nextTurns() {
    return call('cannot plan the challenge', () => [...this._live().nextTurns()]);
  }

  /** @param {object | null} policy */
  async setLockout(policy) {
    call('cannot set the lockout', () => this._live().setLockout(policy));
  }

  /** @returns {Promise<{locked: boolean, retryAfterMs: number, failures: number}>} */
  async lockoutStatus() {
    return call('cannot read the lockout', () => this._live().lockoutStatus());
  }

  /** @returns {Promise<object | null>} the state to persist */
  async lockoutState() {
    return call('cannot read the lockout', () => this._live().lockoutState());
  }

  /**
   * @param {unknown} saved
   * @returns {Promise<boolean>} whether it was adopted
   */
  async restoreLockout(saved) {
    return call('cannot restore the lockout', () => this._live().restoreLockout(saved));
  }

  async resetFusion() {
    call('cannot reset fusion', () => this._live().resetFusion());
  }

  /**
   * @param {number} required
   * @param {number} window
   */
  async setFusion(required, window) {
    call('cannot set fusion', () => this._live().setFusion(required, window));
  }

  async dispose() {
    // Embind objects are not garbage-collected: without delete() the models stay in wasm memory.
    this._engine?.delete();
    this._engine = null;
    this._core = null;
  }
}
