/**
 * @file The engine inside a Web Worker, so detection and embedding (tens of milliseconds per
 * frame) never stall the page. Started by worker-client.js; pixels arrive as transferred RGBA
 * buffers, so nothing is copied between threads.
 *
 * Protocol (both directions are plain structured-clone messages):
 *   page -> worker  { id, op, args }          op: 'init' or a LocalEngine method name
 *   worker -> page  { id, ok: true, value }   or { id, ok: false, error: {message, code} }
 * 'init' must come first; its args are [{ wasm: {bytes?, url?}, detector, embedder, landmarks?,
 * threads?, mtLoader? }] and it answers with the engine's threading (engine-local.js).
 */

// Static imports only: a worker whose module graph splits into chunks cannot be emitted as a
// classic script, which is what Vite builds workers as by default.
import createFaceUnlockCore from '../dist/faceunlock_core.mjs';
import { LocalEngine } from './engine-local.js';
import { FaceUnlockError, messageOf } from './errors.js';

/** Methods the page may call; anything else is refused rather than looked up on the object. */
const OPS = new Set(['process', 'addTemplate', 'users', 'removeUser', 'exportUser', 'importUser',
  'exportGallery', 'importGallery', 'embedder', 'keypoints', 'thresholds', 'resetFusion',
  'setFusion', 'dispose', 'beginUnlock', 'unlockFrame', 'endUnlock', 'securityLevels',
  'setSecurityLevel', 'setLiveness', 'nextTurns', 'setLockout', 'lockoutStatus', 'lockoutState',
  'restoreLockout']);

/**
 * Buffers the reply owns outright, moved instead of copied.
 * @param {unknown} value
 * @returns {Transferable[]}
 */
function transferablesOf(value) {
  if (value instanceof Uint8Array) return [value.buffer];
  const embedding = /** @type {any} */ (value)?.embedding;
  if (embedding instanceof Float32Array) return [embedding.buffer];
  return [];
}

/**
 * Answers engine requests arriving on `port` (the worker's global scope, or a MessagePort).
 * @param {{postMessage: Function, addEventListener: Function, start?: Function}} port
 */
export function serveEngine(port) {
  /** @type {Promise<LocalEngine> | null} */
  let engine = null;
  // One at a time, in arrival order: the engine is not re-entrant and fusion depends on order.
  let queue = Promise.resolve();

  port.addEventListener('message', (/** @type {MessageEvent} */ event) => {
    const { id, op, args } = event.data ?? {};
    queue = queue.then(async () => {
      try {
        let value;
        if (op === 'init') {
          engine = LocalEngine.create(args[0], async () => createFaceUnlockCore);
          value = (await engine).threading;
        } else if (!OPS.has(op)) {
          throw new FaceUnlockError('worker', `unknown engine operation '${op}'`);
        } else if (!engine) {
          throw new FaceUnlockError('worker', 'the engine worker was not initialised');
        } else {
          const e = /** @type {any} */ (await engine);
          value = await e[op](...args);
        }
        port.postMessage({ id, ok: true, value }, transferablesOf(value));
      } catch (e) {
        const code = e instanceof FaceUnlockError ? e.code : 'engine';
        const embedders = e instanceof FaceUnlockError ? e.embedders : undefined;
        port.postMessage({ id, ok: false, error: { message: messageOf(e), code, embedders } });
      }
    });
  });
  port.start?.();
}

// Started as a worker: serve the global scope. Imported anywhere else (tests): do nothing.
if (typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope) {
  serveEngine(/** @type {any} */ (globalThis));
}
