/**
 * @file faceunlock: face unlock for the web, on the device. Types and documentation: index.d.ts.
 */

export { FaceUnlock } from './lib/faceunlock.js';
export { FaceUnlockError } from './lib/errors.js';
export { IndexedDBStore } from './lib/store-indexeddb.js';
export { MemoryStore } from './lib/store-memory.js';
