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
 * @typedef {object} Threading what runs the engine (FaceUnlock.threading)
 * @property {number} threads the threads each network runs on
 * @property {'faceunlock_core' | 'faceunlock_core_mt'} core
 * @property {string | null} reason why fewer threads run than were asked for, or null
 */

/**
 * Starts the multi-threaded core from its loader's URL. The import is left to the browser at run
 * time (bundlers are told to ignore it: the package may not hold the file, see assets.js).
 * @param {string} url
 * @returns {Promise<any>} the Emscripten module
 */
async function loadMtCore(url) {
  const loader = await import(/* @vite-ignore */ /* webpackIgnore: true */ url);
  return loader.default({});
}

/**
 * The multi-threaded core when asked for and possible, else the single-threaded one.
 * @param {{wasm?: WasmOption, mtLoader?: string}} options
 * @param {number} requested threads
 * @param {CoreImport} importCore
 * @returns {Promise<{core: any, reason: string | null}>} reason: why the multi-threaded core
 *     does not run, or null
 */
async function startCore(options, requested, importCore) {
  let reason = null;
  if (requested > 1 && options.mtLoader) {
    try {
      return { core: await loadMtCore(options.mtLoader), reason };
    } catch (e) {
      reason = `the multi-threaded core did not start from ${options.mtLoader}: ${messageOf(e)}`;
    }
  }
  return { core: await loadCore(options.wasm ?? {}, importCore), reason };
}

/**
 * Compiles the .wasm from a download already under way. Compilation follows the download as it
 * streams in; a server that does not label the file application/wasm makes streaming refuse it,
 * and then the bytes are compiled once complete, as Emscripten's loader does.
 * @param {Promise<Response>} download
 * @returns {Promise<WebAssembly.Module>}
 */
async function compileDownload(download) {
  const response = await download;
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  if (typeof WebAssembly.compileStreaming !== 'function') {
    return WebAssembly.compile(await response.arrayBuffer());
  }
  const spare = response.clone();
  try {
    return await WebAssembly.compileStreaming(response);
  } catch (e) {
    // A wrong Content-Type is a TypeError; a broken file is a CompileError, which the bytes
    // would not mend.
    if (!(e instanceof TypeError)) throw e;
    return WebAssembly.compile(await spare.arrayBuffer());
  }
}

/**
 * Starts a single-threaded core (also the benchmark page's way, web/bench/bench.js).
 * @param {WasmOption} wasm
 * @param {CoreImport} importCore
 * @returns {Promise<any>} the Emscripten module
 */
export async function loadCore(wasm, importCore) {
  /** @type {Record<string, unknown>} */
  const options = {};
  // Set when the .wasm download fails: the loader itself would only log that and never settle.
  /** @type {Promise<never>} */
  let failed = new Promise(() => {});
  if (wasm.bytes) options.wasmBinary = wasm.bytes;
  else if (wasm.url) {
    const url = String(wasm.url);
    options.locateFile = (/** @type {string} */ path, /** @type {string} */ prefix) =>
      (path.endsWith('.wasm') ? url : prefix + path);
    if (typeof fetch === 'function' && !wasm.factory) {
      // The download and its compilation start now rather than once the loader is imported and
      // evaluated: on a first visit the core compiles while the loader and the models arrive.
      const compiled = compileDownload(fetch(url, { credentials: 'same-origin' }));
      compiled.catch(() => {});  // reported through `failed` once the loader asks for it
      failed = new Promise((_, reject) => {
        options.instantiateWasm = (/** @type {WebAssembly.Imports} */ imports,
            /** @type {(i: WebAssembly.Instance, m: WebAssembly.Module) => void} */ receive) => {
          compiled.then((module) => WebAssembly.instantiate(module, imports)
              .then((instance) => receive(instance, module))).catch(reject);
          return {};
        };
      });
    }
  }
  try {
    const factory = wasm.factory ?? (await importCore());
    return await Promise.race([factory(options), failed]);
  } catch (e) {
    if (e instanceof FaceUnlockError) throw e;
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
   * With `threads` above 1 and `mtLoader` (the caller checked crossOriginIsolated), the
   * multi-threaded core runs the engine; when it cannot start, the single-threaded one does, and
   * `threading.reason` says why.
   * The models may still be downloading: the core loads meanwhile. With `landmarks` (the
   * 68-point landmark model's bytes) its points align faces and feed the liveness challenge.
   * @param {{wasm?: WasmOption, detector: Uint8Array | Promise<Uint8Array>,
   *   embedder: Uint8Array | Promise<Uint8Array>,
   *   landmarks?: Uint8Array | Promise<Uint8Array | undefined>, threads?: number,
   *   mtLoader?: string}} options
   * @param {CoreImport} importCore where the engine's loader comes from (unless wasm.factory)
   * @returns {Promise<LocalEngine>}
   */
  static async create(options, importCore) {
    const requested = options.threads ?? 1;
    const [started, detector, embedder, landmarks] = await Promise.all([
      startCore(options, requested, importCore), options.detector, options.embedder,
      options.landmarks]);
    const { core } = started;
    let { reason } = started;
    // A custom build from before threads (wasm.factory) has neither maxThreads nor the options.
    const most = typeof core.maxThreads === 'function' ? core.maxThreads() : 1;
    if (requested > most && !reason) {
      reason = most === 1 ? 'the single-threaded core runs' :
        `the multi-threaded core runs at most ${most} threads`;
    }
    const threads = Math.min(requested, most);
    /** @type {{threads?: number, landmarks?: Uint8Array}} */
    const engineOptions = {};
    if (threads > 1) engineOptions.threads = threads;
    if (landmarks) engineOptions.landmarks = landmarks;
    const engine = call('cannot load the models', () => (Object.keys(engineOptions).length ?
      new core.Engine(detector, embedder, engineOptions) : new core.Engine(detector, embedder)));
    // A custom build from before the landmark path (wasm.factory) ignores the option: refuse it
    // rather than run the detector's keypoints while the page believes otherwise.
    if (landmarks && (typeof engine.keypoints !== 'function' || engine.keypoints() !== 'landmarks-68')) {
      engine.delete();
      throw new FaceUnlockError('load-failed', 'cannot load the landmark model: this WebAssembly ' +
          'core does not take one (a build from before the landmark path); rebuild it with ' +
          '`bash scripts/build.sh`, or pass models: { landmarks: null }');
    }
    /** @type {Threading} */
    const threading = { threads,
      core: most > 1 ? 'faceunlock_core_mt' : 'faceunlock_core', reason };
    return new LocalEngine(core, engine, threading);
  }

  /**
   * @param {any} core
   * @param {any} engine
   * @param {Threading} [threading]
   */
  constructor(core, engine, threading = { threads: 1, core: 'faceunlock_core', reason: null }) {
    this._core = core;
    this._engine = engine;
    /** @type {Threading} */
    this.threading = threading;
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
   * @returns {Promise<{name: string, identity: string, dimension: number, templates: string}>}
   */
  async embedder() {
    return call('cannot read the embedder', () => ({ ...this._live().embedder() }));
  }

  /**
   * Where the keypoints that align faces and that the liveness challenge measures come from.
   * @returns {Promise<'detector' | 'landmarks-68'>}
   */
  async keypoints() {
    // A custom build from before the landmark path has only the detector's.
    return call('cannot read the keypoint source', () => {
      const engine = this._live();
      return typeof engine.keypoints === 'function' ? engine.keypoints() : 'detector';
    });
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
