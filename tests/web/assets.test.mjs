// Asset loading without the engine: the model check (header, size, CRC-32), download progress
// over HTTP, broken downloads, and Node reading file: URLs itself.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import test from 'node:test';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

import {
  DEFAULT_MODELS, checkModelFile, crc32, findDamagedModel, gunzipModel, loadBytes, loadModels,
  resolveWasm,
} from '../../web/lib/assets.js';
import { repoRoot } from './helpers.mjs';

const detectorPath = path.join(repoRoot, 'models', 'blazeface-short.fum');

test('crc32 is the IEEE CRC-32 that src/base writes', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('crc32 agrees with zlib at every length and start around its 8-byte steps', () => {
  // Seeded bytes, so a failure repeats.
  let seed = 12345;
  const bytes = new Uint8Array(64);
  for (let i = 0; i < bytes.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  for (let length = 0; length <= bytes.length; length++) {
    for (let start = 0; start <= Math.min(length, 9); start++) {
      const part = bytes.subarray(0, length);
      assert.equal(crc32(part, start), zlib.crc32(part.subarray(start)),
          `length ${length}, start ${start}`);
    }
  }
});

test('model files are checked before use, with the reason', async () => {
  const good = new Uint8Array(await readFile(detectorPath));
  checkModelFile('the detector model', 'https://x.test/d.fum', good);

  assert.throws(() => checkModelFile('the detector model', 'https://x.test/d.fum', good.subarray(0, 1000)),
      { code: 'load-failed', message: /detector model from https:\/\/x\.test\/d\.fum: .*announces \d+ bytes but 1000 arrived/ });
  const flipped = new Uint8Array(good);
  flipped[flipped.length >> 1] ^= 0x40;
  assert.throws(() => checkModelFile('the embedder model', good, flipped),
      { code: 'load-failed', message: /embedder model \(the bytes passed in\): its checksum does not match \(CRC-32 0x[0-9a-f]{8}/ });
  const html = new TextEncoder().encode('<!doctype html><html><body>Not found</body></html>');
  assert.throws(() => checkModelFile('the detector model', '/m.fum', html),
      { message: /not a faceunlock model file.*HTML page/ });
  assert.throws(() => checkModelFile('the detector model', '/m.fum', new Uint8Array(5)),
      { message: /5 bytes, fewer than the 32-byte header/ });
  // Without the checksum: the header and the size only.
  checkModelFile('the embedder model', good, flipped, { checksum: false });
  assert.throws(() => checkModelFile('the detector model', '/m.fum', html, { checksum: false }),
      { message: /not a faceunlock model file/ });
});

test('loadModels leaves the CRC-32 to the engine; findDamagedModel names a damaged file after',
    async () => {
      const good = new Uint8Array(await readFile(detectorPath));
      const flipped = new Uint8Array(good);
      flipped[100] ^= 0x01;
      const loaded = await loadModels({ detector: good, embedder: flipped });
      assert.equal(loaded[1], flipped, 'loaded as given: its header and size are right');
      const damaged = findDamagedModel(loaded);
      assert.equal(damaged?.code, 'load-failed');
      assert.match(damaged.message,
          /cannot use the embedder model \(the bytes passed in\): its checksum does not match/);
      assert.equal(findDamagedModel(await loadModels({ detector: good, embedder: good })), null);
      // Bytes that loadModels did not load are not its to judge.
      assert.equal(findDamagedModel([flipped.slice(), undefined]), null);
    });

/** A server for one file, optionally cutting the body short or hiding its length. */
async function serve(bytes, { cut = false, noLength = false } = {}) {
  const server = createServer((req, res) => {
    if (req.url === '/missing.fum') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      ...(noLength ? {} : { 'Content-Length': String(bytes.length) }),
    });
    // Several writes, so the client sees the body arrive in pieces.
    const step = 64 * 1024;
    const end = cut ? bytes.length >> 1 : bytes.length;
    for (let i = 0; i < end; i += step) res.write(bytes.subarray(i, Math.min(end, i + step)));
    if (cut) res.destroy();
    else res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

test('downloads report their progress and end with loaded === total', async (t) => {
  const bytes = new Uint8Array(await readFile(detectorPath));
  const { server, url } = await serve(bytes);
  t.after(() => server.close());
  const reports = [];
  const got = await loadBytes('the detector model', `${url}/d.fum`, (loaded, total) => reports.push({ loaded, total }));
  assert.deepEqual(got, bytes);
  assert.ok(reports.length >= 2, `${reports.length} reports`);
  assert.ok(reports.every((r) => r.total === bytes.length));
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i].loaded >= reports[i - 1].loaded);
  assert.deepEqual(reports.at(-1), { loaded: bytes.length, total: bytes.length });

  await assert.rejects(loadBytes('the detector model', `${url}/missing.fum`),
      { code: 'load-failed', message: /missing\.fum: HTTP 404/ });
});

test('without a Content-Length the total is null until the end', async (t) => {
  const bytes = new Uint8Array(await readFile(detectorPath));
  const { server, url } = await serve(bytes, { noLength: true });
  t.after(() => server.close());
  const reports = [];
  await loadBytes('the detector model', `${url}/d.fum`, (loaded, total) => reports.push({ loaded, total }));
  assert.equal(reports[0].total, null);
  assert.deepEqual(reports.at(-1), { loaded: bytes.length, total: bytes.length });
});

test('a download cut short fails with load-failed, naming the file', async (t) => {
  const bytes = new Uint8Array(await readFile(detectorPath));
  const { server, url } = await serve(bytes, { cut: true });
  t.after(() => server.close());
  await assert.rejects(loadModels({ detector: `${url}/d.fum`, embedder: bytes }),
      { code: 'load-failed', message: /detector model from http:.*d\.fum/ });
});

test('in Node the default file: URLs are read from disk, with one progress over both', async () => {
  assert.equal(DEFAULT_MODELS.detector.href, pathToFileURL(`${detectorPath}.gz`).href);
  const reports = [];
  const [detector, embedder] = await loadModels(undefined, (p) => reports.push(p));
  assert.ok(detector.length > 100_000 && embedder.length > 1_000_000);
  // Progress counts the bytes downloaded: the gzipped files, fewer than the models they hold.
  const downloaded = (await readFile(`${detectorPath}.gz`)).length +
      (await readFile(path.join(repoRoot, 'models', 'dlib-resnet-int8.fum.gz'))).length;
  assert.deepEqual(reports.at(-1), { loaded: downloaded, total: downloaded });
  assert.ok(downloaded < detector.length + embedder.length);
  await assert.rejects(loadModels({ detector: pathToFileURL('/nonexistent/x.fum') }),
      { code: 'load-failed', message: /detector model from file:\/\/\/nonexistent\/x\.fum: .*does not exist/ });
  await assert.rejects(loadModels({ detector: 42 }), { code: 'invalid-argument' });
  await assert.rejects(loadModels(undefined, 'not a function'), { code: 'invalid-argument', message: /onProgress/ });
  await assert.rejects(resolveWasm({ bytes: 'wasm' }), { code: 'invalid-argument' });
  await assert.rejects(resolveWasm({ url: pathToFileURL('/nonexistent/core.wasm') }),
      { code: 'load-failed', message: /WebAssembly engine from file:/ });
});

test('gzip-compressed model files are unpacked; damaged ones are named', async () => {
  const plain = new Uint8Array(await readFile(detectorPath));
  const packed = new Uint8Array(zlib.gzipSync(plain, { level: 9 }));
  assert.ok(packed.length < plain.length);
  assert.deepEqual(await gunzipModel('the detector model', 'https://x.test/d.fum.gz', packed), plain);
  // Not gzip (a host that already undid the compression): as it is, the very same bytes.
  assert.equal(await gunzipModel('the detector model', 'https://x.test/d.fum.gz', plain), plain);
  const [detector] = await loadModels({ detector: packed });
  assert.deepEqual(detector, plain);
  // Cut short, or a byte flipped in the compressed stream: an error that names the file.
  await assert.rejects(gunzipModel('the detector model', 'https://x.test/d.fum.gz',
      packed.subarray(0, packed.length >> 1)),
  { code: 'load-failed', message: /detector model from https:\/\/x\.test\/d\.fum\.gz: it is gzip-compressed but does not decompress/ });
  // A stream that unpacks to more than the limit stops there (a gzip bomb would otherwise take
  // the tab's memory); the library's limit is 256 MB, lowered here to the detector's size.
  await assert.rejects(gunzipModel('the detector model', 'https://x.test/d.fum.gz', packed,
      plain.length - 1), { code: 'load-failed', message: /unpacks to more than \d+ bytes/ });
  const flipped = packed.slice();
  flipped[packed.length >> 1] ^= 0xff;
  await assert.rejects(loadModels({ detector: flipped }),
      { code: 'load-failed', message: /detector model \(the bytes passed in\)/ });
});

test('the embedder option picks a shipped embedder by name', async () => {
  const read = async (name) => new Uint8Array(await readFile(path.join(repoRoot, 'models', name)));
  const [, fast] = await loadModels(undefined, undefined, 'fast');
  assert.deepEqual(fast, await read('dlib-resnet-pruned-int8.fum'));
  const [, accurate] = await loadModels(undefined, undefined, 'accurate');
  assert.deepEqual(accurate, await read('dlib-resnet-int8.fum'));
  await assert.rejects(loadModels(undefined, undefined, 'fastest'),
      { code: 'invalid-argument', message: /embedder must be 'accurate' or 'fast', got "fastest"/ });
  await assert.rejects(loadModels({ embedder: await read('dlib-resnet.fum') }, undefined, 'fast'),
      { code: 'invalid-argument', message: /not both/ });
});
