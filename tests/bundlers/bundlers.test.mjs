/**
 * @file A new user's first build: the packed library installed from its tarball into a new
 * project, built with Vite and with webpack 5 with no configuration file, served by Vite's dev
 * server, and loaded without a bundler through an import map; each app then enrolls and unlocks
 * a face from Chromium's fake camera, with the engine on the page's thread and in a worker.
 *
 *   node --test tests/bundlers/
 *
 * Skips (with the reason) when Chromium, ffmpeg, ../shared/data, web/dist or a bundler is
 * missing; fails instead when $CI is set.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startServer } from '../../scripts/serve.mjs';
import { findMissing, launch, makeY4m, skipOrFail } from '../browser/support.mjs';
import { installInto, pack, repoRoot, run } from '../package/pack.mjs';

// The devDependencies' bundlers; FACEUNLOCK_VITE / FACEUNLOCK_WEBPACK_CLI point at another
// version's bin script (e.g. Vite 5's node_modules/vite/bin/vite.js) to check it the same way.
const BUNDLERS = {
  vite: process.env.FACEUNLOCK_VITE ?? path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'),
  webpack: process.env.FACEUNLOCK_WEBPACK_CLI ??
      path.join(repoRoot, 'node_modules', 'webpack-cli', 'bin', 'cli.js'),
};

async function missing() {
  const found = await findMissing();
  const bundlers = Object.entries(BUNDLERS).filter(([, bin]) => !existsSync(bin))
      .map(([name]) => `${name} (bash scripts/setup.sh)`);
  if (!bundlers.length) return found;
  return (found ? found + ', ' : 'missing ') + bundlers.join(', ');
}

const skip = skipOrFail(await missing());
const appTemplate = path.join(repoRoot, 'tests', 'bundlers', 'app');

let work;
let tarball;
let session;

before(async () => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), 'faceunlock-bundlers-'));
  tarball = pack(path.join(work, 'pack'));
  const y4m = makeY4m('Colin_Powell/Colin_Powell_0001.jpg', work);
  session = await launch(path.join(work, 'profile'), y4m);
});

after(async () => {
  await session?.context.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * A copy of the app with the tarball installed.
 * @param {string} name
 */
function newApp(name) {
  const dir = path.join(work, name);
  cpSync(appTemplate, dir, { recursive: true });
  installInto(dir, tarball);
  // No bundler configuration anywhere in the project: the defaults have to work.
  assert.deepEqual(readdirSync(dir).filter((f) => /config/.test(f)), []);
  return dir;
}

/**
 * Serves `root` and runs the app at `pagePath` on it (see runApp).
 * @param {string} root
 * @param {string} pagePath
 */
async function enrollAndUnlock(root, pagePath) {
  const { server, port } = await startServer({ root, port: 0 });
  try {
    await runApp(`http://127.0.0.1:${port}/${pagePath}`);
  } finally {
    server.close();
  }
}

/**
 * Runs the app at `url` once on the main thread and once with a worker: enroll, then unlock.
 * @param {string} url
 */
async function runApp(url) {
  const { page, problems } = session;
  for (const worker of [false, true]) {
    problems.length = 0;
    const workers = [];
    const onWorker = (w) => workers.push(w.url());
    const onResponse = (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    };
    page.on('worker', onWorker);
    page.on('response', onResponse);
    await page.goto(url);
    await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
    const out = await page.evaluate((w) => window.faceunlockApp.run(w), worker);
    page.off('worker', onWorker);
    page.off('response', onResponse);
    const label = worker ? 'with worker: true' : 'on the main thread';
    assert.deepEqual(problems, [], `errors in the page ${label}`);
    assert.deepEqual(out.enrolled, { user: 'alice', templates: 3 }, label);
    assert.equal(out.result.unlocked, true, `${label}: ${JSON.stringify(out.result)}`);
    assert.equal(out.result.user, 'alice');
    // Progress ends with every byte of both models as downloaded (gzipped, 4.2 MB), and the
    // total known up front.
    const last = out.progress.at(-1);
    assert.ok(last && last.loaded > 4_000_000 && last.loaded === last.total,
        `${label}: last progress ${JSON.stringify(last)}`);
    assert.ok(out.progress.length > 2, `${label}: progress reported more than once`);
    assert.equal(workers.length, worker ? 1 : 0, `${label}: workers started ${workers}`);
  }
}

/** @returns {Promise<number>} a port free a moment ago */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `vite` (the dev server, no configuration) in `dir`.
 * @param {string} dir
 * @returns {Promise<{url: string, stop: () => void}>}
 */
async function startViteDev(dir) {
  const port = await freePort();
  const child = spawn(process.execPath, [BUNDLERS.vite, '--port', String(port), '--strictPort',
    '--host', '127.0.0.1'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    // CI=true turns on vite's colours, which wrap the port in escape codes.
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite dev did not start: ${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      // eslint-disable-next-line no-control-regex
      if (output.replace(/\x1b\[[0-9;]*m/g, '').includes(`:${port}/`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vite dev exited ${code}: ${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill() };
}

test('Vite with no configuration builds an app that enrolls and unlocks', { skip, timeout: 240_000 },
    async () => {
      const dir = newApp('vite');
      run(process.execPath, [BUNDLERS.vite, 'build', '--logLevel', 'warn'], { cwd: dir });
      const assets = readdirSync(path.join(dir, 'dist', 'assets'));
      assert.ok(assets.some((f) => /^dlib-resnet.*\.fum.*\.gz$/.test(f)), `models emitted: ${assets}`);
      assert.ok(assets.some((f) => /\.wasm$/.test(f)), `wasm emitted: ${assets}`);
      await enrollAndUnlock(path.join(dir, 'dist'), 'index.html');
    });

// The dev server bundles dependencies into node_modules/.vite/deps/, which breaks
// `new URL(..., import.meta.url)` in them (vitejs/vite#11095): the library finds its files anyway.
test('the Vite dev server with no configuration serves an app that enrolls and unlocks',
    { skip, timeout: 240_000 }, async () => {
      const dir = newApp('vite-dev');
      const dev = await startViteDev(dir);
      try {
        await runApp(dev.url);
      } finally {
        dev.stop();
      }
    });

test('webpack 5 with no configuration builds an app that enrolls and unlocks',
    { skip, timeout: 240_000 }, async () => {
      const dir = newApp('webpack');
      run(process.execPath, [BUNDLERS.webpack, '--no-color'], { cwd: dir });
      cpSync(path.join(dir, 'webpack.html'), path.join(dir, 'dist', 'index.html'));
      const main = readFileSync(path.join(dir, 'dist', 'main.js'), 'utf8');
      assert.doesNotMatch(main, /file:\/\//, 'no build-machine paths in the bundle');
      await enrollAndUnlock(path.join(dir, 'dist'), 'index.html');
    });

test('served as-is by a static server (import map, no bundler), it enrolls and unlocks',
    { skip, timeout: 240_000 }, async () => {
      const dir = newApp('unbundled');
      await enrollAndUnlock(dir, 'unbundled.html');
    });
