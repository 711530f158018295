/**
 * @file The WebAssembly engine on the current thread (the page's, or a worker's). Everything
 * above it talks to an engine through this class's async methods, so the worker client can stand
 * in for it with the same shape.
 */

import { FaceUnlockError, messageOf } from './errors.js';

/**
 * @typedef {object} WasmOption
 * @property {Uint8Array | ArrayBuffer} [bytes] the faceunlock_core.wasm bytes (needed in Node)
 * @property {string | URL} [url] where to fetch faceunlock_core.wasm (default: beside the .mjs)
 * @property {(options: object) => Promise<any>} [factory] a createFaceUnlockCore function (a
 *     custom build); main thread only
 */

/**
 * @param {WasmOption} wasm
 * @returns {Promise<any>} the Emscripten module
 */
async function loadCore(wasm) {
  let factory = wasm.factory;
  if (!factory) {
    try {
      // A literal specifier, so bundlers include the glue and its .wasm next to it.
      factory = (await import('../dist/faceunlock_core.mjs')).default;
    } catch (e) {
      throw new FaceUnlockError('load-failed', 'cannot load the WebAssembly engine ' +
          `(web/dist/faceunlock_core.mjs): ${messageOf(e)}. In a checkout, build it with ` +
          '`bash scripts/build.sh`', { cause: e });
    }
  }
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
    const inNode = typeof process === 'object' && !!process.versions?.node;
    throw new FaceUnlockError('load-failed', `cannot start the WebAssembly engine: ${messageOf(e)}` +
        (inNode && !wasm.bytes ? '. In Node pass the bytes: wasm: { bytes: await ' +
          "readFile('node_modules/faceunlock/web/dist/faceunlock_core.wasm') }" : ''),
    { cause: e });
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
   * @returns {Promise<LocalEngine>}
   */
  static async create(options) {
    const core = await loadCore(options.wasm ?? {});
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

  /** @returns {Promise<Record<string, number>>} */
  async thresholds() {
    return call('cannot read the thresholds', () => ({ ...this._live().thresholds() }));
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
