/**
 * @file The core served compressed, as scripts/serve.mjs and production hosts send it, in headless
 * Chromium: WebAssembly.compileStreaming accepts a brotli or gzip `application/wasm` response
 * (streaming compilation decodes as it goes; the library's fallback to compiling the whole
 * download is not needed), the browser's resource timing sees fewer bytes transferred than
 * decoded, and the loader module arrives compressed too.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startServer } from '../../scripts/serve.mjs';
import { findMissing, launch, repoRoot, skipOrFail } from './support.mjs';

const WASM = 'web/dist/faceunlock_core.wasm';
const LOADER = 'web/dist/faceunlock_core.mjs';

const skip = skipOrFail(await findMissing({ camera: false }));

let browser;
let profile;
const servers = [];

before(async () => {
  if (skip) return;
  profile = await mkdtemp(path.join(os.tmpdir(), 'faceunlock-compressed-'));
  browser = await launch(profile, null);
});

after(async () => {
  await browser?.context.close();
  for (const s of servers) s.server.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/**
 * Loads the core's .wasm and loader on a page of a server offering `encodings`, each request a
 * first one (no-store), and compiles the .wasm with compileStreaming only.
 */
async function loadCompressed(encodings) {
  const served = await startServer({ root: repoRoot, port: 0, encodings });
  servers.push(served);
  const { page } = browser;
  await page.goto(`http://127.0.0.1:${served.port}/README.md`);
  return page.evaluate(async ([wasm, loader]) => {
    const response = await fetch(`/${wasm}`, { cache: 'no-store' });
    const encoding = response.headers.get('content-encoding');
    const module = await WebAssembly.compileStreaming(response);
    const { default: createCore } = await import(`/${loader}`);
    const entry = (name) =>
      performance.getEntriesByName(new URL(`/${name}`, location.href).href)[0];
    const sizes = (e) => ({ transfer: e.transferSize, encoded: e.encodedBodySize,
      decoded: e.decodedBodySize });
    return {
      encoding,
      exports: WebAssembly.Module.exports(module).length,
      loaderType: typeof createCore,
      wasm: sizes(entry(wasm)),
      loader: sizes(entry(loader)),
    };
  }, [WASM, LOADER]);
}

test('compileStreaming takes the core sent with brotli or gzip; fewer bytes transferred',
    { skip }, async () => {
      const wasmBytes = statSync(path.join(repoRoot, WASM)).size;
      const loaderBytes = statSync(path.join(repoRoot, LOADER)).size;
      for (const [encodings, expected] of [[['br', 'gzip'], 'br'], [['gzip'], 'gzip'],
        [[], null]]) {
        const r = await loadCompressed(encodings);
        const label = encodings.join(',') || 'identity';
        assert.equal(r.encoding, expected, label);
        assert.ok(r.exports > 0, `${label}: the compiled module has exports`);
        assert.equal(r.loaderType, 'function', label);
        assert.equal(r.wasm.decoded, wasmBytes, label);
        assert.equal(r.loader.decoded, loaderBytes, label);
        if (expected) {
          // The core's code compresses to well under half (measured: brotli 28%, gzip 36%).
          assert.ok(r.wasm.encoded < wasmBytes / 2, `${label}: ${JSON.stringify(r.wasm)}`);
          assert.ok(r.loader.encoded < loaderBytes / 2, `${label}: ${JSON.stringify(r.loader)}`);
          assert.ok(r.wasm.transfer > r.wasm.encoded, `${label}: headers count in transferSize`);
        } else {
          assert.equal(r.wasm.encoded, wasmBytes, label);
        }
      }
    });
