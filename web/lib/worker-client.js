/**
 * @file The page's side of worker.js: an object with LocalEngine's async methods that forwards
 * each call as a message.
 */

import { IN_VITE_DEPS, devServerFile } from './assets.js';
import { FaceUnlockError } from './errors.js';

export class WorkerEngine {
  /**
   * Starts the worker and loads the engine in it.
   * @param {{wasm?: {bytes?: Uint8Array, url?: string | URL, factory?: unknown},
   *   detector: Uint8Array, embedder: Uint8Array, landmarks?: Uint8Array, threads?: number,
   *   mtLoader?: string}} options
   * @param {any} [port] a Worker or MessagePort already serving worker.js (tests); default: a
   *     new module worker
   * @returns {Promise<WorkerEngine>}
   */
  static async create(options, port) {
    if (options.wasm?.factory) {
      throw new FaceUnlockError('invalid-argument', 'wasm.factory cannot be used with worker: ' +
          'true (functions cannot be sent to a worker); pass wasm.url or wasm.bytes');
    }
    if (!port) {
      if (typeof Worker !== 'function') {
        throw new FaceUnlockError('worker', 'Web Workers are not available here; use worker: false');
      }
      try {
        // The literal form lets bundlers find and emit the worker as its own entry; Vite's dev
        // server cannot (see IN_VITE_DEPS) and serves the package's own file instead.
        port = IN_VITE_DEPS ? new Worker(devServerFile('web/lib/worker.js'), { type: 'module' }) :
          new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      } catch (e) {
        throw new FaceUnlockError('worker', `cannot start the engine worker: ${e}`, { cause: e });
      }
    }
    const client = new WorkerEngine(port);
    const wasm = options.wasm?.url ? { url: String(options.wasm.url) } : { bytes: options.wasm?.bytes };
    try {
      client.threading = await client._call('init', [{ wasm, detector: options.detector,
        embedder: options.embedder, landmarks: options.landmarks, threads: options.threads,
        mtLoader: options.mtLoader }]);
    } catch (e) {
      client._terminate();
      throw e;
    }
    return client;
  }

  /** @param {any} port */
  constructor(port) {
    /** @type {import('./engine-local.js').Threading} */
    this.threading = { threads: 1, core: 'faceunlock_core', reason: null };
    this._port = port;
    this._nextId = 1;
    /** @type {Map<number, {resolve: Function, reject: Function}>} */
    this._pending = new Map();
    port.addEventListener('message', (/** @type {MessageEvent} */ event) => this._onMessage(event.data));
    // A Worker that fails to load its script (wrong MIME type, CSP, 404) only says so here.
    port.addEventListener('error', (/** @type {ErrorEvent} */ event) => {
      this._failAll(new FaceUnlockError('worker', 'the engine worker failed: ' +
          `${event.message || 'it could not be loaded (check that web/lib/worker.js is served ' +
          'as JavaScript and allowed by the Content-Security-Policy worker-src)'}`));
    });
    port.start?.();
  }

  /** @param {any} data */
  _onMessage(data) {
    const pending = this._pending.get(data?.id);
    if (!pending) return;
    this._pending.delete(data.id);
    if (data.ok) pending.resolve(data.value);
    else {
      pending.reject(new FaceUnlockError(data.error.code, data.error.message,
          { embedders: data.error.embedders }));
    }
  }

  /** @param {Error} error */
  _failAll(error) {
    for (const p of this._pending.values()) p.reject(error);
    this._pending.clear();
  }

  /**
   * @param {string} op
   * @param {unknown[]} args
   * @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  _call(op, args, transfer = []) {
    if (!this._port) return Promise.reject(new FaceUnlockError('disposed', 'the engine was disposed'));
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._port.postMessage({ id, op, args }, transfer);
    });
  }

  /**
   * @param {{width: number, height: number, data: Uint8Array | Uint8ClampedArray, owned?: boolean}} frame
   * @param {object} options
   */
  process(frame, options) {
    const plain = { width: frame.width, height: frame.height, data: frame.data };
    // Move our own pixel buffers; copy the caller's (moving would empty their ImageData).
    return this._call('process', [plain, options], frame.owned ? [frame.data.buffer] : []);
  }

  /**
   * @param {string} user
   * @param {Float32Array} embedding
   */
  addTemplate(user, embedding) { return this._call('addTemplate', [user, embedding]); }
  users() { return this._call('users', []); }
  /** @param {string} user */
  removeUser(user) { return this._call('removeUser', [user]); }
  /** @param {string} user */
  exportUser(user) { return this._call('exportUser', [user]); }
  /** @param {Uint8Array} bytes */
  importUser(bytes) { return this._call('importUser', [bytes]); }
  exportGallery() { return this._call('exportGallery', []); }
  /** @param {Uint8Array} bytes */
  importGallery(bytes) { return this._call('importGallery', [bytes]); }
  embedder() { return this._call('embedder', []); }
  keypoints() { return this._call('keypoints', []); }
  thresholds() { return this._call('thresholds', []); }
  resetFusion() { return this._call('resetFusion', []); }
  beginUnlock() { return this._call('beginUnlock', []); }
  /** @param {{width: number, height: number, data: Uint8Array | Uint8ClampedArray, owned?: boolean}} frame */
  unlockFrame(frame) {
    const plain = { width: frame.width, height: frame.height, data: frame.data };
    return this._call('unlockFrame', [plain], frame.owned ? [frame.data.buffer] : []);
  }
  endUnlock() { return this._call('endUnlock', []); }
  securityLevels() { return this._call('securityLevels', []); }
  /** @param {string} level */
  setSecurityLevel(level) { return this._call('setSecurityLevel', [level]); }
  /** @param {object} options */
  setLiveness(options) { return this._call('setLiveness', [options]); }
  nextTurns() { return this._call('nextTurns', []); }
  /** @param {object | null} policy */
  setLockout(policy) { return this._call('setLockout', [policy]); }
  lockoutStatus() { return this._call('lockoutStatus', []); }
  lockoutState() { return this._call('lockoutState', []); }
  /** @param {unknown} saved */
  restoreLockout(saved) { return this._call('restoreLockout', [saved]); }
  /**
   * @param {number} required
   * @param {number} window
   */
  setFusion(required, window) { return this._call('setFusion', [required, window]); }

  async dispose() {
    try {
      await this._call('dispose', []);
    } finally {
      this._terminate();
    }
  }

  _terminate() {
    this._failAll(new FaceUnlockError('disposed', 'the engine was disposed'));
    this._port?.terminate?.();
    this._port?.close?.();
    this._port = null;
  }
}
