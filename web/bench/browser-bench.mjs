#!/usr/bin/env node
/**
 * @file Benchmarks faceunlock against @vladmandic/face-api (tfjs wasm backend) in one headless
 * Chromium run, both on one thread with SIMD: cold start, milliseconds per 640x480 frame (per
 * stage and end to end), memory after warm-up and after the timed frames, and the bytes the page
 * downloads. It serves the repository root itself, so it counts every byte served.
 *
 * Usage: node web/bench/browser-bench.mjs [--frames 1000] [--faceapi-frames 100] [--warmup 20]
 *            [--users 100] [--embedder models/dlib-resnet-int8.fum]... [--hold 1] [--core DIR]
 *            [--threads N] [--landmarks models/face-landmarks-68.fum] [--require-quality]
 *            [--js-flags V8FLAGS] [--encodings br,gzip|gzip|none] [--compress-models] [--json]
 *            [--verbose]
 *        node web/bench/browser-bench.mjs --cold-runs N [--library [--with-js-crc]]
 *            [--trace FILE] [--embedder MODEL]... [--core DIR]... [--js-flags V8FLAGS]
 *            [--encodings LIST] [--compress-models] [--verbose]
 *
 * --cold-runs N measures first-visit cold starts only, N rounds of loads each in a new tab: the
 * bench page per --embedder and per --core (several --core builds alternate, every other round
 * in reverse), with --library FaceUnlock.create({ embedder: 'fast' }) as modules and bundled,
 * and an empty page (floor.html) whose first script is what any page pays in a new tab;
 * --with-js-crc adds the bundled page once more with web/lib/assets.js checking the models'
 * CRC-32 in JavaScript on every load, as the library did before it left that to the engine (a
 * diagnostic to compare against, not what users run). It
 * prints every load's marks (ms since navigation) with the load average, --verbose adds resource
 * timing, and --trace FILE records a Chrome trace of each load as FILE-K.json for
 * web/bench/trace-summary.mjs.
 *
 * --threads N (above 1) serves every page with COOP/COEP headers (cross-origin isolated) and
 * measures each embedder twice: on the single-threaded core, then on the multi-threaded one
 * (faceunlock_core_mt.mjs from web/dist or build-wasm-mt/wasm) running N threads. face-api may
 * then pick its own threaded wasm too; its init line says which it ran.
 *
 * --landmarks MODEL measures each configuration twice, without and then with the 68-point
 * landmark model (the library's models.landmarks): with --hold 1 every frame's face moved, as
 * in a head-turn challenge, so the engine runs the landmark net on every frame (inside its
 * `refine` stage), and the landmark net's own pass is timed beside the other networks.
 *
 * --js-flags passes V8 flags to Chromium (e.g. --no-wasm-lazy-compilation), to find out where a
 * cold start's time goes; figures taken with it are not what users see.
 *
 * The server sends files as production hosts do (scripts/content-encoding.mjs, as
 * scripts/serve.mjs): JavaScript, WebAssembly, HTML and JSON compressed with the first of
 * --encodings (default br,gzip; `none`: identity only) that Chromium accepts (it accepts br, gzip
 * and zstd, also on localhost), model weights (.fum, face-api's .bin) as they are unless
 * --compress-models. Downloads are reported as sent (the server's log of body bytes: what the
 * browser's resource timing reports as encodedBodySize) and as decoded. The library's JS counts
 * as an application ships it: bundled and minified by esbuild, compressed like the other
 * JavaScript (libraryBundle). face-api's files go through the same server with the same rules.
 *
 * Each --embedder is one configuration, measured from its own cold start in the same browser
 * before face-api, so every ratio compares figures of one run. --hold N shows each photo for N
 * consecutive frames as a camera sees a user holding still (see loadFrames in bench.js), which is
 * what the pipeline's tracker (src/face/face_tracker.h) can exploit; with 1 every frame shows
 * another person.
 *
 * Needs /usr/bin/chromium (apt-get install chromium) and playwright-core in node_modules, and the
 * wasm core: web/dist/faceunlock_core.mjs from `bash scripts/build.sh`, else
 * build-wasm/wasm/faceunlock_core.mjs, or the folder --core names (another build to compare).
 * Frames come from ../shared/data/lfw when present, else from face-api's demo photos.
 */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  CompressedFiles, DEFAULT_ENCODINGS, checkEncodings, compressBytes, precompress, precompressBody,
  sendBody,
} from '../../scripts/content-encoding.mjs';

const USAGE = 'usage: node web/bench/browser-bench.mjs [--frames N] [--faceapi-frames N] ' +
    '[--warmup N] [--users N] [--embedder MODEL]... [--hold N] [--core DIR] ' +
    '[--threads N] [--landmarks MODEL] [--require-quality] [--js-flags V8FLAGS] ' +
    '[--encodings br,gzip|gzip|none] [--compress-models] [--json] [--verbose]\n' +
    '       node web/bench/browser-bench.mjs --cold-runs N [--library [--with-js-crc]] ' +
    '[--trace FILE] [--embedder MODEL]... [--core DIR]... [--js-flags V8FLAGS] ' +
    '[--encodings br,gzip|gzip|none] [--compress-models] [--verbose]';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
// Research photos live beside the project, never inside it (../shared/data/README.md).
const sharedDataDir = path.resolve(repoRoot, '..', 'shared', 'data');
const SHARED_DATA_PREFIX = '/__shared-data/';
const CHROMIUM = '/usr/bin/chromium';
// The flags of ../shared/TOOLCHAIN.md, plus exact performance.memory figures and no throttling
// of a page that headless Chromium may consider hidden.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-precise-memory-info', '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
];
const FACE_API_DEMO = 'node_modules/@vladmandic/face-api/demo';
// What bench.js loads of face-api: its bundle (tfjs inside), tfjs's wasm binaries and the nets.
const FACE_API_FILES = ['/node_modules/@vladmandic/face-api/dist/face-api.esm.js',
  ...['', '-simd', '-threaded-simd'].map((variant) =>
    `/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm${variant}.wasm`)];
const FACE_API_MODELS = 'node_modules/@vladmandic/face-api/model';
const FACE_API_NETS = ['ssd_mobilenetv1_model', 'tiny_face_detector_model',
  'face_landmark_68_model', 'face_recognition_model'];
const LFW_FRAMES = 8;
const EMBEDDING_DIMENSION = 128;

// Targets of issue 9 (the frame budget): the accurate (default) and the fast configuration.
const ACCURATE_FRAME_MS = 15;
const ACCURATE_SPEEDUP_VS_TINY = 4;
const FAST_FRAME_MS = 6;
const FAST_DOWNLOAD_BYTES = 2 * 1000 * 1000;
const FAST_COLD_START_MS = 300;
const INT8_SPEEDUP = 1.8;  // an int8 embedder's pass against its float32 original's
// JS heap after a forced GC wobbles by some kilobytes between identical states; growth per frame
// would show as far more than this over 1,000 frames.
const HEAP_GROWTH_TOLERANCE_BYTES = 256 * 1024;

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
};

/**
 * @param {string} text
 * @param {string} flag
 * @param {number} min
 * @return {number}
 */
function wholeNumber(text, flag, min) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`${flag} must be a whole number >= ${min}: ${text}`);
  }
  return n;
}

/**
 * Serves the repository root (and the shared photos under SHARED_DATA_PREFIX, and the files the
 * harness put in `generated`) on 127.0.0.1 at a free port, without caching, compressed as
 * scripts/serve.mjs and production hosts send files (scripts/content-encoding.mjs: the offered
 * `encodings` for JS, wasm, HTML and JSON, model weights only with `compressModels`), and logs
 * every response's bytes as sent and as decoded.
 * @param {{isolate: boolean, encodings: !Array<string>, compressModels: boolean}} options
 * @return {!Promise<{origin: string, log: !Array<!Object>, generated: !Map, settings: !Object,
 *     precompress: function(!Array<string>): !Promise<number>, close: function(): !Promise}>}
 */
async function startServer({ isolate, encodings, compressModels }) {
  const log = [];
  // Files made by the harness (the bundled library page), served like the others.
  const generated = new Map();
  const settings = { encodings, compressModels, cache: new CompressedFiles() };
  const headers = {
    // Every load is a first visit: the cold start must include the download.
    'Cache-Control': 'no-store',
    ...(isolate ? {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    } : {}),
  };
  // URL path -> file, or null when it leaves its folder.
  const fileOf = (urlPath) => {
    const [base, relative] = urlPath.startsWith(SHARED_DATA_PREFIX) ?
        [sharedDataDir, urlPath.slice(SHARED_DATA_PREFIX.length)] : [repoRoot, urlPath];
    const file = path.join(base, relative);
    return file === base || file.startsWith(base + path.sep) ? file : null;
  };
  const respond = async (request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    const made = generated.get(urlPath);
    if (made) {
      const sent = await sendBody(request, response,
          { name: urlPath, type: made.type, body: made.body, headers }, settings);
      log.push({ path: urlPath, status: 200, ...sent });
      return;
    }
    const file = fileOf(urlPath);
    if (!file) {
      response.writeHead(403).end();
      return;
    }
    let info;
    try {
      info = await stat(file);
    } catch {
      info = null;
    }
    if (!info || !info.isFile()) {
      log.push({ path: urlPath, status: 404, bytes: 0, decodedBytes: 0, encoding: 'identity' });
      response.writeHead(404).end();
      return;
    }
    const type = MIME_TYPES[path.extname(file)] ?? 'application/octet-stream';
    const sent = await sendBody(request, response, { name: file, type, file, info, headers },
        settings);
    log.push({ path: urlPath, status: 200, ...sent });
  };
  const server = createServer((request, response) => {
    respond(request, response).catch((error) => {
      if (response.headersSent) response.destroy();
      else response.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    generated,
    settings,
    // URL paths of files or folders (all their files, recursively) to compress before measuring.
    precompress: async (urlPaths) => {
      const files = [];
      for (const urlPath of urlPaths) {
        const file = fileOf(urlPath);
        const info = file && await stat(file).catch(() => null);
        if (info?.isFile()) files.push(file);
        else if (info?.isDirectory()) {
          const entries = await readdir(file, { recursive: true });
          files.push(...entries.map((entry) => path.join(file, entry)));
        }
      }
      const regular = [];
      for (const file of files) if (await isFile(file)) regular.push(file);
      return precompress(regular, settings);
    },
    // A file the harness made, served at urlPath, compressed now rather than on its request.
    generate: async (urlPath, type, body) => {
      generated.set(urlPath, { type, body });
      await precompressBody(urlPath, body, settings);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * @param {string} file
 * @return {!Promise<boolean>}
 */
async function isFile(file) {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * @param {?string} chosen --core: a folder inside the repository, or null for the default ones
 * @return {!Promise<string>} URL path of the core module the page should load
 */
async function findCore(chosen) {
  if (chosen) {
    const dir = path.relative(repoRoot, path.resolve(chosen));
    if (dir.startsWith('..') || path.isAbsolute(dir) ||
        !(await isFile(path.join(repoRoot, dir, 'faceunlock_core.mjs'))) ||
        !(await isFile(path.join(repoRoot, dir, 'faceunlock_core.wasm')))) {
      throw new Error(`--core ${chosen}: expected a folder inside the repository holding ` +
          'faceunlock_core.mjs and faceunlock_core.wasm');
    }
    return `/${dir.split(path.sep).join('/')}/faceunlock_core.mjs`;
  }
  for (const dir of ['web/dist', 'build-wasm/wasm']) {
    const mjs = path.join(repoRoot, dir, 'faceunlock_core.mjs');
    const wasm = path.join(repoRoot, dir, 'faceunlock_core.wasm');
    if (await isFile(mjs) && await isFile(wasm)) return `/${dir}/faceunlock_core.mjs`;
  }
  throw new Error('no faceunlock_core.mjs + .wasm in web/dist or build-wasm/wasm: run ' +
      '`bash scripts/build.sh` first');
}

/**
 * @return {!Promise<string>} URL path of the multi-threaded core's module
 */
async function findMtCore() {
  for (const dir of ['web/dist', 'build-wasm-mt/wasm']) {
    const files = ['faceunlock_core_mt.mjs', 'faceunlock_core_mt.wasm', 'faceunlock_core_mt.worker.js'];
    let all = true;
    for (const file of files) all &&= await isFile(path.join(repoRoot, dir, file));
    if (all) return `/${dir}/faceunlock_core_mt.mjs`;
  }
  throw new Error('--threads needs faceunlock_core_mt.{mjs,wasm,worker.js} in web/dist or ' +
      'build-wasm-mt/wasm: run `bash scripts/build.sh` first');
}

/**
 * One photo each of the first identities of LFW (250x250, one centred face), else the six group
 * photos face-api ships.
 * @return {!Promise<{source: string, urls: !Array<string>}>}
 */
async function findFramePhotos() {
  const lfw = path.join(sharedDataDir, 'lfw');
  try {
    const people = (await readdir(lfw)).sort();
    const urls = [];
    for (const person of people) {
      const file = `${person}_0001.jpg`;
      if (await isFile(path.join(lfw, person, file))) {
        urls.push(`${SHARED_DATA_PREFIX}lfw/${person}/${file}`);
      }
      if (urls.length === LFW_FRAMES) break;
    }
    if (urls.length > 0) return { source: '../shared/data/lfw', urls };
  } catch {
    // No LFW on this machine: the demo photos below still give faces.
  }
  const names = (await readdir(path.join(repoRoot, FACE_API_DEMO)))
      .filter((name) => /^sample\d+\.jpg$/.test(name)).sort();
  return { source: FACE_API_DEMO, urls: names.map((name) => `/${FACE_API_DEMO}/${name}`) };
}

/**
 * The library's own JS as an application ships it: web/bench/library-page.js (FaceUnlock.create,
 * nothing else) bundled and minified by esbuild, the core's loader left out (the bench page
 * downloads that itself, so it is counted there), then compressed as this run's server sends
 * JavaScript. The bench page drives the core directly and loads only three of web/lib's modules,
 * unbundled; those are the harness's, not counted. Also the web/lib files' size on disk
 * (unminified), the figure earlier reports added instead.
 * @param {string} encoding what the server sent the core's loader (a JS file) with
 * @return {!Promise<{bytes: number, decodedBytes: number, encoding: string, onDisk: number,
 *     onDiskFiles: number}>}
 */
async function libraryBundle(encoding) {
  let onDisk = 0;
  let onDiskFiles = 0;
  for (const entry of await readdir(path.join(repoRoot, 'web', 'lib'), { recursive: true })) {
    if (!/\.m?js$/.test(entry)) continue;
    onDisk += (await stat(path.join(repoRoot, 'web', 'lib', entry))).size;
    onDiskFiles++;
  }
  const minified = await bundleLibrary({ withLoader: false });
  const sent = encoding === 'identity' ? minified : await compressBytes(minified, encoding);
  return { bytes: Math.min(sent.length, minified.length), decodedBytes: minified.length,
    encoding: sent.length < minified.length ? encoding : 'identity', onDisk, onDiskFiles };
}

/**
 * web/bench/library-page.js bundled into one minified module by esbuild, as an application's
 * build would bundle the library.
 * @param {{withLoader: boolean, withJsCrc: (boolean|undefined)}} options withLoader: whether
 *     the core's loader (faceunlock_core.mjs, which the library imports by a literal specifier)
 *     goes into the bundle; withJsCrc: a diagnostic variant (--with-js-crc), not the library
 *     users get: loadModels() in web/lib/assets.js checks each model's CRC-32 in JavaScript too,
 *     before the engine checks it in C++
 * @return {!Promise<!Uint8Array>}
 */
async function bundleLibrary({ withLoader, withJsCrc = false }) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('the library bundle needs esbuild in node_modules (npm install: vite brings ' +
        'it)');
  }
  const result = await esbuild.build({
    entryPoints: [path.join(repoRoot, 'web', 'bench', 'library-page.js')],
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    // The library's Node-only branches import these; a browser build leaves them out.
    external: ['node:*', ...(withLoader ? [] : ['*/faceunlock_core.mjs'])],
    logLevel: 'silent',
    plugins: withJsCrc ? [{
      name: 'with-js-crc',
      setup(build) {
        build.onLoad({ filter: /[\\/]web[\\/]lib[\\/]assets\.js$/ }, async (args) => {
          const source = await readFile(args.path, 'utf8');
          const patched = source.replace(HEADER_ONLY_CHECK, JS_CRC_CHECK);
          if (patched === source) {
            throw new Error(`--with-js-crc: web/lib/assets.js no longer has ` +
                `"${HEADER_ONLY_CHECK}"; update browser-bench.mjs`);
          }
          return { contents: patched, loader: 'js' };
        });
      },
    }] : [],
  });
  if (result.errors.length) throw new Error(result.errors[0].text);
  return result.outputFiles[0].contents;
}

/**
 * @param {!Array<number>} values
 * @return {?Object} median, p90, p99, mean, min, max
 */
function summarize(values) {
  if (!values || values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mid = sorted.length >> 1;
  return {
    n: sorted.length,
    median: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    p90: at(0.9),
    p99: at(0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/**
 * A forced GC first, so that the figures compare live data rather than garbage awaiting collection.
 * @param {!Object} page
 * @param {!Object} cdp
 * @return {!Promise<!Object>}
 */
async function measureMemory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const inPage = await page.evaluate(() => window.bench.memory());
  return { cdpHeapUsed: heap.usedSize, cdpHeapTotal: heap.totalSize, ...inPage };
}

/**
 * Sorts the server log by who needs each file: `faceunlock` is the core (loader and .wasm) and
 * the models; web/lib's modules that the bench page imports unbundled go to `harness` (the
 * library's JS is counted as an application bundles it, libraryBundle()).
 * @param {!Array<!Object>} log
 * @param {!Set<string>} framePaths
 * @param {string} coreUrl the core module's URL path (its folder may be --core's)
 * @return {!Object} per group: bytes (as sent), decodedBytes, and per file the same and its
 *     encoding
 */
function downloads(log, framePaths, coreUrl) {
  const coreDir = coreUrl.slice(0, coreUrl.lastIndexOf('/') + 1);
  const groups = {};
  const add = (group, entry) => {
    const g = (groups[group] ??= { bytes: 0, decodedBytes: 0, files: {} });
    g.bytes += entry.bytes;
    g.decodedBytes += entry.decodedBytes;
    const f = (g.files[entry.path] ??= { bytes: 0, decodedBytes: 0, encoding: entry.encoding });
    f.bytes += entry.bytes;
    f.decodedBytes += entry.decodedBytes;
  };
  for (const entry of log) {
    if (entry.status !== 200) continue;
    if (framePaths.has(entry.path)) {
      add('frames', entry);
    } else if (entry.path.startsWith(coreDir) ||
        /^\/(web\/dist|build-wasm\/wasm|models)\//.test(entry.path)) {
      add('faceunlock', entry);
    } else if (entry.path.startsWith('/node_modules/')) {
      add('faceapi', entry);
    } else {
      add('harness', entry);
    }
  }
  return groups;
}

/**
 * Bytes a face-api application downloads for one detector: the library, the tfjs wasm binary and
 * the nets of detectSingleFace(detector).withFaceLandmarks().withFaceDescriptor().
 * @param {!Object} files path -> {bytes, decodedBytes}, of the face-api group
 * @param {string} detectorModel file prefix of the detector
 * @return {{bytes: number, decodedBytes: number}} as sent and decoded
 */
function faceapiPipelineBytes(files, detectorModel) {
  const needed = [detectorModel, 'face_landmark_68_model', 'face_recognition_model'];
  const sum = { bytes: 0, decodedBytes: 0 };
  for (const [file, size] of Object.entries(files)) {
    const name = path.basename(file);
    if (!file.includes('/model/') || needed.some((prefix) => name.startsWith(`${prefix}-`) ||
        name.startsWith(`${prefix}.`))) {
      sum.bytes += size.bytes;
      sum.decodedBytes += size.decodedBytes;
    }
  }
  return sum;
}

/**
 * One faceunlock configuration (an embedder with the shipped detector) from a cold start: a
 * navigation that loads the core and both models, warm-up, a synthetic gallery, the timed frames
 * in two halves with memory measured between, and one pass of each network alone.
 * @param {!Object} c page, cdp, server, coreUrl, photos, embedder, options, say
 * @return {!Promise<!Object>} the configuration's figures
 */
async function measureConfiguration(
    { page, cdp, server, coreUrl, threads, photos, embedder, landmarks = null, options, say }) {
  server.log.length = 0;
  const compressionsBefore = server.settings.cache.compressions;
  say(`${embedder}: loading ${coreUrl} (${threads} thread(s)) and the models` +
      `${landmarks ? `, with ${landmarks}` : ''} (cold start)`);
  const urlPath = (file) => '/' + file.split(path.sep).join('/');
  await page.goto(`${server.origin}/web/bench/bench.html?core=${encodeURIComponent(coreUrl)}` +
      `&embedder=${encodeURIComponent(urlPath(embedder))}&threads=${threads}` +
      (landmarks ? `&landmarks=${encodeURIComponent(urlPath(landmarks))}` : ''));
  await page.waitForFunction(() => window.bench !== undefined);
  const coldStart = await page.evaluate(() => window.bench.ready);
  const coldStartLog = server.log.slice();
  // Files are compressed ahead (run()); one compressed now would have slowed this cold start.
  const compressionsDuringColdStart = server.settings.cache.compressions - compressionsBefore;

  const frames = await page.evaluate(([urls, hold]) => window.bench.loadFrames(urls, hold),
      [photos.urls, options.hold]);
  const processOptions = { requireQuality: options.requireQuality };

  say(`${embedder}: ${options.warmup} warm-up frames, ${options.users} enrolled users`);
  // Warm-up before enrolling, so its matches do not depend on the gallery; also compiles every
  // code path and lets the memory reach its working size.
  await page.evaluate(([n, o]) => window.bench.faceunlockFrames(0, n, o, false),
      [options.warmup, processOptions]);
  const templates = await page.evaluate(([u, d]) => window.bench.enroll(u, d),
      [options.users, EMBEDDING_DIMENSION]);
  const memoryAfterWarmup = await measureMemory(page, cdp);

  say(`${embedder}: ${options.frames} timed frames`);
  // In two halves with a measurement between: growth per frame would show at the midpoint
  // too, in proportion, while a one-off allocation would not. The timed frames start where the
  // warm-up left off, so a held photo's sequence continues as a camera's would.
  const half = options.frames >> 1;
  const firstHalf = await page.evaluate(([f, n, o]) =>
    window.bench.faceunlockFrames(f, n, o, true), [options.warmup, half, processOptions]);
  const memoryAtHalf = await measureMemory(page, cdp);
  const secondHalf = await page.evaluate(([f, n, o]) =>
    window.bench.faceunlockFrames(f, n, o, true),
  [options.warmup + half, options.frames - half, processOptions]);
  const memoryAfterFrames = await measureMemory(page, cdp);
  const canvasReads = await page.evaluate((n) => window.bench.canvasReads(n),
      Math.min(options.frames, 200));
  const passes = await page.evaluate(([w, n]) => window.bench.networkPasses(w, n),
      [options.warmup, Math.min(options.frames, 200)]);
  const networkPass = {};
  for (const [name, p] of Object.entries(passes)) {
    networkPass[name] = {
      ...summarize(p.ms),
      inputShape: p.inputShape,
      multiplyAdds: p.multiplyAdds,
      group: p.group,
    };
  }
  const columns = {};
  for (const key of Object.keys(secondHalf)) {
    columns[key] = [...(firstHalf[key] ?? []), ...secondHalf[key]];
  }
  const count = columns.endToEnd.length;
  // `total` is the engine's own end-to-end figure, not a stage.
  const stageNames = Object.keys(columns).filter((key) => key.startsWith('stage.'))
      .map((key) => key.slice('stage.'.length)).filter((name) => name !== 'total');
  const stageSum = columns.endToEnd.map((_, i) =>
    stageNames.reduce((sum, name) => sum + columns[`stage.${name}`][i], 0));
  const stages = {};
  for (const key of Object.keys(columns).filter((k) => k.startsWith('stage.'))) {
    stages[key.slice('stage.'.length)] = summarize(columns[key]);
  }
  const framePaths = new Set(photos.urls);
  const coldStartDownloads = downloads(coldStartLog, framePaths, coreUrl);
  return {
    embedder,
    landmarks,
    frameSources: frames,
    mode: coldStart.mode,
    coreUrl,
    threads: coldStart.threads,
    crossOriginIsolated: coldStart.crossOriginIsolated,
    hardwareConcurrency: coldStart.hardwareConcurrency,
    coldStartMs: coldStart.marks.ready,
    coldStartMarks: coldStart.marks,
    enrolledTemplates: templates,
    frames: count,
    framesWithFace: columns.faces.filter((n) => n > 0).length,
    framesQualityOk: columns.qualityOk.filter(Boolean).length,
    framesEmbedded: columns.embedded.filter(Boolean).length,
    framesAccepted: columns.accepted.filter(Boolean).length,
    framesRefineReused: columns.refineReused.filter(Boolean).length,
    framesDetectionReused: columns.detectionReused.filter(Boolean).length,
    embeddingLength: Math.max(...columns.embeddingLength),
    ms: {
      capture: summarize(columns.capture),
      canvasRead: summarize(canvasReads),
      stages,
      stageSum: summarize(stageSum),
      copy: summarize(columns.copy),
      processFrame: summarize(columns.processFrame),
      outsideStages: summarize(columns.processFrame.map((t, i) => t - stageSum[i])),
      engineCall: summarize(columns.engine),
      endToEnd: summarize(columns.endToEnd),
    },
    networkPass,
    memoryAfterWarmup,
    memoryAtHalf,
    memoryAfterFrames,
    // The core and the models as sent (bytes) and decoded; the library's JS is added in run().
    download: coldStartDownloads.faceunlock ?? { bytes: 0, decodedBytes: 0, files: {} },
    compressionsDuringColdStart,
  };
}

// What a trace of one cold start records: page loading, script and wasm compilation, tasks.
const TRACE_CATEGORIES = [
  'devtools.timeline', 'v8', 'v8.wasm', 'v8.execute', 'disabled-by-default-v8.compile',
  'disabled-by-default-v8.wasm.detailed', 'disabled-by-default-devtools.timeline', 'blink',
  'loading', 'netlog', 'toplevel', 'blink.user_timing', '__metadata',
];

/**
 * Records a Chrome trace (chrome://tracing, Perfetto) of what `navigate` does in the page.
 * @param {!Object} cdp the page's CDP session
 * @param {string} file where the trace's JSON goes
 * @param {function(): !Promise} navigate
 */
async function traced(cdp, file, navigate) {
  await cdp.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: { includedCategories: TRACE_CATEGORIES, recordMode: 'recordAsMuchAsPossible' },
  });
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  try {
    await navigate();
  } finally {
    await cdp.send('Tracing.end');
  }
  const { stream } = await complete;
  const chunks = [];
  for (;;) {
    const { data, eof, base64Encoded } = await cdp.send('IO.read', { handle: stream });
    chunks.push(base64Encoded ? Buffer.from(data, 'base64') : Buffer.from(data));
    if (eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  await writeFile(file, Buffer.concat(chunks));
}

/**
 * The page's resource timing entries: when each download started and ended, in ms since
 * navigation start, and its body's bytes as received and as decoded.
 * @param {!Object} page
 * @return {!Promise<!Array<!Object>>}
 */
function resourceTimes(page) {
  return page.evaluate(() => performance.getEntriesByType('resource').map((e) => ({
    path: new URL(e.name).pathname,
    start: e.startTime,
    responseStart: e.responseStart,
    end: e.responseEnd,
    encodedBodySize: e.encodedBodySize,
    decodedBodySize: e.decodedBodySize,
  })));
}

// The bundle sits beside library-page.js, so the library's `new URL('../../models/...',
// import.meta.url)` defaults resolve as they do unbundled.
const LIBRARY_BUNDLED_PAGE = '/web/bench/library-bundled.html';
const LIBRARY_BUNDLE = '/web/bench/library-bundle.js';
// The bundled page created with liveness on, as the demo runs it (the landmark model loads too).
const LIBRARY_BUNDLED_LIVENESS_PAGE = '/web/bench/library-bundled-liveness.html';
// --with-js-crc: the same page and bundle with the library's CRC-32 pass in JavaScript put back.
const LIBRARY_BUNDLED_PAGE_JS_CRC = '/web/bench/library-bundled-with-js-crc.html';
const LIBRARY_BUNDLE_JS_CRC = '/web/bench/library-bundle-with-js-crc.js';
// loadModels()'s check in web/lib/assets.js, and what --with-js-crc makes of it.
const HEADER_ONLY_CHECK = 'checkModelFile(names[i], source, bytes, { checksum: false });';
const JS_CRC_CHECK = 'checkModelFile(names[i], source, bytes);';

/**
 * Bundles web/bench/library-page.js (the library, its core's loader included) into one module
 * with esbuild, as an application's build would, and serves it with a page that names the core
 * and the models in preload hints (README, "Loading progress"): one script instead of fourteen
 * modules, so the downloads no longer queue for the browser's six connections to the server.
 * @param {!Object} server from startServer
 */
async function bundleLibraryPage(server, { withJsCrc = false } = {}) {
  const bundle = withJsCrc ? LIBRARY_BUNDLE_JS_CRC : LIBRARY_BUNDLE;
  await server.generate(bundle, MIME_TYPES['.js'],
      Buffer.from(await bundleLibrary({ withLoader: true, withJsCrc })));
  const preload = (file) => `<link rel="preload" href="${file}" as="fetch" crossorigin>`;
  const html = (models) => ['<!doctype html>', '<html lang="en">', '<head>',
    '<meta charset="utf-8">', '<title>faceunlock library cold start, bundled</title>',
    '<link rel="icon" href="data:,">', preload('../dist/faceunlock_core.wasm'),
    ...models.map((m) => preload(`../../models/${m}.fum.gz`)),
    `<script type="module" src="${path.posix.basename(bundle)}"></script>`, '</head>',
    '<body><p>Driven by web/bench/browser-bench.mjs --cold-runs --library.</p></body>',
    '</html>'].join('\n');
  const models = ['blazeface-short', 'dlib-resnet-pruned-int8'];
  await server.generate(withJsCrc ? LIBRARY_BUNDLED_PAGE_JS_CRC : LIBRARY_BUNDLED_PAGE,
      MIME_TYPES['.html'], Buffer.from(html(models)));
  if (!withJsCrc) {
    // The same bundle created with liveness on (library-page.js reads ?liveness).
    await server.generate(LIBRARY_BUNDLED_LIVENESS_PAGE, MIME_TYPES['.html'],
        Buffer.from(html([...models, 'face-landmarks-68'])));
  }
}

/**
 * --cold-runs N: only cold starts, N rounds; each round loads, each in a new tab after the same
 * warm-up navigation as the full benchmark, every --embedder on the bench page (the core driven
 * directly), then with --library FaceUnlock.create({ embedder: 'fast' }) on web/bench/library.html
 * (modules with hints) and bundled (bundleLibraryPage), then the floor: web/bench/floor.html, a page with one inline script, whose first script time is
 * what any page pays in a fresh tab of this browser.
 * @param {!Object} c context, server, coreUrl, options, openPage
 * @return {!Promise<!Object>}
 */
async function coldRuns({ context, server, coreUrl, options, openPage }) {
  const runs = [];
  const urlPath = (file) => '/' + file.split(path.sep).join('/');
  const pages = [];
  const coreUrls = [coreUrl];
  for (const core of options.cores.slice(1)) coreUrls.push(await findCore(core));
  for (const url of coreUrls) {
    for (const embedder of options.embedders) {
      pages.push({ name: `bench ${embedder}${coreUrls.length > 1 ? ` ${url}` : ''}`,
        url: `/web/bench/bench.html?core=${encodeURIComponent(url)}` +
          `&embedder=${encodeURIComponent(urlPath(embedder))}&threads=1`,
        ready: () => window.bench.ready.then((r) => r.marks) });
    }
  }
  if (options.library) {
    const ready = () => window.libraryReady.then((r) => r.marks);
    pages.push({ name: 'library fast, modules + hints', url: '/web/bench/library.html', ready });
    await bundleLibraryPage(server);
    pages.push({ name: 'library fast, bundled', url: LIBRARY_BUNDLED_PAGE, ready });
    pages.push({ name: 'library fast + liveness, bundled',
      url: `${LIBRARY_BUNDLED_LIVENESS_PAGE}?liveness`, ready });
    if (options.withJsCrc) {
      await bundleLibraryPage(server, { withJsCrc: true });
      pages.push({ name: 'library fast, bundled, with JS CRC', url: LIBRARY_BUNDLED_PAGE_JS_CRC,
        ready });
    }
  }
  pages.push({ name: 'floor', url: '/web/bench/floor.html', ready: async () => {
    while (window.floor?.moduleScript === undefined) await new Promise((r) => setTimeout(r, 5));
    return { htmlReceived: performance.getEntriesByType('navigation')[0]?.responseEnd,
      ...window.floor };
  } });
  for (let round = 0; round < options.coldRuns; round++) {
    // Every other round in reverse, so that no page always follows the same one.
    for (const p of round % 2 ? [...pages].reverse() : pages) {
      const { page, cdp } = await openPage();
      const load = os.loadavg()[0];
      const compressionsBefore = server.settings.cache.compressions;
      const navigate = async () => {
        await page.goto(`${server.origin}${p.url}`);
        return page.evaluate(p.ready);
      };
      let marks;
      const run = { round, page: p.name, load };
      if (options.trace) {
        const file = `${options.trace.replace(/\.json$/, '')}-${runs.length}.json`;
        await traced(cdp, file, async () => {
          marks = await navigate();
        });
        console.error(`trace of ${p.name}: ${file}`);
        run.trace = file;
      } else {
        marks = await navigate();
      }
      const resources = await resourceTimes(page);
      // What this load downloaded (openPage cleared the log), from the server's log.
      const sent = server.log.filter((e) => e.status === 200);
      run.download = { bytes: sent.reduce((a, e) => a + e.bytes, 0),
        decodedBytes: sent.reduce((a, e) => a + e.decodedBytes, 0), files: sent.length };
      run.compressions = server.settings.cache.compressions - compressionsBefore;
      runs.push({ ...run, marks, resources });
      console.error(`${p.name} round ${round}: load ${load.toFixed(2)}, ` +
          Object.entries(marks).map(([k, v]) => `${k} ${fmt(v)}`).join(', '));
    }
  }
  return { coldRuns: runs };
}

/**
 * @param {!Object} options parsed command line
 * @return {!Promise<!Object>} every figure of the run
 */
async function run(options) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is missing: npm install (it is a devDependency), or ' +
        '`npm install --no-save playwright-core`');
  }
  if (!(await isFile(CHROMIUM))) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  }
  const loadBefore = os.loadavg();
  // What every report starts with: the command, the browser and the machine. The machine may be
  // shared: a high load explains noisy figures.
  const runContext = () => ({
    command: `node web/bench/browser-bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    browser: `Chromium ${context.browser()?.version() ?? ''}`.trim(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverageBefore: loadBefore,
    loadAverageAfter: os.loadavg(),
  });
  const coreUrl = await findCore(options.cores[0] ?? null);
  const mtCoreUrl = options.threads > 1 ? await findMtCore() : null;
  const photos = await findFramePhotos();
  const server = await startServer({ isolate: options.threads > 1, encodings: options.encodings,
    compressModels: options.compressModels });
  const coreUrls = [coreUrl, ...(mtCoreUrl ? [mtCoreUrl] : [])];
  for (const core of options.cores.slice(1)) coreUrls.push(await findCore(core));
  const modelUrls = [...options.embedders, 'models/blazeface-short.fum',
    'models/dlib-resnet-pruned-int8.fum', ...(options.landmarks ? [options.landmarks] : [])]
      .map((file) => '/' + file.split(path.sep).join('/'));
  const faceapiModels = options.coldRuns ? [] :
    (await readdir(path.join(repoRoot, FACE_API_MODELS)).catch(() => []))
        .filter((name) => FACE_API_NETS.some((net) => name.startsWith(`${net}-`) ||
          name.startsWith(`${net}.`)))
        .map((name) => `/${FACE_API_MODELS}/${name}`);
  // Every file a measured load may ask for, compressed before any load: a file compressed on its
  // first request would add the compression (brotli: about 2 s per MB here) to a cold start.
  if (options.verbose || !options.json) {
    console.error(`compressing the served files ahead (${options.encodings.join(', ') ||
        'identity only'}${options.compressModels ? ', models too' : ''})`);
  }
  await server.precompress([
    ...coreUrls.flatMap((url) => [url, url.replace(/\.mjs$/, '.wasm'),
      url.replace(/\.mjs$/, '.worker.js')]),
    '/web/bench/', '/web/lib/', '/web/index.js', ...modelUrls,
    ...(options.coldRuns ? [] : [...FACE_API_FILES, ...faceapiModels]),
  ]);
  // A fresh profile: nothing cached from an earlier run, so the cold start is a first visit.
  const profile = await mkdtemp(path.join(os.tmpdir(), 'faceunlock-bench-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: options.jsFlags ? [...CHROMIUM_ARGS, `--js-flags=${options.jsFlags}`] : CHROMIUM_ARGS,
    });
    const pageErrors = [];
    const say = (text) => {
      if (options.verbose || !options.json) console.error(text);
    };
    let page = null;
    let cdp = null;
    // Each configuration gets a new tab, and so a new renderer: within one renderer V8 keeps a
    // compiled module for other loads of the same .wasm bytes, and a second configuration's cold
    // start then skipped the compilation a first visit pays (measured: the same configuration
    // twice in one tab, 541 then 235 ms).
    const openPage = async () => {
      if (page) await page.close();
      page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      page.on('console', (message) => {
        if (options.verbose) console.error(`[page ${message.type()}] ${message.text()}`);
      });
      cdp = await context.newCDPSession(page);
      // A first visit to the site happens in a running browser: this navigation starts the
      // renderer, so that the cold start measures the page, not the browser's launch.
      await page.goto(`${server.origin}/web/bench/bench.html`);
      await page.evaluate(() => window.bench.ready);
      server.log.length = 0;
    };
    if (options.coldRuns) {
      const cold = await coldRuns({ context, server, coreUrl, options, openPage: async () => {
        await openPage();
        return { page, cdp };
      } });
      return {
        ...runContext(),
        options,
        pageErrors,
        coreUrl,
        ...cold,
      };
    }
    const measure = async (settings) => {
      await openPage();
      return measureConfiguration({ page, cdp, server, photos, embedder: settings.embedder,
        options, say, ...settings });
    };

    const configurations = [];
    for (const embedder of options.embedders) {
      configurations.push(await measure({ coreUrl, threads: 1, embedder }));
      if (options.landmarks) {
        configurations.push(
            await measure({ coreUrl, threads: 1, embedder, landmarks: options.landmarks }));
      }
      if (mtCoreUrl) {
        configurations.push(
            await measure({ coreUrl: mtCoreUrl, threads: options.threads, embedder }));
      }
    }
    // face-api runs on the page of the last configuration, on the same frames.

    say('face-api: loading tfjs wasm backend and nets');
    const faceapiLoadLogStart = server.log.length;
    const faceapiCompressionsBefore = server.settings.cache.compressions;
    const faceapiInit = await page.evaluate(() => window.bench.faceapiLoad());
    faceapiInit.compressionsDuringLoad =
        server.settings.cache.compressions - faceapiCompressionsBefore;
    const faceapiWasm = server.log.slice(faceapiLoadLogStart)
        .filter((entry) => entry.path.endsWith('.wasm')).map((entry) => path.basename(entry.path));
    const faceapi = {
      init: { ...faceapiInit, wasmFiles: faceapiWasm },
      memoryAfterLoad: await measureMemory(page, cdp),
    };
    for (const detector of ['ssd', 'tiny']) {
      for (const stage of ['full', 'detect']) {
        say(`face-api: ${detector} ${stage}, ${options.faceapiWarmup} warm-up + ` +
            `${options.faceapiFrames} timed frames`);
        await page.evaluate(([d, s, n]) => window.bench.faceapiFrames(d, s, n, false),
            [detector, stage, options.faceapiWarmup]);
        const r = await page.evaluate(([d, s, n]) => window.bench.faceapiFrames(d, s, n, true),
            [detector, stage, options.faceapiFrames]);
        faceapi[`${detector}_${stage}`] = {
          ...summarize(r.ms),
          found: r.msWithFace.length,
          withFace: summarize(r.msWithFace),
        };
      }
    }
    say('face-api: descriptor only');
    const descriptorOnly = await page.evaluate(([w, n]) =>
      window.bench.faceapiDescriptorOnly(w, n), [options.faceapiWarmup, options.faceapiFrames]);
    faceapi.descriptorOnly = { ...summarize(descriptorOnly.ms), faces: descriptorOnly.faces };
    faceapi.memoryAfter = await measureMemory(page, cdp);

    const framePaths = new Set(photos.urls);
    const allDownloads = downloads(server.log, framePaths, coreUrl);
    const faceapiFiles = allDownloads.faceapi?.files ?? {};
    const bundles = new Map();
    for (const c of configurations) {
      // The library's JS goes out as the core's loader (JavaScript too) went out in this run.
      const encoding = c.download.files[c.coreUrl]?.encoding ?? 'identity';
      if (!bundles.has(encoding)) bundles.set(encoding, await libraryBundle(encoding));
      c.library = bundles.get(encoding);
      c.total = { bytes: c.download.bytes + c.library.bytes,
        decodedBytes: c.download.decodedBytes + c.library.decodedBytes };
    }
    return {
      ...runContext(),
      framesSource: photos.source,
      photos: photos.urls,
      options,
      pageErrors,
      configurations,
      faceapi: {
        ...faceapi,
        downloadBytes: {
          ssd: faceapiPipelineBytes(faceapiFiles, 'ssd_mobilenetv1_model'),
          tiny: faceapiPipelineBytes(faceapiFiles, 'tiny_face_detector_model'),
        },
        downloadFiles: faceapiFiles,
      },
      downloads: allDownloads,
    };
  } finally {
    await context?.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * @param {number} ms
 * @return {string}
 */
function fmt(ms) {
  if (ms === undefined || ms === null) return '-';
  // Differences of clock readings can come out as -0.0001; "-0.00" would read as an error.
  return (Math.abs(ms) < 0.005 ? 0 : ms).toFixed(2);
}

/**
 * @param {number} bytes
 * @return {string}
 */
function mib(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB (${bytes} B)`;
}

/**
 * @param {!Object} options parsed command line
 * @return {string} how the server sent the files, for the figures' labels
 */
function servedAs(options) {
  const offered = options.encodings.length ? options.encodings.join(' or ') : 'no encoding';
  return `JS/wasm/HTML/JSON ${offered} (brotli quality 11, gzip level 9; the first the browser ` +
      `accepts), model weights ${options.compressModels ? `${offered} too` : 'identity'}`;
}

/**
 * @param {!Object} r result of run() with --cold-runs
 * @return {string} every cold start, then per page the spread of its last mark
 */
function coldReport(r) {
  const lines = [`${r.browser}, ${r.cpus} x ${r.cpuModel}; core ${r.coreUrl}`];
  if (r.options.jsFlags) lines.push(`V8 flags (not what users run): ${r.options.jsFlags}`);
  lines.push(`load average (1 min) before ${r.loadAverageBefore[0].toFixed(2)}, after ` +
      `${r.loadAverageAfter[0].toFixed(2)}`);
  lines.push(`served: ${servedAs(r.options)}`);
  lines.push('ms since navigation start, each load in a new tab (first visit: no-store, fresh ' +
      'profile); load = 1-minute load average when the load started; the page\'s whole ' +
      'download, bytes sent / decoded (server log)');
  const byPage = new Map();
  for (const run of r.coldRuns) {
    lines.push(`  ${run.page.padEnd(48)} load ${run.load.toFixed(2)}  ` +
        Object.entries(run.marks).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') +
        `; ${run.download.bytes} / ${run.download.decodedBytes} B in ${run.download.files} files` +
        (run.compressions ? ` (NOTE: ${run.compressions} compressed during the load)` : ''));
    if (r.options.verbose) {
      for (const e of run.resources) {
        lines.push(`      ${e.path.padEnd(54)} start ${fmt(e.start).padStart(8)} first byte ` +
            `${fmt(e.responseStart).padStart(8)} end ${fmt(e.end).padStart(8)} body ` +
            `${String(e.encodedBodySize).padStart(8)} / ` +
            `${String(e.decodedBodySize).padStart(8)} B`);
      }
    }
    const last = run.marks.ready ?? run.marks.moduleScript;
    if (!byPage.has(run.page)) byPage.set(run.page, { ready: [], sent: [], decoded: [] });
    const p = byPage.get(run.page);
    p.ready.push(last);
    p.sent.push(run.download.bytes);
    p.decoded.push(run.download.decodedBytes);
  }
  lines.push('per page: ready (floor: its module script ran), all values in run order, median; ' +
      'download sent / decoded (medians)');
  for (const [name, p] of byPage) {
    const s = summarize(p.ready);
    const fast = name.startsWith('library') || name.includes('pruned');
    lines.push(`  ${name.padEnd(48)} ${p.ready.map(fmt).join(' ')}  median ${fmt(s.median)}; ` +
        `${summarize(p.sent).median} / ${summarize(p.decoded).median} B` +
        (fast ? `  (fast configuration targets: <= ${FAST_COLD_START_MS} ms ` +
        `${s.median <= FAST_COLD_START_MS ? 'MET' : 'NOT MET'}, <= ${FAST_DOWNLOAD_BYTES} B sent ` +
        `${summarize(p.sent).median <= FAST_DOWNLOAD_BYTES ? 'MET' : 'NOT MET'})` : ''));
  }
  if (r.pageErrors.length) lines.push(`page errors: ${r.pageErrors.join(' | ')}`);
  return lines.join('\n');
}

/**
 * @param {!Object} r result of run()
 * @return {string} the human-readable report
 */
function report(r) {
  const lines = [];
  const fa = r.faceapi;
  const first = r.configurations[0];
  lines.push(`${r.browser}, ${r.cpus} x ${r.cpuModel}; wasm SIMD, ` +
      (r.options.threads > 1 ? `each embedder on one thread, then on ${r.options.threads} ` +
      '(faceunlock_core_mt)' : 'one thread') + `; crossOriginIsolated=${first.crossOriginIsolated}`);
  if (r.options.jsFlags) lines.push(`V8 flags (not what users run): ${r.options.jsFlags}`);
  lines.push(`load average (1 min) before ${r.loadAverageBefore[0].toFixed(2)}, after ` +
      `${r.loadAverageAfter[0].toFixed(2)}`);
  lines.push(`frames: ${r.photos.length} photos from ${r.framesSource}, each in a 640x480 canvas` +
      (r.options.hold > 1 ? `, held for ${r.options.hold} frames each (drifting by sub-pixel ` +
      'steps, sensor noise on every frame)' : ', a different photo every frame'));
  lines.push(`faceunlock core: ${first.coreUrl} (${first.mode})`);
  if (first.mode !== 'engine') {
    lines.push('  NOTE: no Engine in this build: detector + embedder Network.run() only ' +
        '(no decoding, alignment, matching): a lower bound, not the pipeline');
  }
  const row = (name, s, extra = '') => lines.push(
      `${name.padEnd(42)} ${fmt(s?.median).padStart(8)} ${fmt(s?.p90).padStart(8)} ` +
      `${fmt(s?.p99).padStart(8)} ${fmt(s?.mean).padStart(8)} ${fmt(s?.min).padStart(8)} ` +
      `${fmt(s?.max).padStart(8)} ${String(s?.n ?? '-').padStart(6)}  ${extra}`);
  const header = () => lines.push(`${'ms per frame'.padEnd(42)} ${'median'.padStart(8)} ` +
      `${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'mean'.padStart(8)} ${'min'.padStart(8)} ` +
      `${'max'.padStart(8)} ${'n'.padStart(6)}`);
  const verdict = (ok) => (ok ? 'MET' : 'NOT MET');
  const tiny = fa.tiny_full.withFace.median;
  const ssd = fa.ssd_full.withFace.median;

  for (const fu of r.configurations) {
    lines.push('');
    lines.push(`=== configuration: embedder ${fu.embedder}` +
        `${fu.landmarks ? ` + landmarks ${fu.landmarks}` : ''}, ${fu.coreUrl}, ${fu.threads} ` +
        `thread(s) ===`);
    header();
    for (const [stage, s] of Object.entries(fu.ms.stages)) {
      const name = stage === 'match' ? `match (${fu.enrolledTemplates} templates)` :
          stage === 'total' ? 'timings.total (engine\'s own)' : stage;
      row(`faceunlock ${name}`, s);
    }
    lines.push(`${''.padEnd(42)} (processFrame options: requireQuality ` +
        `${r.options.requireQuality}, embed and match on)`);
    row('faceunlock sum of stage timings', fu.ms.stageSum);
    row('faceunlock processFrame call (JS clock)', fu.ms.processFrame);
    row('  of which outside the stage timings', fu.ms.outsideStages);
    row('frameView + set (RGBA copy)', fu.ms.copy);
    row('faceunlock copy + processFrame', fu.ms.engineCall);
    for (const [name, s] of Object.entries(fu.networkPass)) {
      row(`one ${name} pass (core.Network.run)`, s, `${s.inputShape.join('x')}, ` +
          `${(2 * s.multiplyAdds / (s.median * 1e6)).toFixed(1)} GFLOP/s` +
          (s.group > 1 ? `, timed ${s.group} passes at a time` : ''));
    }
    row('frame read 640x480 (FrameReader)', fu.ms.capture);
    row('  drawImage + getImageData instead', fu.ms.canvasRead);
    row('faceunlock end to end (from canvas)', fu.ms.endToEnd);
    lines.push(`frames: ${fu.frames}, with a face ${fu.framesWithFace}, quality ok ` +
        `${fu.framesQualityOk}, embedded ${fu.framesEmbedded}, refine reused ` +
        `${fu.framesRefineReused} (detection too: ${fu.framesDetectionReused}), accepted ${fu.framesAccepted} (random gallery: expect 0), ` +
        `embedding length ${fu.embeddingLength}`);
    const e2e = fu.ms.endToEnd.median;
    const m = fu.coldStartMarks;
    lines.push(`end to end median ${fmt(e2e)} ms; ratio to face-api (medians over frames with a ` +
        'face; < 1 = faceunlock faster):');
    for (const [name, median] of [['Tiny', tiny], ['SSD', ssd]]) {
      lines.push(`  vs ${name.padEnd(5)} ${(e2e / median).toFixed(3)}  (speed-up ` +
          `${(median / e2e).toFixed(2)}x)`);
    }
    lines.push(`  embed stage / face-api descriptor only: ` +
        `${(fu.ms.stages.embed.median / fa.descriptorOnly.median).toFixed(3)}`);
    lines.push(`cold start: ${fmt(fu.coldStartMs)} ms from navigation to engine ready ` +
        `(html received at ${fmt(m.htmlReceived)}, bench.js ran at ${fmt(m.scriptStart)}, core ` +
        `module imported ${fmt(m.moduleImported)}, instantiated ${fmt(m.coreInstantiated)}, ` +
        `models fetched ${fmt(m.modelsFetched)}; localhost: transfer time is near zero)` +
        (fu.compressionsDuringColdStart ? `; NOTE: ${fu.compressionsDuringColdStart} file(s) ` +
        'compressed during it, so it includes compression time' : ''));
    lines.push(`download, bytes sent (Content-Encoding as served) and decoded:`);
    const downloadRow = (name, sent, decoded, encoding) => lines.push(`  ${name.padEnd(52)} ` +
        `${String(sent).padStart(10)} ${String(decoded).padStart(10)}  ${encoding}`);
    for (const [file, f] of Object.entries(fu.download.files)) {
      downloadRow(file, f.bytes, f.decodedBytes, f.encoding);
    }
    const lib = fu.library;
    downloadRow('library JS: web/lib bundled, esbuild --minify', lib.bytes, lib.decodedBytes,
        `${lib.encoding} (${lib.onDiskFiles} files on disk, unminified: ${lib.onDisk} B)`);
    downloadRow('total', fu.total.bytes, fu.total.decodedBytes, `${mib(fu.total.bytes)} sent`);
    // Issue 9's targets; which configuration each applies to is the reader's call, so both.
    lines.push(`targets, accurate configuration: <= ${ACCURATE_FRAME_MS} ms ` +
        `${verdict(e2e <= ACCURATE_FRAME_MS)}; >= ${ACCURATE_SPEEDUP_VS_TINY}x Tiny ` +
        `${verdict(tiny / e2e >= ACCURATE_SPEEDUP_VS_TINY)}`);
    lines.push(`targets, fast configuration: <= ${FAST_FRAME_MS} ms ` +
        `${verdict(e2e <= FAST_FRAME_MS)}; download <= ${FAST_DOWNLOAD_BYTES} B ` +
        `${verdict(fu.total.bytes <= FAST_DOWNLOAD_BYTES)} (counted as sent: ` +
        `${servedAs(r.options)}; ${fu.total.decodedBytes} B decoded, ` +
        `${verdict(fu.total.decodedBytes <= FAST_DOWNLOAD_BYTES)} uncompressed); cold start <= ` +
        `${FAST_COLD_START_MS} ms ${verdict(fu.coldStartMs <= FAST_COLD_START_MS)}`);
    const a = fu.memoryAfterWarmup;
    const h = fu.memoryAtHalf;
    const b = fu.memoryAfterFrames;
    const heapGrowth = b.cdpHeapUsed - a.cdpHeapUsed;
    const halfFrames = fu.frames >> 1;
    lines.push(`memory, bytes (after forced GC)      after warm-up ${`after ${halfFrames}`
        .padStart(12)} ${`after ${fu.frames}`.padStart(12)}   change (warm-up -> end)`);
    const memRow = (name, x, mid, y) => lines.push(`  ${name.padEnd(34)} ` +
        `${String(x).padStart(12)} ${String(mid).padStart(12)} ${String(y).padStart(12)} ` +
        `${String(y === null || x === null ? '-' : y - x).padStart(9)}`);
    memRow('wasm memory', a.wasmMemoryBytes, h.wasmMemoryBytes, b.wasmMemoryBytes);
    memRow('JS heap used (CDP getHeapUsage)', a.cdpHeapUsed, h.cdpHeapUsed, b.cdpHeapUsed);
    memRow('JS heap used (performance.memory)', a.jsHeapUsed, h.jsHeapUsed, b.jsHeapUsed);
    lines.push(`  no growth: ${verdict(b.wasmMemoryBytes === a.wasmMemoryBytes &&
        heapGrowth <= HEAP_GROWTH_TOLERANCE_BYTES)} (wasm memory unchanged and JS heap growth ` +
        `<= ${HEAP_GROWTH_TOLERANCE_BYTES} B)`);
  }

  lines.push('');
  lines.push('=== face-api (tfjs-backend-wasm), same run, same frames ===');
  header();
  for (const [name, key] of [['SSD', 'ssd'], ['Tiny(416)', 'tiny']]) {
    const full = fa[`${key}_full`];
    const detect = fa[`${key}_detect`];
    row(`face-api ${name} full pipeline`, full, `${full.found} with a face`);
    row(`face-api ${name} full, frames with a face`, full.withFace);
    row(`face-api ${name} detect only`, detect, `${detect.found} with a face`);
  }
  row('face-api descriptor only', fa.descriptorOnly, `${fa.descriptorOnly.faces} aligned faces`);
  lines.push(`face-api init: tfjs wasm backend ${fmt(fa.init.backendMs)} ms + 4 nets ` +
      `${fmt(fa.init.modelsMs)} ms (not from navigation; backend ${fa.init.backend}, simd ` +
      `${fa.init.simd}, threads ${fa.init.threads}, fetched ${fa.init.wasmFiles.join(', ')})`);
  if (fa.init.compressionsDuringLoad) {
    lines.push(`  NOTE: ${fa.init.compressionsDuringLoad} face-api file(s) compressed during its ` +
        'init, which includes that time');
  }
  const { ssd: withSsd, tiny: withTiny } = fa.downloadBytes;
  lines.push(`face-api download (same server, same rules: ${servedAs(r.options)}), sent and ` +
      `decoded: with SSD ${withSsd.bytes} B (${withSsd.decodedBytes} decoded), with Tiny ` +
      `${withTiny.bytes} B (${withTiny.decodedBytes} decoded)`);
  for (const [file, f] of Object.entries(fa.downloadFiles)) {
    lines.push(`  ${file.replace('/node_modules/', '').padEnd(64)} ` +
        `${String(f.bytes).padStart(10)} ${String(f.decodedBytes).padStart(10)}  ${f.encoding}`);
  }
  lines.push(`  face-api live tensors: after loading ${fa.memoryAfterLoad.faceapiTensors} ` +
      `(${fa.memoryAfterLoad.faceapiTensorBytes} B of weights), after its runs ` +
      `${fa.memoryAfter.faceapiTensors} (${fa.memoryAfter.faceapiTensorBytes} B)`);

  lines.push('');
  lines.push('summary (end to end medians; speed-up = face-api Tiny full pipeline / faceunlock):');
  lines.push(`  ${'embedder'.padEnd(40)} ${'threads'.padStart(7)} ${'ms'.padStart(8)} ` +
      `${'embed ms'.padStart(8)} ${'vs Tiny'.padStart(8)} ` +
      `${'vs SSD'.padStart(8)} ${'cold ms'.padStart(8)} ${'sent B'.padStart(9)} ` +
      `${'decoded B'.padStart(9)}`);
  for (const fu of r.configurations) {
    const e2e = fu.ms.endToEnd.median;
    const name = fu.landmarks ? `${fu.embedder} + landmarks` : fu.embedder;
    lines.push(`  ${name.padEnd(40)} ${String(fu.threads).padStart(7)} ` +
        `${fmt(e2e).padStart(8)} ${fmt(fu.ms.stages.embed?.median).padStart(8)} ` +
        `${`${(tiny / e2e).toFixed(2)}x`.padStart(8)} ${`${(ssd / e2e).toFixed(2)}x`.padStart(8)} ` +
        `${fmt(fu.coldStartMs).padStart(8)} ${String(fu.total.bytes).padStart(9)} ` +
        `${String(fu.total.decodedBytes).padStart(9)}`);
  }
  lines.push('  (download: core + models as the server sent them + the library bundled, ' +
      `minified; ${servedAs(r.options)})`);
  // What the landmark model adds: each configuration with it against the one measured just
  // before it, without (the same embedder and core). Each configuration loads in a new tab, so
  // neither reuses the other's compiled core; give an --embedder twice to see the remaining
  // run-to-run spread of the cold start.
  r.configurations.forEach((withLandmarks, i) => {
    const without = r.configurations[i - 1];
    if (!withLandmarks.landmarks || !without || without.landmarks ||
        without.embedder !== withLandmarks.embedder || without.coreUrl !== withLandmarks.coreUrl) {
      return;
    }
    // Signed: with the model a median can come out lower (run-to-run spread, or the tracker
    // reusing boxes: with --hold most frames skip the refine pass either way).
    const delta = (pick) => {
      const d = pick(withLandmarks) - pick(without);
      return `${d < 0 ? '-' : '+'}${fmt(Math.abs(d))}`;
    };
    lines.push(`landmarks, ${withLandmarks.embedder}: refine stage median ` +
        `${delta((c) => c.ms.stages.refine?.median)} ms, end to end ` +
        `${delta((c) => c.ms.endToEnd.median)} ms, one landmarks pass ` +
        `${fmt(withLandmarks.networkPass.landmarks?.median)} ms; cold start ` +
        `${delta((c) => c.coldStartMs)} ms, download +` +
        `${withLandmarks.total.bytes - without.total.bytes} B sent ` +
        `(${withLandmarks.total.decodedBytes - without.total.decodedBytes} B decoded)`);
  });
  // int8 against float32: each X-int8.fum configuration against X.fum measured in the same run,
  // on the same core and thread count, one embedder pass (Network.run) each.
  const passes = r.configurations.filter((c) => !c.landmarks && c.networkPass.embedder);
  for (const int8 of passes.filter((c) => c.embedder.endsWith('-int8.fum'))) {
    const float = passes.find((c) => c.embedder === int8.embedder.replace(/-int8\.fum$/, '.fum') &&
        c.coreUrl === int8.coreUrl && c.threads === int8.threads);
    if (!float) continue;
    const ratio = float.networkPass.embedder.median / int8.networkPass.embedder.median;
    lines.push(`int8 against float32, one embedder pass, ${int8.threads} thread(s): ` +
        `${float.embedder} ${fmt(float.networkPass.embedder.median)} ms / ${int8.embedder} ` +
        `${fmt(int8.networkPass.embedder.median)} ms = ${ratio.toFixed(2)}x (issue 9: >= ` +
        `${INT8_SPEEDUP}x ${verdict(ratio >= INT8_SPEEDUP)})`);
  }
  if (r.pageErrors.length) lines.push(`page errors: ${r.pageErrors.join(' | ')}`);
  return lines.join('\n');
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'frames': { type: 'string', default: '1000' },
        'warmup': { type: 'string', default: '20' },
        'users': { type: 'string', default: '100' },
        'embedder': { type: 'string', multiple: true },
        'hold': { type: 'string', default: '1' },
        'threads': { type: 'string', default: '1' },
        'landmarks': { type: 'string' },
        'core': { type: 'string', multiple: true },
        'js-flags': { type: 'string' },
        'cold-runs': { type: 'string' },
        'library': { type: 'boolean', default: false },
        'encodings': { type: 'string', default: DEFAULT_ENCODINGS.join(',') },
        'compress-models': { type: 'boolean', default: false },
        'with-js-crc': { type: 'boolean', default: false },
        'trace': { type: 'string' },
        'faceapi-frames': { type: 'string', default: '100' },
        'faceapi-warmup': { type: 'string', default: '5' },
        'require-quality': { type: 'boolean', default: false },
        'json': { type: 'boolean', default: false },
        'verbose': { type: 'boolean', default: false },
        'help': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const options = {
    frames: wholeNumber(values.frames, '--frames', 1),
    warmup: wholeNumber(values.warmup, '--warmup', 1),
    users: wholeNumber(values.users, '--users', 0),
    faceapiFrames: wholeNumber(values['faceapi-frames'], '--faceapi-frames', 1),
    faceapiWarmup: wholeNumber(values['faceapi-warmup'], '--faceapi-warmup', 1),
    embedders: (values.embedder ?? ['models/dlib-resnet-int8.fum'])
        .map((file) => modelPath(file, '--embedder')),
    hold: wholeNumber(values.hold, '--hold', 1),
    threads: wholeNumber(values.threads, '--threads', 1),
    landmarks: values.landmarks ? modelPath(values.landmarks, '--landmarks') : null,
    cores: values.core ?? [],
    jsFlags: values['js-flags'] ?? null,
    coldRuns: values['cold-runs'] ? wholeNumber(values['cold-runs'], '--cold-runs', 1) : 0,
    library: values.library,
    encodings: encodingList(values.encodings),
    compressModels: values['compress-models'],
    withJsCrc: values['with-js-crc'],
    trace: values.trace ?? null,
    requireQuality: values['require-quality'],
    json: values.json,
    verbose: values.verbose,
  };
  if (options.withJsCrc && !(options.coldRuns && options.library)) {
    console.error(`--with-js-crc adds a page to --cold-runs N --library\n${USAGE}`);
    process.exit(2);
  }
  if (options.cores.length > 1 && !options.coldRuns) {
    console.error(`--core more than once compares cold starts only: add --cold-runs N\n${USAGE}`);
    process.exit(2);
  }
  const result = await run(options);
  console.log(options.json ? JSON.stringify(result, null, 2) :
    options.coldRuns ? coldReport(result) : report(result));
}

/**
 * --encodings: `br,gzip` -> ['br', 'gzip'], `none` -> [] (identity only).
 * @param {string} text
 * @return {!Array<string>}
 */
function encodingList(text) {
  try {
    return text === 'none' ? [] : checkEncodings(text.split(',').map((name) => name.trim()));
  } catch (error) {
    console.error(`--encodings ${text}: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
}

/**
 * A model option (--embedder, --landmarks) as a path inside the repository (the server serves
 * nothing else).
 * @param {string} file
 * @param {string} flag
 * @returns {string}
 */
function modelPath(file, flag) {
  const relative = path.relative(repoRoot, path.resolve(file));
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    console.error(`${flag} ${file}: the model must be inside the repository (${repoRoot})`);
    process.exit(2);
  }
  return relative;
}

main().catch((error) => {
  console.error(`browser-bench: ${error.message}`);
  process.exit(1);
});
