/**
 * @file The page's way to the Emscripten loader (web/dist/faceunlock_core.mjs): imported on
 * demand, so a page that runs the engine in a worker never loads it on its own thread. Only the
 * page imports this file; the worker imports the loader statically (see worker.js).
 */

import { FaceUnlockError, messageOf } from './errors.js';

/** @returns {Promise<(options: object) => Promise<any>>} createFaceUnlockCore */
export async function importCore() {
  try {
    // A literal specifier, so bundlers include the loader (and, through it, find the .wasm).
    return (await import('../dist/faceunlock_core.mjs')).default;
  } catch (e) {
    throw new FaceUnlockError('load-failed', 'cannot load the WebAssembly engine ' +
        `(web/dist/faceunlock_core.mjs): ${messageOf(e)}. In a checkout, build it with ` +
        '`bash scripts/build.sh`', { cause: e });
  }
}
