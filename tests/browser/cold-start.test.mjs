/**
 * @file How FaceUnlock.create loads on a page, in headless Chromium: the .wasm download starts
 * without waiting for the engine's loader module, and the loader without waiting for the models,
 * so a first visit pays their round trips side by side rather than one after another. Also the
 * fallbacks: a server that labels the .wasm with the wrong type still works, and a missing .wasm
 * is a clear 'load-failed' error rather than a page that never gets ready.
 *
 * The order is shown without timing: the test server holds back the loader until the .wasm has
 * been asked for, and the models until the loader has; a library that waited would be released
 * only by the hold's time limit, which the test reports as a failure.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { findMissing, launch, repoRoot, skipOrFail } from './support.mjs';

const LOADER = '/web/dist/faceunlock_core.mjs';
const WASM = '/web/dist/faceunlock_core.wasm';
const PAGE = '/cold-start.html';
// Long enough that only a library that never asks for the awaited file hits it.
const HOLD_LIMIT_MS = 15_000;

const skip = skipOrFail(await findMissing({ camera: false }));

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

/**
 * The repository over HTTP, with a log of request paths in arrival order and these knobs:
 * `holds` maps a path prefix to the path whose request releases it; `wasmType` and `wasmStatus`
 * change how the .wasm is answered.
 */
function startTestServer() {
  const state = { log: [], holds: new Map(), released: new Map(), wasmType: TYPES['.wasm'],
    wasmStatus: 200 };
  const waiting = new Map();  // awaited path -> resolvers
  const arrived = new Set();

  function holdFor(awaited) {
    if (arrived.has(awaited)) return Promise.resolve('request');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('time limit'), HOLD_LIMIT_MS);
      const list = waiting.get(awaited) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve('request');
      });
      waiting.set(awaited, list);
    });
  }

  const server = createServer(async (request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    state.log.push(urlPath);
    arrived.add(urlPath);
    for (const resolve of waiting.get(urlPath) ?? []) resolve();
    waiting.delete(urlPath);
    if (urlPath === PAGE) {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">');
      return;
    }
    for (const [prefix, awaited] of state.holds) {
      if (urlPath.startsWith(prefix)) state.released.set(urlPath, await holdFor(awaited));
    }
    const file = path.join(repoRoot, urlPath);
    const info = file.startsWith(repoRoot + path.sep) ? await stat(file).catch(() => null) : null;
    if (!info?.isFile() || (urlPath === WASM && state.wasmStatus !== 200)) {
      response.writeHead(urlPath === WASM ? state.wasmStatus : 404).end();
      return;
    }
    const type = urlPath === WASM ? state.wasmType : TYPES[path.extname(file)];
    response.writeHead(200, { 'Content-Type': type ?? 'application/octet-stream',
      'Content-Length': info.size, 'Cache-Control': 'no-store' });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    state.origin = `http://127.0.0.1:${server.address().port}`;
    state.close = () => new Promise((done) => server.close(done));
    state.reset = () => {
      state.log.length = 0;
      state.holds.clear();
      state.released.clear();
      state.wasmType = TYPES['.wasm'];
      state.wasmStatus = 200;
      arrived.clear();
    };
    resolve(state);
  }));
}

let server;
let browser;
let profile;

before(async () => {
  if (skip) return;
  server = await startTestServer();
  profile = await mkdtemp(path.join(os.tmpdir(), 'faceunlock-cold-'));
  browser = await launch(profile, null);
});

after(async () => {
  await browser?.context.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/**
 * A fresh page runs FaceUnlock.create({ store: 'memory', embedder: 'fast' }).
 * @returns {Promise<{ok: boolean, code?: string, message?: string, dimension?: number}>}
 */
async function createOnFreshPage() {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${server.origin}${PAGE}`);
    return await page.evaluate(async () => {
      const { FaceUnlock } = await import('/web/index.js');
      try {
        const fu = await FaceUnlock.create({ store: 'memory', embedder: 'fast' });
        const dimension = fu.embedder.dimension;
        await fu.dispose();
        return { ok: true, dimension };
      } catch (e) {
        return { ok: false, code: e.code, message: String(e.message) };
      }
    });
  } finally {
    await page.close();
  }
}

const count = (file) => server.log.filter((p) => p === file).length;

test('the .wasm and the loader download side by side, and both beside the models',
    { skip }, async () => {
      server.reset();
      server.holds.set(LOADER, WASM);
      server.holds.set('/models/', LOADER);
      const result = await createOnFreshPage();
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.ok(result.dimension > 0);
      assert.equal(server.released.get(LOADER), 'request',
          `the loader was held until the hold's limit: the .wasm was asked for only after it ` +
          `(requests: ${server.log.join(', ')})`);
      const models = [...server.released].filter(([p]) => p.startsWith('/models/'));
      assert.equal(models.length, 2, `requests: ${server.log.join(', ')}`);
      for (const [file, how] of models) {
        assert.equal(how, 'request', `${file} was held until the hold's limit: the loader was ` +
            `asked for only after the models (requests: ${server.log.join(', ')})`);
      }
      assert.equal(count(WASM), 1, `the .wasm was downloaded more than once: ${server.log}`);
    });

test('a .wasm served with the wrong Content-Type still starts, downloaded once', { skip },
    async () => {
      server.reset();
      server.wasmType = 'application/octet-stream';
      const result = await createOnFreshPage();
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(count(WASM), 1, `requests: ${server.log.join(', ')}`);
    });

test('a missing .wasm is a load-failed error that names the file and the status', { skip },
    async () => {
      server.reset();
      server.wasmStatus = 404;
      const result = await createOnFreshPage();
      assert.equal(result.ok, false);
      assert.equal(result.code, 'load-failed', JSON.stringify(result));
      assert.match(result.message, /faceunlock_core\.wasm.*HTTP 404/);
    });
