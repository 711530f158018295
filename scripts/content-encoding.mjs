/**
 * @file Compressed responses for the repository's static servers (scripts/serve.mjs for the demo
 * and the browser tests, web/bench/browser-bench.mjs for the benchmark), so that both send bytes
 * the way production hosts do and the benchmark's download figures are what users transfer.
 *
 * Hosts and CDNs compress text and WebAssembly on the fly or at deploy time (`text/javascript`
 * and `application/wasm` are on the default lists of the common ones), and leave
 * `application/octet-stream` alone. Our model files (.fum) are served as that, so by default
 * they go out as they are, as users' hosts will send them. `compressModels` compresses them too,
 * for a host whose rules the application controls: it pays (bench/README.md: brotli takes 23%
 * off the pruned embedder, 43% off the default one, half off the detector).
 *
 * Each file is compressed once per version: the result is cached under its path, modification
 * time and size, so a request costs no CPU for compression and a rebuilt file is never served
 * stale. The levels are the highest (brotli 11, gzip 9), as a deploy-time precompression uses;
 * the first request of a file version pays for it (brotli: about 2 s per MB on this machine).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** Extensions whose responses are compressed when the client accepts it. */
export const COMPRESSIBLE_EXTENSIONS = Object.freeze(new Set([
  '.js', '.mjs', '.wasm', '.html', '.htm', '.css', '.json', '.map', '.svg', '.md', '.txt',
]));

/**
 * Model weights: ours (.fum) and tfjs's shards (.bin, face-api's nets in the benchmark), both
 * served as application/octet-stream: identity unless `compressModels` (see the file comment).
 */
export const MODEL_EXTENSIONS = Object.freeze(new Set(['.fum', '.bin']));

/** The encodings a server offers by default, most preferred first. */
export const DEFAULT_ENCODINGS = Object.freeze(['br', 'gzip']);

const SUPPORTED = new Set(['br', 'gzip']);

const compressors = {
  br: (bytes) => promisify(zlib.brotliCompress)(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }),
  gzip: (bytes) => promisify(zlib.gzip)(bytes, { level: zlib.constants.Z_BEST_COMPRESSION }),
};

/**
 * Checks a list of encodings a server should offer.
 * @param {readonly string[]} encodings e.g. ['br', 'gzip']; empty for identity only
 * @return {string[]} the same list
 */
export function checkEncodings(encodings) {
  for (const name of encodings) {
    if (!SUPPORTED.has(name)) {
      throw new Error(`cannot offer the content encoding ${JSON.stringify(name)}: this server ` +
          `knows ${[...SUPPORTED].join(', ')} (or none, for identity only)`);
    }
  }
  return [...encodings];
}

/**
 * Picks the encoding of a response from the request's Accept-Encoding (RFC 9110, 12.5.3): the
 * offered coding with the highest q-value above 0, ties going to the server's order; `*` stands
 * for every coding the header does not name. Without the header, identity, as servers do.
 * @param {string | undefined} acceptEncoding the request header
 * @param {readonly string[]} offered encodings in the server's order of preference
 * @return {string | null} the encoding, or null for identity
 */
export function negotiateEncoding(acceptEncoding, offered) {
  if (!acceptEncoding) return null;
  const weights = new Map();
  for (const item of acceptEncoding.split(',')) {
    const [coding, ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    if (!coding) continue;
    let q = 1;
    for (const param of params) {
      const match = /^q\s*=\s*([0-9.]+)$/.exec(param);
      if (match) q = Number(match[1]);
    }
    weights.set(coding, Number.isFinite(q) ? q : 0);
  }
  let best = null;
  let bestWeight = 0;
  for (const coding of offered) {
    const weight = weights.get(coding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * @param {string} name a file name or URL path
 * @param {{compressModels?: boolean}} options
 * @return {boolean} whether responses for it may be compressed
 */
export function isCompressible(name, { compressModels = false } = {}) {
  const extension = path.extname(name).toLowerCase();
  return COMPRESSIBLE_EXTENSIONS.has(extension) ||
      (compressModels && MODEL_EXTENSIONS.has(extension));
}

/**
 * Compressed copies of files, each made once per file version (path, modification time, size)
 * and kept until they exceed `maxBytes` in total, the least recently used going first.
 */
export class CompressedFiles {
  /**
   * @param {{maxBytes?: number}} [options]
   */
  constructor({ maxBytes = 256 * 1024 * 1024 } = {}) {
    this._maxBytes = maxBytes;
    /**
     * @type {Map<string,
     *     {mtimeMs: number, size: number, bytes: number, body: Promise<Buffer>}>}
     */
    this._entries = new Map();
    this._bytes = 0;
    /** How many compressions ran (what the tests check to see the cache at work). */
    this.compressions = 0;
  }

  /**
   * @param {string} file absolute path
   * @param {{mtimeMs: number, size: number}} info the file's stat() taken for this request
   * @param {string} encoding 'br' or 'gzip'
   * @return {Promise<Buffer>} the file's bytes in that encoding
   */
  get(file, info, encoding) {
    const key = `${encoding}\0${file}`;
    const entry = this._entries.get(key);
    if (entry && entry.mtimeMs === info.mtimeMs && entry.size === info.size) {
      // Moved to the end: the Map's order is the eviction order.
      this._entries.delete(key);
      this._entries.set(key, entry);
      return entry.body;
    }
    if (entry) this._drop(key);
    const fresh = { mtimeMs: info.mtimeMs, size: info.size, bytes: 0, body: null };
    fresh.body = readFile(file).then(async (raw) => {
      this.compressions++;
      const body = await compressors[encoding](raw);
      // A file rewritten between stat() and read (a build in progress) is served as read but not
      // kept: its next request sees the new stat and compresses the finished file.
      if (raw.length !== info.size) this._drop(key, fresh);
      else if (this._entries.get(key) === fresh) {
        fresh.bytes = body.length;
        this._bytes += body.length;
        this._evict();
      }
      return body;
    });
    fresh.body.catch(() => this._drop(key, fresh));
    this._entries.set(key, fresh);
    return fresh.body;
  }

  /** @param {string} key @param {object} [only] drop only if the entry is still this one */
  _drop(key, only) {
    const entry = this._entries.get(key);
    if (!entry || (only && entry !== only)) return;
    this._bytes -= entry.bytes;
    this._entries.delete(key);
  }

  _evict() {
    for (const [key, entry] of this._entries) {
      if (this._bytes <= this._maxBytes) break;
      // Entries still compressing count nothing yet and stay.
      if (entry.bytes > 0) this._drop(key);
    }
  }
}

/**
 * @param {Uint8Array} bytes
 * @param {string} encoding 'br' or 'gzip'
 * @return {Promise<Buffer>} the bytes as sendBody would send them in that encoding
 */
export function compressBytes(bytes, encoding) {
  return compressors[encoding](bytes);
}

/**
 * Compresses files ahead of their first request, in every encoding `settings` offers for them,
 * so that no response of a measurement waits for a compression (the benchmark's cold starts).
 * @param {Iterable<string>} files absolute paths
 * @param {{encodings: readonly string[], compressModels?: boolean, cache: CompressedFiles}}
 *     settings as for sendBody
 * @return {Promise<number>} how many files are compressible
 */
export async function precompress(files, settings) {
  let count = 0;
  for (const file of files) {
    if (!isCompressible(file, settings)) continue;
    const info = await stat(file);
    await Promise.all(
        settings.encodings.map((encoding) => settings.cache.get(file, info, encoding)));
    count++;
  }
  return count;
}

/** Compressed copies of in-memory bodies (generated pages), one per Buffer and encoding. */
const compressedBodies = new WeakMap();

/**
 * @param {Buffer} body
 * @param {string} encoding
 * @return {Promise<Buffer>}
 */
function compressBody(body, encoding) {
  let byEncoding = compressedBodies.get(body);
  if (!byEncoding) compressedBodies.set(body, (byEncoding = new Map()));
  if (!byEncoding.has(encoding)) byEncoding.set(encoding, compressors[encoding](body));
  return byEncoding.get(encoding);
}

/**
 * precompress() for an in-memory body that sendBody will send under `name`.
 * @param {string} name
 * @param {Buffer} body
 * @param {{encodings: readonly string[], compressModels?: boolean}} settings
 * @return {Promise<void>}
 */
export async function precompressBody(name, body, settings) {
  if (!isCompressible(name, settings)) return;
  await Promise.all(settings.encodings.map((encoding) => compressBody(body, encoding)));
}

/**
 * @typedef {object} SentBody
 * @property {string} encoding 'br', 'gzip' or 'identity'
 * @property {number} bytes body bytes on the wire (what a browser's transferSize counts, less
 *     the headers)
 * @property {number} decodedBytes the body's bytes once decoded: the file's size
 */

/**
 * Answers a GET or HEAD request with a file or an in-memory body, compressed when the client
 * accepts one of `encodings` and the name's extension is compressible. Compressible responses
 * carry `Vary: Accept-Encoding` whatever the encoding, since a cache must not hand a gzip body
 * to a client that did not ask for one. A compressed copy that is not smaller goes out as it is.
 * Range headers are ignored: the whole body is sent with 200, which HTTP allows.
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {object} what
 * @param {string} what.name file name or URL path: its extension decides compressibility
 * @param {string} what.type Content-Type
 * @param {string} [what.file] absolute path of the file to send (with `info`)
 * @param {import('node:fs').Stats} [what.info] its stat()
 * @param {Buffer} [what.body] or the bytes to send
 * @param {Record<string, string>} [what.headers] more headers (caching, isolation)
 * @param {object} settings
 * @param {readonly string[]} settings.encodings offered, most preferred first
 * @param {boolean} [settings.compressModels]
 * @param {CompressedFiles} settings.cache
 * @return {Promise<SentBody>} once the headers are written (the body may still be streaming)
 */
export async function sendBody(request, response, { name, type, file, info, body, headers = {} },
    { encodings, compressModels = false, cache }) {
  const decodedBytes = body ? body.length : info.size;
  const compressible = isCompressible(name, { compressModels }) && encodings.length > 0;
  let encoding = compressible ?
      negotiateEncoding(request.headers['accept-encoding'], encodings) : null;
  let encoded = null;
  if (encoding) {
    encoded = await (body ? compressBody(body, encoding) : cache.get(file, info, encoding));
    if (encoded.length >= decodedBytes) encoding = null;
  }
  const sent = encoding ? encoded : body;
  const bytes = sent ? sent.length : decodedBytes;
  response.writeHead(200, {
    'Content-Type': type,
    'Content-Length': bytes,
    ...(encoding ? { 'Content-Encoding': encoding } : {}),
    ...(compressible ? { 'Vary': 'Accept-Encoding' } : {}),
    ...headers,
  });
  if (request.method === 'HEAD') response.end();
  else if (sent) response.end(sent);
  else createReadStream(file).on('error', () => response.destroy()).pipe(response);
  return { encoding: encoding ?? 'identity', bytes, decodedBytes };
}
