/**
 * @file Shared set-up for the library's Node tests: the built engine and models as bytes (Node's
 * fetch cannot read file: URLs), LFW photos decoded by the engine's own decoder, and the rule
 * for a missing build: skip locally with the reason, fail on CI (CI=true) where it must exist.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const distDir = path.join(repoRoot, 'web', 'dist');
export const lfwDir = path.resolve(repoRoot, '..', 'shared', 'data', 'lfw');

async function exists(p) {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

const distMissing = (await exists(path.join(distDir, 'faceunlock_core.wasm'))) &&
    (await exists(path.join(distDir, 'faceunlock_core.mjs'))) ? null :
  `${distDir} has no faceunlock_core.mjs/.wasm: run \`bash scripts/build.sh\``;
const lfwMissing = (await exists(lfwDir)) ? null : `${lfwDir} is absent: no photos to test with`;

/**
 * A test that needs the engine (and, with `photos`, LFW). Skipped with the reason when they are
 * missing, except that a missing engine build fails on CI.
 * @param {string} name
 * @param {{photos?: boolean}} needs
 * @param {(t: import('node:test').TestContext) => Promise<void>} fn
 */
export function engineTest(name, needs, fn) {
  if (distMissing && process.env.CI === 'true') {
    test(name, () => { throw new Error(`CI=true but ${distMissing}`); });
    return;
  }
  const skip = distMissing ?? (needs.photos ? lfwMissing : null);
  test(name, skip ? { skip } : {}, fn);
}

let assets;
/** @returns {Promise<{wasm: Uint8Array, detector: Uint8Array, embedder: Uint8Array, core: any}>} */
export async function engineAssets() {
  assets ??= (async () => {
    const wasm = await readFile(path.join(distDir, 'faceunlock_core.wasm'));
    const { default: createCore } =
        await import(pathToFileURL(path.join(distDir, 'faceunlock_core.mjs')).href);
    return {
      wasm,
      detector: await readFile(path.join(repoRoot, 'models', 'blazeface-short.fum')),
      embedder: await readFile(path.join(repoRoot, 'models', 'dlib-resnet.fum')),
      // A separate instance only for decoding photos, as a page would use the browser's decoder.
      core: await createCore({ wasmBinary: wasm }),
    };
  })();
  return assets;
}

/**
 * FaceUnlock.create options for Node: everything as bytes.
 * @param {object} [extra]
 */
export async function nodeOptions(extra = {}) {
  const a = await engineAssets();
  return { wasm: { bytes: a.wasm }, models: { detector: a.detector, embedder: a.embedder }, ...extra };
}

/**
 * nodeOptions with `models` (bytes) put in place of or beside the default ones.
 * @param {object} models e.g. {embedder: bytes} or {landmarks: bytes}
 * @param {object} [extra]
 */
export async function nodeOptionsWithModels(models, extra = {}) {
  const options = await nodeOptions(extra);
  return { ...options, models: { ...options.models, ...models } };
}

/**
 * FaceUnlock.create(options), disposed when the test `t` ends.
 * @param {import('node:test').TestContext} t
 * @param {object} options
 */
export async function createdFor(t, options) {
  const { FaceUnlock } = await import('../../web/index.js');
  const fu = await FaceUnlock.create(options);
  t.after(() => fu.dispose());
  return fu;
}

/**
 * An LFW photo as a RawFrame, e.g. photo('Colin_Powell', 1).
 * @param {string} person
 * @param {number} n
 * @returns {Promise<{width: number, height: number, data: Uint8Array}>}
 */
export async function photo(person, n) {
  const { core } = await engineAssets();
  const file = path.join(lfwDir, person, `${person}_${String(n).padStart(4, '0')}.jpg`);
  const d = core.decodeImage(await readFile(file));
  return { width: d.width, height: d.height, data: new Uint8Array(d.rgba) };
}
