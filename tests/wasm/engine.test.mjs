// The Engine of docs/engine-api.md on real photos: the shipped models, LFW photos decoded by the
// core itself (core.decodeImage), and the native CLI as the reference for embeddings.
//
// LFW lives in <repo>/../shared/data/lfw. Without it the photo tests skip with the reason
// printed; in CI ($CI set) the data is always there, so its absence is a failure.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { repoRoot } from '../../wasm/node_loader.mjs';
import { assertJsError, lfwMissing, lfwPhoto, loadCoreOrSkip } from './helpers.mjs';

const run = promisify(execFile);

const NATIVE_BIN = process.env.FACEUNLOCK_BIN || path.join(repoRoot, 'build', 'faceunlock');
const DETECTOR = path.join(repoRoot, 'models', 'blazeface-short.fum');
const EMBEDDER = path.join(repoRoot, 'models', 'dlib-resnet.fum');

// Person A has four photos (two to enroll, two to unlock with); B is someone else.
const PERSON_A = 'Aaron_Peirsol';
const PERSON_B = 'Colin_Powell';

// Native and wasm embeddings come from the same C++ (FacePipeline's steps, the same model
// bytes), but natively the networks run on XNNPACK and in wasm on the project's SIMD kernels:
// sums in a different order and with or without FMA, each a rounding of ~6e-8 relative. Through
// two detector runs (whose keypoints steer the alignment warp) and the ResNet that leaves the
// embedding a few 1e-6 away; 0.9999 still fails anything that differs in substance (another
// face, a mis-aligned crop, no mirror averaging: those land below 0.999).
const PARITY_MIN_COSINE = 0.9999;

const { core, skip: coreSkip } = await loadCoreOrSkip();
const photoSkip = coreSkip || (await lfwMissing([[PERSON_A, 4], [PERSON_B, 1]], 'engine photo tests'));

/** @return {number} the dot product (the cosine for unit vectors) */
function dot(a, b) {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/**
 * Copies an RGBA image into the engine's frame buffer and processes it.
 * @param {!Object} engine
 * @param {{width: number, height: number, rgba: !Uint8Array}} image
 * @param {!Object=} options processFrame's options
 */
function processImage(engine, image, options) {
  engine.frameView(image.width, image.height).set(image.rgba);
  return engine.processFrame(image.width, image.height, options);
}

/** A uniform grey RGBA image: no face anywhere. */
function greyImage(width, height) {
  const rgba = new Uint8Array(width * height * 4).fill(128);
  return { width, height, rgba };
}

describe('Engine', { skip: coreSkip }, () => {
  let models;
  before(async () => {
    models = { detector: await readFile(DETECTOR), embedder: await readFile(EMBEDDER) };
  });
  const newEngine = () => new core.Engine(models.detector, models.embedder);

  test('thresholds come from the embedder model', () => {
    const engine = newEngine();
    try {
      const t = engine.thresholds();
      for (const key of ['default', 'far_1e-3', 'far_1e-4', 'far_2e-5']) {
        assert.equal(typeof t[key], 'number', key);
        assert.ok(t[key] > 0 && t[key] < 1, `${key} = ${t[key]}`);
      }
      assert.ok(t['far_1e-3'] < t['far_1e-4'] && t['far_1e-4'] < t['far_2e-5']);
    } finally {
      engine.delete();
    }
  });

  test('a frame without a face is a result, not an error', () => {
    const engine = newEngine();
    try {
      const r = processImage(engine, greyImage(640, 480));
      assert.deepEqual(r.faces, []);
      assert.equal(r.chosen, -1);
      assert.equal(r.quality, null);
      assert.equal(r.embedding, null);
      assert.equal(r.match, null);
      assert.equal(r.fused, null);
      assert.equal(r.timings.embed, 0);
      assert.ok(r.timings.detect > 0);
    } finally {
      engine.delete();
    }
  });

  test('bad input throws an Error with the C++ message and loses nothing', () => {
    const { detector, embedder } = models;
    assertJsError(() => new core.Engine(embedder, detector),
        /cannot use model as a face detector \(dlib-resnet\)/);
    assertJsError(() => new core.Engine(detector, detector), /cannot use model as a face embedder/);
    const corrupt = new Uint8Array(embedder);  // a copy (Buffer.slice() would share)
    corrupt[1000] ^= 0x40;
    assertJsError(() => new core.Engine(detector, corrupt),
        /cannot read model file \(embedder model bytes\)/, /checksum mismatch/);
    assertJsError(() => new core.Engine('model', embedder), /expected a Uint8Array/);

    const engine = newEngine();
    try {
      const embedding = new Float32Array(128).fill(1 / Math.sqrt(128));
      engine.addTemplate('ann', embedding);
      const gallery = engine.exportGallery();

      for (const [w, h] of [[0, 10], [10, 0], [4097, 10], [10, 1e9], [1.5, 10], [NaN, 10]]) {
        assertJsError(() => engine.frameView(w, h), /cannot size frame/,
            /whole number from 1 to 4096/);
      }
      engine.frameView(32, 24);
      assertJsError(() => engine.processFrame(24, 32), /cannot process frame \(24x32\)/,
          /buffer is 32x24/);
      assertJsError(() => engine.processFrame(32, 24, { embed: 'yes' }), /options\.embed/);
      assertJsError(() => engine.processFrame(32, 24, { threshold: 'high' }), /options\.threshold/);
      assertJsError(() => engine.processFrame(32, 24, 7), /options is number/);

      assertJsError(() => engine.addTemplate('ann', new Float32Array(127).fill(0.1)),
          /cannot enroll user \(ann\)/, /127 values/);
      assertJsError(() => engine.addTemplate('ann', [0.1, 0.2]), /expected a Float32Array/);
      assertJsError(() => engine.addTemplate('', embedding), /name is empty/);
      assertJsError(() => engine.addTemplate('ann', new Float32Array(128)), /cannot enroll user/);
      assertJsError(() => engine.exportUser('bob'), /cannot export user \(bob\): not enrolled/);

      const tampered = gallery.slice();
      tampered[tampered.length - 1] ^= 0x01;
      assertJsError(() => engine.importGallery(tampered), /checksum mismatch/);
      assertJsError(() => engine.importUser(tampered), /checksum mismatch/);
      assertJsError(() => engine.importGallery(gallery.slice(0, 20)), /truncated/);
      assertJsError(() => engine.importGallery(new Float32Array(8)), /expected a Uint8Array/);
      assertJsError(() => engine.setFusion(4, 3), /cannot create decision fusion/);
      assertJsError(() => engine.setFusion(2.5, 5), /cannot set fusion/);
      assertJsError(() => core.decodeImage(new Uint8Array(100)), /cannot decode image/);

      // Nothing stored was lost, and the engine still works.
      assert.deepEqual(engine.exportGallery(), gallery);
      assert.deepEqual(engine.users(), [{ user: 'ann', templates: 1 }]);
      assert.equal(processImage(engine, greyImage(64, 64)).chosen, -1);
    } finally {
      engine.delete();
    }
  });

  test('gallery: export and import round-trip; a gallery of another dimension is refused', () => {
    const engine = newEngine();
    const other = newEngine();
    try {
      const unit = (seed) => {
        const v = new Float32Array(128);
        for (let i = 0; i < v.length; i++) v[i] = Math.sin(seed * 7.1 + i * 1.3);
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      };
      assert.equal(engine.addTemplate('ann', unit(1)), 1);
      assert.equal(engine.addTemplate('ann', unit(2)), 2);
      assert.equal(engine.addTemplate('bob', unit(3)), 1);
      const both = [{ user: 'ann', templates: 2 }, { user: 'bob', templates: 1 }];
      assert.deepEqual(engine.users(), both);

      const whole = engine.exportGallery();
      other.importGallery(whole);
      assert.deepEqual(other.exportGallery(), whole);

      const ann = engine.exportUser('ann');
      assert.equal(engine.removeUser('ann'), true);
      assert.equal(engine.removeUser('ann'), false);
      assert.deepEqual(engine.users(), [{ user: 'bob', templates: 1 }]);
      assert.equal(engine.importUser(ann), 'ann');
      assert.deepEqual(engine.exportGallery(), whole);  // byte for byte, templates unchanged
      assert.deepEqual(engine.exportUser('ann'), ann);

      // importUser replaces that user only; importUser of a two-user file is refused.
      other.addTemplate('ann', unit(4));
      assert.deepEqual(other.users()[0], { user: 'ann', templates: 3 });
      other.importUser(ann);
      assert.deepEqual(other.users(), both);
      assertJsError(() => other.importUser(whole), /holds 2 users, expected exactly 1/);

      // An empty gallery clears everything and keeps the engine's dimension.
      const empty = newEngine();
      const emptyBytes = empty.exportGallery();
      empty.delete();
      other.importGallery(emptyBytes);
      assert.deepEqual(other.users(), []);
      assertJsError(() => other.addTemplate('x', new Float32Array(3).fill(1)), /3 values/);

      // A gallery of another embedder: refused with its code and both identities, nothing
      // replaced; one that names this embedder but holds 3-value templates: refused too.
      const running = engine.embedder().identity;
      assert.match(running, /^dlib-resnet@[0-9a-f]{8}$/);
      try {
        engine.importGallery(foreignGallery(whole, 'other-model@00000001'));
        assert.fail('a gallery of another embedder was imported');
      } catch (e) {
        assert.equal(e.code, 'embedder-mismatch');
        assert.deepEqual([e.stored, e.running], ['other-model@00000001', running]);
        assert.match(e.message, /these templates were made by embedder other-model@00000001; this engine runs dlib-resnet@/);
      }
      assertJsError(() => engine.importGallery(foreignGallery(whole, running)), /templates have 3 values/);
      assert.deepEqual(engine.exportGallery(), whole);
    } finally {
      engine.delete();
      other.delete();
    }
  });

  test('memory: 200 frames do not grow the wasm heap', { skip: photoSkip }, async () => {
    const engine = newEngine();
    try {
      const photo = core.decodeImage(await readFile(lfwPhoto(PERSON_A, 1)));
      const enrolled = processImage(engine, photo);
      engine.addTemplate('a', enrolled.embedding);
      const grey = greyImage(photo.width, photo.height);
      // Warm-up: the first frames size the networks' buffers and the allocator's pools.
      for (let i = 0; i < 5; i++) processImage(engine, i % 2 ? grey : photo);
      const before = core.HEAP8.length;
      for (let i = 0; i < 200; i++) {
        const r = processImage(engine, i % 4 === 3 ? grey : photo);
        if (i % 4 !== 3) assert.equal(r.match.user, 'a');
      }
      // Growth comes in 64 KiB pages at least, and after warm-up any per-frame leak of a
      // result's worth (an embedding, faces, an aligned image) would force it well before 200.
      assert.equal(core.HEAP8.length, before, `heap grew from ${before} to ${core.HEAP8.length}`);
    } finally {
      engine.delete();
    }
  });
});

describe('Engine on LFW photos', { skip: photoSkip }, () => {
  let engine;
  const photos = {};
  before(async () => {
    engine = new core.Engine(await readFile(DETECTOR), await readFile(EMBEDDER));
    for (const [person, number] of [[PERSON_A, 1], [PERSON_A, 2], [PERSON_A, 3], [PERSON_A, 4],
      [PERSON_B, 1]]) {
      photos[`${person}_${number}`] = core.decodeImage(await readFile(lfwPhoto(person, number)));
    }
  });

  test('decodeImage gives RGBA pixels', () => {
    const p = photos[`${PERSON_A}_1`];
    assert.equal(p.width, 250);
    assert.equal(p.height, 250);
    assert.ok(p.rgba instanceof Uint8Array);
    assert.equal(p.rgba.length, 250 * 250 * 4);
    assert.equal(p.rgba[3], 255);
  });

  test(`parity: the embedding equals the native CLI's (cosine >= ${PARITY_MIN_COSINE})`,
      async (t) => {
        const file = lfwPhoto(PERSON_A, 1);
        let stdout;
        try {
          ({ stdout } = await run(NATIVE_BIN, ['embed', file, '--json'],
              { maxBuffer: 1 << 20 }));
        } catch (error) {
          if (error.code !== 'ENOENT' || process.env.CI) throw error;
          t.skip(`native CLI ${NATIVE_BIN} is missing: build it or set FACEUNLOCK_BIN`);
          return;
        }
        const native = JSON.parse(stdout).images[0].embedding;
        const r = processImage(engine, photos[`${PERSON_A}_1`], { match: false });
        assert.ok(r.embedding instanceof Float32Array);
        assert.equal(r.embedding.length, native.length);
        const cosine = dot(r.embedding, native);
        const maxDiff = Math.max(...native.map((v, i) => Math.abs(v - r.embedding[i])));
        t.diagnostic(`cosine ${cosine}, max |difference| ${maxDiff}`);
        t.diagnostic(`timings (ms): ${JSON.stringify(r.timings)}`);
        assert.ok(cosine >= PARITY_MIN_COSINE, `cosine ${cosine}`);
      });

  test('the result has the fields of docs/engine-api.md', () => {
    const r = processImage(engine, photos[`${PERSON_A}_1`]);
    assert.equal(r.chosen, 0);
    const face = r.faces[0];
    assert.equal(face.box.length, 4);
    assert.equal(face.keypoints.length, 6);
    assert.ok(face.score > 0.5 && face.score <= 1);
    assert.deepEqual(Object.keys(r.quality).sort(),
        ['brightness', 'faceSize', 'hint', 'issue', 'ok', 'roll', 'sharpness', 'yaw']);
    assert.equal(r.quality.ok, true);
    assert.equal(r.quality.issue, 'ok');
    assert.equal(r.embedding.length, 128);
    assert.ok(Math.abs(dot(r.embedding, r.embedding) - 1) < 1e-5);
    assert.deepEqual(r.match,
        { user: null, score: null, accepted: false, threshold: engine.threshold() });
    for (const stage of ['detect', 'refine', 'quality', 'align', 'embed', 'match', 'total']) {
      assert.equal(typeof r.timings[stage], 'number', stage);
    }
    // The embedding is a copy: the next frame does not change it.
    const kept = r.embedding.slice();
    processImage(engine, photos[`${PERSON_B}_1`]);
    assert.deepEqual(r.embedding, kept);
    // embed: false stops before the embedder.
    const detectOnly = processImage(engine, photos[`${PERSON_A}_1`], { embed: false });
    assert.equal(detectOnly.embedding, null);
    assert.equal(detectOnly.match, null);
  });

  test('enroll A from two photos: a third photo of A unlocks, B does not', () => {
    for (const n of [1, 2]) {
      const r = processImage(engine, photos[`${PERSON_A}_${n}`]);
      assert.equal(engine.addTemplate(PERSON_A, r.embedding), n);
    }
    const a = processImage(engine, photos[`${PERSON_A}_3`]);
    assert.equal(a.match.user, PERSON_A);
    assert.equal(a.match.accepted, true, `score ${a.match.score}`);
    const b = processImage(engine, photos[`${PERSON_B}_1`]);
    assert.equal(b.match.accepted, false, `score ${b.match.score}`);
    assert.ok(b.match.score < a.match.score);
    // A threshold above every score rejects A too.
    const strict = processImage(engine, photos[`${PERSON_A}_3`], { threshold: 0.9999 });
    assert.equal(strict.match.accepted, false);
    assert.equal(strict.match.threshold, Math.fround(0.9999));
  });

  test('fusion: frames of A unlock on the third; B and no-face frames do not count', () => {
    engine.resetFusion();
    const seen = [];
    for (const key of [`${PERSON_A}_3`, `${PERSON_B}_1`, `${PERSON_A}_4`, `${PERSON_A}_3`]) {
      const r = processImage(engine, photos[key]);
      seen.push([r.fused.accepted, r.fused.frames]);
      const grey = processImage(engine, greyImage(250, 250));
      assert.equal(grey.fused, null);
    }
    assert.deepEqual(seen, [[false, 1], [false, 1], [false, 2], [true, 3]]);
    const last = processImage(engine, photos[`${PERSON_A}_4`]);
    assert.equal(last.fused.user, PERSON_A);
    assert.equal(last.fused.required, 3);
    assert.equal(last.fused.window, 5);

    engine.setFusion(2, 2);
    assert.equal(processImage(engine, photos[`${PERSON_A}_3`]).fused.accepted, false);
    assert.equal(processImage(engine, photos[`${PERSON_A}_4`]).fused.accepted, true);
    assert.equal(processImage(engine, photos[`${PERSON_B}_1`]).fused.accepted, false);

    // Removing the user forgets their frames.
    engine.setFusion(1, 5);
    assert.equal(processImage(engine, photos[`${PERSON_A}_3`]).fused.accepted, true);
    const exported = engine.exportUser(PERSON_A);
    engine.removeUser(PERSON_A);
    const afterRemoval = processImage(engine, photos[`${PERSON_B}_1`]);
    assert.equal(afterRemoval.fused.accepted, false);
    assert.equal(afterRemoval.match.user, null);  // nobody left to compare with
    engine.importUser(exported);
    engine.setFusion(3, 5);
  });

  test('security levels: by false-accept rate, with the old names as aliases', () => {
    const levels = engine.securityLevels();
    assert.deepEqual(levels.map((l) => l.name), ['1e-3', '1e-4', '2e-5']);
    assert.equal(engine.securityLevel(), '1e-3');
    assert.equal(engine.threshold(), engine.thresholds()['far_1e-3']);
    engine.setSecurityLevel('strict');
    assert.deepEqual([engine.securityLevel(), engine.threshold()], ['1e-4', levels[1].threshold]);
    assertJsError(() => engine.setSecurityLevel('1e-2'), /cannot choose security level \('1e-2'\)/);
    assert.equal(engine.securityLevel(), '1e-4', 'a refused level changes nothing');
    engine.setSecurityLevel('1e-3');
  });

  test('an unlock attempt: the session decides, liveness stops a still photo', () => {
    const attempt = (key, frames) => {
      assert.equal(engine.beginUnlock().status, 'running');
      let r;
      for (let i = 0; i < frames; i++) {
        const photo = photos[key];
        engine.frameView(photo.width, photo.height).set(photo.rgba);
        r = engine.unlockFrame(photo.width, photo.height).update;
        if (r.status !== 'running') return r;
      }
      return engine.endUnlock();
    };
    engine.setLockout(null);
    const open = attempt(`${PERSON_A}_3`, 5);
    assert.deepEqual([open.status, open.reason, open.user, open.hint], ['unlocked', 'matched', PERSON_A, '']);
    assert.ok(open.score >= engine.threshold());
    assert.equal(open.fused.accepted, true);
    const stranger = attempt(`${PERSON_B}_1`, 3);
    assert.deepEqual([stranger.status, stranger.reason, stranger.user], ['rejected', 'timeout', null]);

    engine.setLiveness({ enabled: true, turnMs: 1000, seed: 7 });
    assert.deepEqual([...engine.nextTurns()].sort(), ['left', 'right']);
    assert.equal(engine.liveness().enabled, true);
    const first = engine.nextTurns()[0];
    assert.equal(engine.beginUnlock().status, 'running');
    const photo = photos[`${PERSON_A}_3`];
    let u;
    for (let i = 0; i < 3; i++) {
      engine.frameView(photo.width, photo.height).set(photo.rgba);
      u = engine.unlockFrame(photo.width, photo.height).update;
    }
    assert.equal(u.status, 'running');
    assert.deepEqual(u.challenge, { turn: first, turnsDone: 0, turnsTotal: 2 });
    assert.equal(u.hint, `turn your head to the ${first}`);
    const failed = engine.endUnlock();
    assert.deepEqual([failed.status, failed.reason, failed.user], ['rejected', 'liveness-failed', null]);
    assertJsError(() => engine.unlockFrame(photo.width, photo.height), /no unlock attempt is running/);
    assertJsError(() => engine.setLiveness({ turnMs: 10 }), /turn_ms/);
    assertJsError(() => engine.setLiveness({ seed: -1 }), /seed/);
    assertJsError(() => engine.setLiveness(5), /expected an object/);
    engine.setLiveness({ enabled: false });
    engine.setLockout({});
  });
});

/**
 * A valid gallery file with one 3-value user made by the embedder `identity`, built from the
 * header of `template` (a gallery file of this build) so only the body and checksum are new:
 * docs/gallery-format.md.
 * @param {!Uint8Array} template
 * @param {string} identity
 * @return {!Uint8Array}
 */
function foreignGallery(template, identity) {
  const name = new TextEncoder().encode('x');
  const embedder = new TextEncoder().encode(identity);
  const body = new DataView(new ArrayBuffer(4 + embedder.length + 4 + 4 + 4 + name.length + 4 + 3 * 4));
  let at = 0;
  const u32 = (v) => { body.setUint32(at, v, true); at += 4; };
  u32(embedder.length);
  new Uint8Array(body.buffer, at, embedder.length).set(embedder);
  at += embedder.length;
  u32(3);  // dimension
  u32(1);  // users
  u32(name.length);
  new Uint8Array(body.buffer, at, name.length).set(name);
  at += name.length;
  u32(1);  // templates
  for (const v of [1, 0, 0]) { body.setFloat32(at, v, true); at += 4; }
  const bytes = new Uint8Array(32 + body.byteLength);
  bytes.set(template.subarray(0, 32));
  bytes.set(new Uint8Array(body.buffer), 32);
  const header = new DataView(bytes.buffer);
  header.setBigUint64(16, BigInt(body.byteLength), true);
  header.setUint32(24, crc32(new Uint8Array(body.buffer)), true);
  return bytes;
}

/** CRC-32 (IEEE), as the gallery header's checksum. */
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
