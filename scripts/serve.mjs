#!/usr/bin/env node
// A small static file server for the webcam demo and the browser tests.
//
//   node scripts/serve.mjs [--root DIR] [--port N] [--page PATH] [--isolate]
//                          [--encodings br,gzip] [--compress-models]
//
// Serves the repository root (or --root) on 127.0.0.1 only: the demo needs a secure context for
// getUserMedia, and browsers treat localhost as one, so no TLS is needed. The port comes from
// --port, else $PORT, else 8080; when it is taken the next free one is used. Once listening it
// prints one line, `serving ROOT at http://localhost:PORT/`, then the full URL of --page if given
// (the port is only known once listening, because the requested one may be taken).
//
// --isolate sends Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp with every response, which makes the page cross-origin isolated: the
// multi-threaded core (FaceUnlock.create({ threads })) runs only there. Off by default, since it
// also stops the page from loading cross-origin resources that do not opt in.
//
// Responses are compressed as production hosts send them (scripts/content-encoding.mjs): with the
// first of --encodings (default br,gzip; `none` for identity only) that the browser accepts, for
// JavaScript, WebAssembly, HTML, CSS, JSON, SVG and text; model files (.fum) go out as they are
// unless --compress-models. Range requests get the whole file with 200 (no
// partial responses), as before compression.
//
// Also importable: `startServer({ root, port, isolate, encodings, compressModels })` resolves to
// { server, port, url, root, cache } (cache: the CompressedFiles behind the responses).

import { createServer } from 'node:http';
import { stat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
  CompressedFiles, DEFAULT_ENCODINGS, checkEncodings, sendBody,
} from './content-encoding.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultRoot = path.resolve(here, '..');

// Browsers refuse ES modules and streaming wasm compilation unless the type is exactly right.
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.fum': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

function send(res, status, text, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(text + '\n');
}

// Maps a URL path to a file inside root, or null when it would leave root. The check runs on the
// real path too, so a symlink inside the repository cannot point the server at /etc.
async function resolveInside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const candidate = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  if (candidate !== root && !candidate.startsWith(root + path.sep)) return null;
  let real;
  try {
    real = await realpath(candidate);
  } catch {
    return { file: candidate, missing: true };
  }
  if (real !== root && !real.startsWith(root + path.sep)) return null;
  return { file: real, missing: false };
}

// The headers of --isolate (see above).
export const ISOLATION_HEADERS = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

function handler(root, isolate, compression) {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const urlPath = new URL(req.url, 'http://localhost').pathname;
    const target = await resolveInside(root, urlPath);
    if (!target) {
      send(res, 403, 'forbidden');
      return;
    }
    if (target.missing) {
      send(res, 404, 'not found: ' + urlPath);
      return;
    }
    let file = target.file;
    let info = await stat(file);
    if (info.isDirectory()) {
      // Relative URLs in index.html resolve against the directory only with a trailing slash.
      if (!urlPath.endsWith('/')) {
        res.writeHead(301, { Location: urlPath + '/' });
        res.end();
        return;
      }
      file = path.join(file, 'index.html');
      try {
        info = await stat(file);
      } catch {
        send(res, 404, 'no index.html in ' + urlPath);
        return;
      }
    }
    const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    await sendBody(req, res, {
      name: file,
      type,
      file,
      info,
      headers: {
        // Edits to the demo or a rebuilt engine should show on the next reload.
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        ...(isolate ? ISOLATION_HEADERS : {}),
      },
    }, compression);
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (err) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address().port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

// port 0 asks the system for any free port (what the tests use); otherwise try port, port+1, ...
export async function startServer({ root = defaultRoot, port = 8080, tries = 50, isolate = false,
  encodings = DEFAULT_ENCODINGS, compressModels = false } = {}) {
  const realRoot = await realpath(path.resolve(root));
  const compression = { encodings: checkEncodings(encodings), compressModels,
    cache: new CompressedFiles() };
  const handle = handler(realRoot, isolate, compression);
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, 'server error: ' + err.message);
      else res.destroy();
    });
  });
  for (let i = 0; ; i++) {
    try {
      const bound = await listen(server, port === 0 ? 0 : port + i);
      return { server, port: bound, url: `http://localhost:${bound}/`, root: realRoot,
        cache: compression.cache };
    } catch (err) {
      if (err.code !== 'EADDRINUSE' || port === 0 || i + 1 >= tries) throw err;
    }
  }
}

/**
 * Compresses `files` (paths under the server's root) into its cache now, in the first offered
 * encoding, so the first page load does not wait for it: the core's .wasm takes brotli at its
 * highest level about 2 s here. Missing files are skipped.
 * @param {{root: string, cache: CompressedFiles}} served what startServer resolved to
 * @param {readonly string[]} encodings the server's, most preferred first
 * @param {readonly string[]} files e.g. ['web/dist/faceunlock_core.wasm']
 */
export async function warmUp(served, encodings, files) {
  if (encodings.length === 0) return;
  for (const name of files) {
    const file = path.join(served.root, name);
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) await served.cache.get(file, info, encodings[0]);
  }
}

// `br,gzip` -> ['br', 'gzip']; `none` -> [] (identity only).
function parseEncodings(text) {
  if (text === undefined) throw new Error('--encodings needs a list, e.g. br,gzip or none');
  return text === 'none' ? [] : checkEncodings(text.split(',').map((name) => name.trim()));
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--root') out.root = argv[++i];
    else if (arg === '--port') out.port = argv[++i];
    else if (arg === '--page') out.page = argv[++i];
    else if (arg === '--isolate') out.isolate = true;
    else if (arg === '--encodings') out.encodings = parseEncodings(argv[++i]);
    else if (arg === '--compress-models') out.compressModels = true;
    else if (arg === '-h' || arg === '--help') out.help = true;
    else throw new Error(`unknown argument: ${arg}`);
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(
      'usage: node scripts/serve.mjs [--root DIR] [--port N] [--page PATH] [--isolate]\n' +
        '                              [--encodings br,gzip] [--compress-models]\n' +
        '  port default: $PORT, else 8080 (or the next free one)\n' +
        '  --isolate: send COOP/COEP headers (for the multi-threaded core)\n' +
        '  --encodings: content encodings offered, most preferred first (default br,gzip;\n' +
        '      none: identity only)\n' +
        '  --compress-models: compress .fum model files too (by default sent as they are)',
    );
    return;
  }
  const portText = args.port ?? process.env.PORT ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port: ${portText}`);
  }
  const encodings = args.encodings ?? DEFAULT_ENCODINGS;
  const served = await startServer({ root: args.root, port, isolate: args.isolate, encodings,
    compressModels: args.compressModels });
  const { port: bound, root } = served;
  // The demo's engine, compressed while the user opens the page.
  warmUp(served, encodings, ['web/dist/faceunlock_core.wasm', 'web/dist/faceunlock_core.mjs'])
      .catch((err) => console.error(`could not precompress the engine: ${err.message}`));
  console.log(`serving ${root} at http://localhost:${bound}/` +
      (args.isolate ? ' (cross-origin isolated: COOP/COEP)' : '') +
      ` (encodings: ${encodings.length ? encodings.join(', ') : 'identity only'}` +
      `${args.compressModels ? ', models too' : ''})`);
  if (args.page) {
    const page = new URL(args.page.replace(/^\/+/, ''), `http://localhost:${bound}/`);
    console.log(`\n  open ${page.href}\n`);
  }
  const stop = () => process.exit(0);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error('serve: ' + err.message);
    process.exit(1);
  });
}
