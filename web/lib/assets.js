/**
 * @file Fetching the binary assets (models, the .wasm) from whatever the caller gave: bytes, or
 * a URL. The default URLs are built with `new URL('...', import.meta.url)` so that bundlers
 * (Vite, webpack 5, Parcel) see them, copy the files and rewrite the URLs. In Node, file: URLs
 * (the defaults, when the package is imported from node_modules) are read from disk.
 *
 * Model files are checked before the engine sees them (magic, size and the CRC-32 in their
 * 32-byte header, docs/model-format.md), so a truncated or altered download fails with a message
 * that names the file and says what is wrong with it.
 */

import { FaceUnlockError, messageOf } from './errors.js';

// Written as `new URL('<literal>', import.meta.url)`, the form bundlers rewrite to the file they
// copy into the build. The shipped models are gzip files (scripts/build.sh makes them from
// models/*.fum): most hosts send model weights as they are, whatever their type, so the package
// compresses them itself (a fifth to nearly a third smaller) and the browser's own
// DecompressionStream unpacks them (gunzipModel).
const SHIPPED = {
  detector: new URL('../../models/blazeface-short.fum.gz', import.meta.url),
  embedder: new URL('../../models/dlib-resnet-int8.fum.gz', import.meta.url),
  fastEmbedder: new URL('../../models/dlib-resnet-pruned-int8.fum.gz', import.meta.url),
  landmarks: new URL('../../models/face-landmarks-68.fum.gz', import.meta.url),
  wasm: new URL('../dist/faceunlock_core.wasm', import.meta.url),
};

/**
 * True when this code runs from Vite's dev-server copy of the package: in development Vite
 * bundles dependencies into <root>/node_modules/.vite/deps/ and serves them from there, so the
 * URLs above miss their files (a known Vite limitation, vitejs/vite#11095): the detector's
 * resolves to node_modules/models/, where no package layout puts it. Production builds, webpack,
 * plain pages and Node never match. (import.meta.url itself is not tested: webpack would write
 * the build machine's path into the bundle.)
 */
export const IN_VITE_DEPS = /\/node_modules\/models\/blazeface-short\.fum\.gz$/.test(SHIPPED.detector.pathname);

/**
 * A file of the package where Vite's dev server serves it: node_modules/faceunlock/<path>.
 * @param {string} pathInPackage
 * @returns {URL}
 */
export function devServerFile(pathInPackage) {
  // Relative to a variable, not to import.meta.url: Vite would take a template literal there
  // for a glob of files.
  return new URL(`../faceunlock/${pathInPackage}`, SHIPPED.detector);
}

/** The models shipped in the package's models/ folder (two levels above this file), gzipped. */
export const DEFAULT_MODELS = Object.freeze(IN_VITE_DEPS ? {
  detector: devServerFile('models/blazeface-short.fum.gz'),
  embedder: devServerFile('models/dlib-resnet-int8.fum.gz'),
  fastEmbedder: devServerFile('models/dlib-resnet-pruned-int8.fum.gz'),
  landmarks: devServerFile('models/face-landmarks-68.fum.gz'),
} : {
  detector: SHIPPED.detector, embedder: SHIPPED.embedder, fastEmbedder: SHIPPED.fastEmbedder,
  landmarks: SHIPPED.landmarks,
});

/**
 * The shipped embedders by the name FaceUnlock's `embedder` option gives them: 'accurate' is
 * dlib's ResNet in int8 (5.6 MB; it declares the float network's identity, whose embeddings it
 * reproduces, and embeds twice as fast in WebAssembly), 'fast' dlib-resnet-pruned in int8
 * (1.18 MB, a fifth of the multiply-adds): dlib's ResNet narrowed by `faceunlock prune` and
 * distilled back towards it (models/README.md).
 * Their embeddings live in different spaces: templates enrolled with one do not match the other.
 */
export const EMBEDDER_CHOICES = Object.freeze({
  accurate: DEFAULT_MODELS.embedder,
  fast: DEFAULT_MODELS.fastEmbedder,
});

/** The engine's WebAssembly binary, beside its loader in web/dist/. */
export const DEFAULT_WASM = IN_VITE_DEPS ? devServerFile('web/dist/faceunlock_core.wasm') : SHIPPED.wasm;

/**
 * The multi-threaded core's loader, beside the single-threaded core's .wasm; its own .wasm and
 * .worker.js sit beside it, where it finds them itself. Not a `new URL(literal,
 * import.meta.url)`, so bundlers neither copy it nor fail without it (a webpack app built with
 * `new URL(['..', 'dist', name].join('/'), import.meta.url)` here never started: tests/bundlers):
 * the npm package ships the three web/dist/faceunlock_core_mt.* files, and a bundled app that
 * wants threads copies them beside its bundle itself and passes `wasm.mtUrl`.
 */
export const DEFAULT_MT_LOADER = IN_VITE_DEPS ? devServerFile('web/dist/faceunlock_core_mt.mjs') :
  new URL('faceunlock_core_mt.mjs', SHIPPED.wasm);

/** True in Node (and runtimes that copy its `process.versions.node`), false in browsers. */
export function inNode() {
  return typeof process === 'object' && typeof process.versions?.node === 'string';
}

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
 * Reads a file: URL in Node. The module name is held in a variable and marked for both
 * bundlers, so that neither Vite nor webpack tries to bundle node:fs for the browser, where this
 * code never runs.
 * @param {string} what
 * @param {string} url
 * @returns {Promise<Uint8Array>}
 */
async function readFileUrl(what, url) {
  const fsModule = 'node:fs/promises';
  try {
    const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ fsModule);
    const buffer = await fs.readFile(new URL(url));
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    const code = /** @type {{code?: string}} */ (e)?.code;
    const advice = code === 'ENOENT' ? '; the file does not exist (in a checkout, web/dist/ ' +
        'is made by `bash scripts/build.sh`)' : '';
    throw new FaceUnlockError('load-failed', `cannot load ${what} from ${url}: ` +
        `${messageOf(e)}${advice}`, { cause: e });
  }
}

/**
 * @typedef {object} DownloadProgress
 * @property {number} loaded bytes received so far, over every file of the download
 * @property {number | null} total bytes expected, or null while a server has not said
 */

/**
 * Adds up several files' progress into one {loaded, total} for the caller's callback.
 */
export class ProgressSum {
  /**
   * @param {((p: DownloadProgress) => void) | undefined} onProgress
   * @param {number} files how many files will report
   */
  constructor(onProgress, files) {
    this._onProgress = onProgress;
    /** @type {{loaded: number, total: number | null}[]} */
    this._parts = Array.from({ length: files }, () => ({ loaded: 0, total: null }));
  }

  /**
   * @param {number} index which file
   * @param {number} loaded
   * @param {number | null} total
   */
  report(index, loaded, total) {
    if (!this._onProgress) return;
    this._parts[index] = { loaded, total };
    const sum = this._parts.reduce((a, p) => a + p.loaded, 0);
    const known = this._parts.every((p) => p.total !== null);
    const sumTotal = known ? this._parts.reduce((a, p) => a + /** @type {number} */ (p.total), 0) : null;
    this._onProgress({ loaded: sum, total: sumTotal });
  }
}

/**
 * @param {Response} response
 * @param {(loaded: number, total: number | null) => void} report
 * @returns {Promise<Uint8Array>}
 */
async function readBody(response, report) {
  const header = Number(response.headers.get('content-length'));
  // A compressed response's length counts the compressed bytes: only trust it as a total when
  // the body arrives as sent.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  let total = Number.isFinite(header) && header > 0 && !encoded ? header : null;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    report(bytes.length, bytes.length);
    return bytes;
  }
  report(0, total);
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    if (total !== null && loaded > total) total = null;
    report(loaded, total);
  }
  report(loaded, loaded);
  return joinChunks(chunks, loaded);
}

/**
 * @param {Uint8Array[]} chunks a stream's pieces, in order
 * @param {number} length their total length
 * @returns {Uint8Array} one array of them (the piece itself when there is one)
 */
function joinChunks(chunks, length) {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * @param {string} what e.g. "the detector model"
 * @param {unknown} input bytes or a URL
 * @param {(loaded: number, total: number | null) => void} [report] download progress
 * @returns {Promise<Uint8Array>}
 */
export async function loadBytes(what, input, report = () => {}) {
  const bytes = asBytes(input);
  if (bytes) {
    report(bytes.length, bytes.length);
    return bytes;
  }
  if (!isUrlLike(input)) {
    throw new FaceUnlockError('invalid-argument',
        `cannot load ${what}: expected a URL, a string, an ArrayBuffer or a Uint8Array`);
  }
  const url = String(input);
  if (url.startsWith('file:') && inNode()) {
    const data = await readFileUrl(what, url);
    report(data.length, data.length);
    return data;
  }
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new FaceUnlockError('load-failed', `cannot load ${what} from ${url}: ${messageOf(e)}`,
        { cause: e });
  }
  if (!response.ok) {
    throw new FaceUnlockError('load-failed', `cannot load ${what} from ${url}: HTTP ` +
        `${response.status} ${response.statusText}; check that the file is served at that URL`);
  }
  try {
    return await readBody(response, report);
  } catch (e) {
    throw new FaceUnlockError('load-failed', `cannot load ${what} from ${url}: the download ` +
        `broke off (${messageOf(e)})`, { cause: e });
  }
}

/** @type {Uint32Array | null} */
let crcTables = null;

/**
 * CRC-32 (IEEE 802.3, reflected, as zlib and PNG compute it), the checksum of src/base. Eight
 * bytes per step (slicing-by-8): on a first visit this loop runs over both models (0.75 MB for
 * 'fast') before V8 has optimised it, and there an eighth of the iterations counts most.
 * @param {Uint8Array} bytes
 * @param {number} [start]
 * @returns {number} unsigned 32-bit
 */
export function crc32(bytes, start = 0) {
  if (!crcTables) {
    // Table k gives the CRC of a byte followed by k zero bytes.
    crcTables = new Uint32Array(8 * 256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTables[n] = c >>> 0;
    }
    for (let n = 0; n < 256; n++) {
      for (let k = 1; k < 8; k++) {
        const previous = crcTables[(k - 1) * 256 + n];
        crcTables[k * 256 + n] = (previous >>> 8) ^ crcTables[previous & 0xff];
      }
    }
  }
  const t = crcTables;
  let c = 0xffffffff;
  let i = start;
  for (const end = bytes.length - 7; i < end; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^
        t[1024 + (a >>> 24)] ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^
        t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const MODEL_MAGIC = 'FUMODEL\0';
const HEADER_SIZE = 32;

/**
 * Checks a model file's 32-byte header and its body's CRC-32 (docs/model-format.md), so that a
 * damaged download is reported as such, with the file's name, rather than as a model the engine
 * cannot read. loadModels() checks the header only (`checksum: false`): the engine checks the
 * CRC-32 again while it parses the file, and a second pass in JavaScript cost a first visit
 * some tens of ms (bench/README.md, "Tried for the fast configuration's cold start"), so the
 * JavaScript CRC runs only once the engine has refused a model (findDamagedModel).
 * @param {string} what e.g. "the detector model"
 * @param {unknown} source where the bytes came from (a URL, or bytes)
 * @param {Uint8Array} bytes
 * @param {{checksum?: boolean}} [options] checksum: false checks the header and size only
 */
export function checkModelFile(what, source, bytes, { checksum = true } = {}) {
  const from = whence(source);
  const fail = (/** @type {string} */ reason) => {
    throw new FaceUnlockError('load-failed', `cannot use ${what}${from}: ${reason}`);
  };
  if (bytes.length < HEADER_SIZE) {
    fail(`it has ${bytes.length} bytes, fewer than the ${HEADER_SIZE}-byte header of a ` +
        'faceunlock model file (.fum)');
  }
  for (let i = 0; i < MODEL_MAGIC.length; i++) {
    if (bytes[i] !== MODEL_MAGIC.charCodeAt(i)) {
      const looksLikeHtml = bytes[0] === 0x3c; // '<'
      fail('it is not a faceunlock model file (.fum): it does not start with FUMODEL' +
          (looksLikeHtml ? '; it looks like an HTML page, so the server probably answered ' +
            'with an error or index page instead of the file' : ''));
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodySize = Number(view.getBigUint64(16, true));
  if (bodySize !== bytes.length - HEADER_SIZE) {
    fail(`its header announces ${bodySize + HEADER_SIZE} bytes but ${bytes.length} arrived; ` +
        'the download is incomplete or the file was cut');
  }
  if (!checksum) return;
  const stored = view.getUint32(24, true);
  const actual = crc32(bytes, HEADER_SIZE);
  if (stored !== actual) {
    fail(`its checksum does not match (CRC-32 ${hex(actual)}, the header says ${hex(stored)}); ` +
        'the file was damaged or altered on the way: fetch it again, and check that no proxy or ' +
        'server rewrites .fum files');
  }
}

/**
 * Where a model came from, as its errors say it: " from URL" or " (the bytes passed in)".
 * @param {unknown} source
 */
function whence(source) {
  return isUrlLike(source) ? ` from ${String(source)}` : ' (the bytes passed in)';
}

/** @param {number} n */
function hex(n) {
  return '0x' + n.toString(16).padStart(8, '0');
}

/**
 * The embedder to load: `models.embedder` when given, else the shipped one `choice` names.
 * @param {{embedder?: unknown} | undefined} models
 * @param {unknown} choice FaceUnlock's `embedder` option
 * @returns {unknown}
 */
function embedderSource(models, choice) {
  if (choice !== undefined && !Object.hasOwn(EMBEDDER_CHOICES, /** @type {any} */ (choice))) {
    throw new FaceUnlockError('invalid-argument',
        `embedder must be 'accurate' or 'fast', got ${JSON.stringify(choice)}`);
  }
  if (choice !== undefined && models?.embedder !== undefined) {
    throw new FaceUnlockError('invalid-argument',
        'give embedder (a shipped model) or models.embedder (your own file), not both');
  }
  return models?.embedder ?? EMBEDDER_CHOICES[/** @type {'accurate' | 'fast'} */ (choice ?? 'accurate')];
}

/**
 * The models, checked, with one progress report over every download: the detector, the
 * embedder and the 68-point landmark model, which aligns faces and feeds the liveness challenge.
 * `models.landmarks` set loads that; unset, the shipped one loads when `landmarksByDefault` is
 * true (FaceUnlock created with liveness on); null never loads one.
 * @param {{detector?: unknown, embedder?: unknown, landmarks?: unknown} | undefined} models
 * @param {((p: DownloadProgress) => void) | undefined} onProgress
 * @param {unknown} [embedder] 'accurate' (default) or 'fast': which shipped embedder
 * @param {boolean} [landmarksByDefault]
 * @returns {Promise<[Uint8Array, Uint8Array, Uint8Array | undefined]>} detector, embedder,
 *     landmarks (undefined when none loads)
 */
export async function loadModels(models, onProgress, embedder, landmarksByDefault = false) {
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new FaceUnlockError('invalid-argument', 'onProgress must be a function ({loaded, total})');
  }
  const sources = [models?.detector ?? DEFAULT_MODELS.detector, embedderSource(models, embedder)];
  const names = ['the detector model', 'the embedder model'];
  const landmarks = models?.landmarks === undefined && landmarksByDefault ?
    DEFAULT_MODELS.landmarks : models?.landmarks;
  if (landmarks !== undefined && landmarks !== null) {
    sources.push(landmarks);
    names.push('the landmark model');
  }
  const progress = new ProgressSum(onProgress, sources.length);
  const loaded = await Promise.all(sources.map(async (source, i) => {
    const bytes = await gunzipModel(names[i], source,
        await loadBytes(names[i], source, (l, t) => progress.report(i, l, t)));
    checkModelFile(names[i], source, bytes, { checksum: false });
    loadedModels.set(bytes, { what: names[i], source });
    return bytes;
  }));
  return [loaded[0], loaded[1], loaded[2]];
}

/**
 * A model file as the engine reads it: gzip-compressed bytes (the shipped .fum.gz files, or a
 * user's own) unpacked with the platform's DecompressionStream (browsers and Node 18+), anything
 * else as it is: a model file starts with FUMODEL, a gzip stream with 1f 8b, so a host that
 * already undid the compression (Content-Encoding: gzip on .gz files) is no problem.
 * @param {string} what e.g. "the detector model"
 * @param {unknown} source where the bytes came from (for the error)
 * @param {Uint8Array} bytes
 * @param {number} [maxBytes] the most it unpacks to (tests lower it)
 * @returns {Promise<Uint8Array>}
 */
export async function gunzipModel(what, source, bytes, maxBytes = MAX_MODEL_BYTES) {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const from = whence(source);
  if (typeof DecompressionStream !== 'function') {
    throw new FaceUnlockError('load-failed', `cannot use ${what}${from}: it is gzip-compressed ` +
        'and this browser has no DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 and ' +
        'later have it); pass the uncompressed .fum file instead');
  }
  // Read piece by piece, so that a stream that unpacks to far more than any model (a damaged or
  // hostile file) stops at the limit instead of exhausting the tab's memory.
  /** @type {Uint8Array[]} */
  const pieces = [];
  let total = 0;
  try {
    // Bytes over shared memory, which Blob refuses, end in the catch below like damaged ones.
    const reader = new Blob([/** @type {BlobPart} */ (bytes)]).stream()
        .pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new FaceUnlockError('load-failed', `cannot use ${what}${from}: it unpacks to more ` +
            `than ${maxBytes} bytes, more than any model file; it is not a faceunlock model`);
      }
      pieces.push(value);
    }
  } catch (e) {
    if (e instanceof FaceUnlockError) throw e;
    throw new FaceUnlockError('load-failed', `cannot use ${what}${from}: it is gzip-compressed ` +
        `but does not decompress (${messageOf(e)}); the download was cut or damaged: fetch it ` +
        'again', { cause: e });
  }
  return joinChunks(pieces, total);
}

/** Largest model gunzipModel unpacks: the shipped ones are 0.2 to 5.6 MB, dlib's float 6.5. */
const MAX_MODEL_BYTES = 256 * 1024 * 1024;

/** What loadModels() loaded: bytes -> the name and source its errors give. */
const loadedModels = new WeakMap();

/**
 * Once the engine has refused the models: the first of them (loadModels()'s result) whose
 * CRC-32 does not match, as the error that names it, or null when all are intact (the engine's
 * own error then stands).
 * @param {(Uint8Array | undefined)[]} models
 * @returns {FaceUnlockError | null}
 */
export function findDamagedModel(models) {
  for (const bytes of models) {
    const loaded = bytes && loadedModels.get(bytes);
    if (!loaded) continue;
    try {
      checkModelFile(loaded.what, loaded.source, bytes);
    } catch (e) {
      if (e instanceof FaceUnlockError) return e;
      throw e;
    }
  }
  return null;
}

/**
 * The `wasm` option as the engine wants it. In Node the .wasm is read from disk (Node's fetch
 * cannot read file: URLs) from `wasm.url` or the package's own copy; in browsers the engine's
 * loader fetches and compiles it as it streams in.
 * @param {{bytes?: unknown, url?: string | URL, factory?: unknown} | undefined} wasm
 * @returns {Promise<{bytes?: Uint8Array, url?: string | URL, factory?: any}>}
 */
export async function resolveWasm(wasm = {}) {
  if (wasm.bytes !== undefined) {
    const bytes = asBytes(wasm.bytes);
    if (!bytes) {
      throw new FaceUnlockError('invalid-argument', 'wasm.bytes must be an ArrayBuffer or a ' +
          'Uint8Array holding faceunlock_core.wasm');
    }
    return { ...wasm, bytes };
  }
  if (wasm.url !== undefined && !isUrlLike(wasm.url)) {
    throw new FaceUnlockError('invalid-argument', 'wasm.url must be a string or a URL');
  }
  // A custom build (factory) finds its own .wasm unless told; ours is located here rather than
  // by the Emscripten loader, whose own lookup (its script's directory) webpack rewrites.
  const url = wasm.url ?? (wasm.factory ? undefined : DEFAULT_WASM);
  if (url !== undefined && inNode() && String(url).startsWith('file:')) {
    return { ...wasm, url: undefined, bytes: await loadBytes('the WebAssembly engine', url) };
  }
  return { ...wasm, url, bytes: undefined };
}
