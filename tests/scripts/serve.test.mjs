/**
 * @file scripts/serve.mjs, the static server of the demo, the browser tests and (through
 * scripts/content-encoding.mjs) the benchmark: compressed responses as production hosts send
 * them, identity when the client does not accept one, no stale bytes after a file changes, HEAD
 * and Range as before, and no file outside the root. It serves a temporary folder of generated
 * files, so it needs nothing built.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';

import { negotiateEncoding } from '../../scripts/content-encoding.mjs';
import { startServer, warmUp } from '../../scripts/serve.mjs';

let root;
let outside;
let served;
let modelsCompressed;
let identityOnly;

/** Text that compresses well but is not one repeated byte, so a wrong decoder shows. */
function sampleText(seed, lines = 400) {
  const out = [];
  for (let i = 0; i < lines; i++) out.push(`export const value${i} = ${(i * 7919 + seed) % 1000};`);
  return out.join('\n') + '\n';
}

/** Bytes like an int8 model: a header, then weights that compress somewhat. */
function sampleModel(length) {
  const bytes = Buffer.alloc(length);
  bytes.write('FUM1');
  let x = 12345;
  for (let i = 4; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = (x >>> 24) & 0x0f;
  }
  return bytes;
}

const files = {
  'app.mjs': Buffer.from(sampleText(1)),
  'core.wasm': Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    Buffer.from(sampleText(2))]),
  'index.html': Buffer.from(`<!doctype html><title>t</title>\n${sampleText(3, 50)}`),
  'model.fum': sampleModel(64 * 1024),
  'tiny.txt': Buffer.from('x'),
  'photo.jpg': sampleModel(4096),
};

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'faceunlock-serve-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'faceunlock-serve-outside-'));
  for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(root, name), bytes);
  await mkdir(path.join(root, 'sub'));
  await writeFile(path.join(outside, 'secret.txt'), 'not for the web\n');
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'sub', 'link.txt'));
  served = await startServer({ root, port: 0 });
  modelsCompressed = await startServer({ root, port: 0, compressModels: true });
  identityOnly = await startServer({ root, port: 0, encodings: [] });
});

after(async () => {
  for (const s of [served, modelsCompressed, identityOnly]) s?.server.close();
  if (root) await rm(root, { recursive: true, force: true });
  if (outside) await rm(outside, { recursive: true, force: true });
});

/**
 * A raw request: the path goes out exactly as written (fetch would normalise `..` away), and the
 * body comes back as received, not decoded.
 * @returns {Promise<{status: number, headers: object, body: Buffer}>}
 */
function request(server, urlPath, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: urlPath, method,
      headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(response) {
  const encoding = response.headers['content-encoding'];
  if (encoding === 'gzip') return zlib.gunzipSync(response.body);
  if (encoding === 'br') return zlib.brotliDecompressSync(response.body);
  assert.equal(encoding, undefined, 'an encoding the test does not know');
  return response.body;
}

test('gzip when the request accepts only gzip; the body decompresses to the file', async () => {
  for (const name of ['app.mjs', 'core.wasm', 'index.html']) {
    const r = await request(served, `/${name}`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip', name);
    assert.equal(r.headers['vary'], 'Accept-Encoding', name);
    assert.equal(Number(r.headers['content-length']), r.body.length, name);
    assert.ok(r.body.length < files[name].length / 2, `${name}: ${r.body.length} B`);
    assert.deepEqual(decode(r), files[name], name);
  }
  const wasm = await request(served, '/core.wasm', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(wasm.headers['content-type'], 'application/wasm');
});

test('brotli when accepted (as browsers send it), gzip when brotli is refused or ranked lower',
    async () => {
      const browser = await request(served, '/app.mjs',
          { headers: { 'Accept-Encoding': 'gzip, deflate, br, zstd' } });
      assert.equal(browser.headers['content-encoding'], 'br');
      assert.deepEqual(decode(browser), files['app.mjs']);
      for (const [header, expected] of [['br;q=0, gzip', 'gzip'], ['br;q=0.5, gzip', 'gzip'],
        ['*', 'br'], ['*;q=0.3, br;q=0.1', 'gzip'], ['gzip;q=0, br;q=0', undefined]]) {
        const r = await request(served, '/app.mjs', { headers: { 'Accept-Encoding': header } });
        assert.equal(r.headers['content-encoding'], expected, header);
        assert.deepEqual(decode(r), files['app.mjs'], header);
      }
    });

test('identity when the request accepts no offered encoding, or the server offers none',
    async () => {
      for (const headers of [{}, { 'Accept-Encoding': 'identity' },
        { 'Accept-Encoding': 'deflate' }, { 'Accept-Encoding': '' }]) {
        const r = await request(served, '/app.mjs', { headers });
        assert.equal(r.headers['content-encoding'], undefined, JSON.stringify(headers));
        // The response still depends on the header, so caches must know.
        assert.equal(r.headers['vary'], 'Accept-Encoding');
        assert.deepEqual(r.body, files['app.mjs']);
      }
      const plain = await request(identityOnly, '/app.mjs',
          { headers: { 'Accept-Encoding': 'gzip, br' } });
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.deepEqual(plain.body, files['app.mjs']);
    });

test('models and images go out as they are, models compressed only with compressModels',
    async () => {
      const accept = { 'Accept-Encoding': 'gzip, br' };
      for (const name of ['model.fum', 'photo.jpg']) {
        const r = await request(served, `/${name}`, { headers: accept });
        assert.equal(r.headers['content-encoding'], undefined, name);
        assert.equal(r.headers['vary'], undefined, name);
        assert.deepEqual(r.body, files[name], name);
      }
      const model = await request(modelsCompressed, '/model.fum', { headers: accept });
      assert.equal(model.headers['content-encoding'], 'br');
      assert.equal(model.headers['content-type'], 'application/octet-stream');
      assert.deepEqual(decode(model), files['model.fum']);
      const photo = await request(modelsCompressed, '/photo.jpg', { headers: accept });
      assert.equal(photo.headers['content-encoding'], undefined);
    });

test('a compressed copy that is not smaller is not sent', async () => {
  const r = await request(served, '/tiny.txt', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(r.headers['content-encoding'], undefined);
  assert.deepEqual(r.body, files['tiny.txt']);
});

test('each file version is compressed once; a changed file is never served stale', async () => {
  const file = path.join(root, 'changing.js');
  const first = Buffer.from(sampleText(10));
  await writeFile(file, first);
  const accept = { 'Accept-Encoding': 'gzip' };
  const before = served.cache.compressions;
  assert.deepEqual(decode(await request(served, '/changing.js', { headers: accept })), first);
  assert.deepEqual(decode(await request(served, '/changing.js', { headers: accept })), first);
  assert.equal(served.cache.compressions, before + 1, 'the second request reused the first copy');

  // Same size, other bytes: only the modification time tells them apart. Set it well apart,
  // since some file systems keep whole seconds.
  const second = Buffer.from(first.toString().replaceAll('value', 'VALUE'));
  assert.equal(second.length, first.length);
  await writeFile(file, second);
  const later = new Date(Date.now() + 5000);
  await utimes(file, later, later);
  assert.deepEqual(decode(await request(served, '/changing.js', { headers: accept })), second);

  // Another size, same modification time (a build tool that restores times).
  const third = Buffer.from(sampleText(12, 500));
  await writeFile(file, third);
  await utimes(file, later, later);
  assert.deepEqual(decode(await request(served, '/changing.js', { headers: accept })), third);
  assert.equal(served.cache.compressions, before + 3);
});

test('warmUp compresses ahead, so the first request finds the copy', async () => {
  const file = path.join(root, 'early.js');
  const bytes = Buffer.from(sampleText(10));
  await writeFile(file, bytes);
  const before = served.cache.compressions;
  await warmUp(served, ['gzip'], ['early.js', 'absent.js']);
  assert.equal(served.cache.compressions, before + 1, 'one file there, one missing and skipped');
  const r = await request(served, '/early.js', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.deepEqual(decode(r), bytes);
  assert.equal(served.cache.compressions, before + 1, 'the request reused the warm copy');
  await warmUp(served, [], ['early.js']);
  assert.equal(served.cache.compressions, before + 1, 'identity only: nothing to do');
});

test('HEAD gives the headers of GET, with the encoded length, and no body', async () => {
  const accept = { 'Accept-Encoding': 'gzip' };
  const get = await request(served, '/core.wasm', { headers: accept });
  const head = await request(served, '/core.wasm', { method: 'HEAD', headers: accept });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  for (const name of ['content-type', 'content-length', 'content-encoding', 'vary']) {
    assert.equal(head.headers[name], get.headers[name], name);
  }
  const plain = await request(served, '/core.wasm', { method: 'HEAD' });
  assert.equal(Number(plain.headers['content-length']), files['core.wasm'].length);
  const post = await request(served, '/core.wasm', { method: 'POST' });
  assert.equal(post.status, 405);
});

test('a Range request gets the whole file with 200, as before compression', async () => {
  for (const headers of [{ 'Range': 'bytes=0-9' },
    { 'Range': 'bytes=0-9', 'Accept-Encoding': 'gzip' }]) {
    const r = await request(served, '/app.mjs', { headers });
    assert.equal(r.status, 200);
    assert.deepEqual(decode(r), files['app.mjs']);
  }
});

test('paths that leave the root are refused, encoded or through a symlink', async () => {
  for (const urlPath of ['/../' + path.basename(outside) + '/secret.txt',
    '/..%2f' + path.basename(outside) + '%2fsecret.txt', '/sub/link.txt', '/%00app.mjs',
    '/%E0%A4%A']) {
    const r = await request(served, urlPath, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.ok(r.status === 403 || r.status === 404, `${urlPath}: ${r.status}`);
    assert.ok(!r.body.toString().includes('not for the web'), urlPath);
    assert.ok(!decode(r).toString().includes('not for the web'), urlPath);
  }
  const missing = await request(served, '/nothing.js');
  assert.equal(missing.status, 404);
});

test('negotiateEncoding follows the q-values and the server order', () => {
  const offered = ['br', 'gzip'];
  assert.equal(negotiateEncoding(undefined, offered), null);
  assert.equal(negotiateEncoding('gzip, br', offered), 'br');
  assert.equal(negotiateEncoding('GZIP', offered), 'gzip');
  assert.equal(negotiateEncoding('gzip;q=0.9, br;q=0.8', offered), 'gzip');
  assert.equal(negotiateEncoding('br;q=0, *', offered), 'gzip');
  assert.equal(negotiateEncoding('gzip; q=0.5', ['gzip']), 'gzip');
  assert.equal(negotiateEncoding('br', ['gzip']), null);
  assert.equal(negotiateEncoding('gzip', []), null);
});
