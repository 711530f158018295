/**
 * @file The engine on the page's own thread: CoreEngine with the Emscripten loader imported on
 * demand, so a page that runs the engine in a worker never downloads the loader twice.
 */

import { CoreEngine } from './engine-core.js';
import { FaceUnlockError, messageOf } from './errors.js';

/** @returns {Promise<(options: object) => Promise<any>>} createFaceUnlockCore */
async function importCore() {
  try {
    // A literal specifier, so bundlers include the loader (and, through it, find the .wasm).
    return (await import('../dist/faceunlock_core.mjs')).default;
  } catch (e) {
    throw new FaceUnlockError('load-failed', 'cannot load the WebAssembly engine ' +
        `(web/dist/faceunlock_core.mjs): ${messageOf(e)}. In a checkout, build it with ` +
        '`bash scripts/build.sh`', { cause: e });
  }
}

export class LocalEngine extends CoreEngine {
  /**
   * @param {{wasm?: import('./engine-core.js').WasmOption, detector: Uint8Array,
   *   embedder: Uint8Array}} options
   * @returns {Promise<LocalEngine>}
   */
  static async create(options) {
    const factory = options.wasm?.factory ?? (await importCore());
    return LocalEngine.start(factory, options);
  }
}
