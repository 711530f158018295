/**
 * @file Loads the built faceunlock_core module in Node, for the tests and the benchmark.
 *
 * The module is built for web and worker only (see wasm/CMakeLists.txt), so Node gets the wasm
 * bytes handed over as `wasmBinary` instead of letting the loader fetch them by URL, which Node's
 * global fetch cannot do for a file path.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file lives in <root>/wasm/). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where faceunlock_core.mjs and .wasm are: $FACEUNLOCK_WASM_DIR, else <root>/build-wasm/wasm.
 * @return {string}
 */
export function coreBuildDir() {
  return process.env.FACEUNLOCK_WASM_DIR || path.join(repoRoot, 'build-wasm', 'wasm');
}

/**
 * @param {string} dir
 * @return {Promise<?string>} null when both files exist, else what is missing and how to build it
 */
export async function findMissingCore(dir = coreBuildDir()) {
  for (const name of ['faceunlock_core.mjs', 'faceunlock_core.wasm']) {
    try {
      await access(path.join(dir, name));
    } catch {
      return `${path.join(dir, name)} is missing: build the wasm core first (see wasm/README.md)` +
          ' or point FACEUNLOCK_WASM_DIR at a build';
    }
  }
  return null;
}

/**
 * Instantiates a fresh module; each call gets its own memory.
 * @param {string} dir
 * @return {Promise<!Object>} the module object with the API listed in wasm/README.md
 */
export async function loadCore(dir = coreBuildDir()) {
  const { default: createFaceUnlockCore } =
      await import(pathToFileURL(path.join(dir, 'faceunlock_core.mjs')).href);
  const wasmBinary = await readFile(path.join(dir, 'faceunlock_core.wasm'));
  return createFaceUnlockCore({ wasmBinary });
}
