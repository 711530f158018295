/**
 * @file Fetching the binary assets (models, the .wasm) from whatever the caller gave: bytes, or
 * a URL. The default model URLs are built with `new URL('...', import.meta.url)` so that bundlers
 * (Vite, webpack 5, Parcel) see them, copy the files and rewrite the URLs.
 */

import { FaceUnlockError, messageOf } from './errors.js';

/** The models shipped in the package's models/ folder (two levels above this file). */
export const DEFAULT_MODELS = Object.freeze({
  detector: new URL('../../models/blazeface-short.fum', import.meta.url),
  embedder: new URL('../../models/dlib-resnet.fum', import.meta.url),
});

/**
 * @param {unknown} x
 * @returns {x is string | URL}
 */
export function isUrlLike(x) {
  return typeof x === 'string' || (typeof URL === 'function' && x instanceof URL);
}

/**
 * @param {unknown} x
 * @returns {Uint8Array | null} the bytes when `x` already holds them
 */
export function asBytes(x) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  return null;
}

/**
 * @param {string} what e.g. "the detector model"
 * @param {unknown} input bytes or a URL
 * @returns {Promise<Uint8Array>}
 */
export async function loadBytes(what, input) {
  const bytes = asBytes(input);
  if (bytes) return bytes;
  if (!isUrlLike(input)) {
    throw new FaceUnlockError('invalid-argument',
        `cannot load ${what}: expected a URL, a string, an ArrayBuffer or a Uint8Array`);
  }
  const url = String(input);
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    const inNode = typeof process === 'object' && !!process.versions?.node;
    const advice = inNode && url.startsWith('file:') ?
      ' (Node cannot fetch file: URLs; read the file and pass its bytes instead)' : '';
    throw new FaceUnlockError('load-failed', `cannot load ${what} from ${url}: ${messageOf(e)}` +
        advice, { cause: e });
  }
  if (!response.ok) {
    throw new FaceUnlockError('load-failed', `cannot load ${what} from ${url}: HTTP ` +
        `${response.status} ${response.statusText}; check that the file is served at that URL`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
