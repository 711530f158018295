// The Engine with the 68-point landmark model (Engine options.landmarks, docs/engine-api.md):
// it reports the landmark path's liveness bounds (src/unlock/liveness_bounds.h), its galleries
// record the keypoints their faces were aligned on and are refused by an engine aligning on
// other ones, a wrong or damaged landmark model is a clear load error, and on LFW photos the
// landmark engine enrolls and matches on its own points.
//
// LFW lives in <repo>/../shared/data/lfw. Without it the photo tests skip with the reason
// printed; in CI ($CI set) its absence is a failure.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { repoRoot } from '../../wasm/node_loader.mjs';
import { assertJsError, lfwMissing, lfwPhoto, loadCoreOrSkip } from './helpers.mjs';

const MODELS = path.join(repoRoot, 'models');
const PERSON_A = 'Aaron_Peirsol';
const PERSON_B = 'Colin_Powell';

// The bounds each keypoint source's calibration chose (src/unlock/liveness_bounds.h and the
// table in src/unlock/README.md): the engine must hand the session the set of the points it
// measures, whole.
const DETECTOR_BOUNDS = { minLateral: 0.2, minParallax: 0.25, minScale: 0.87, maxScale: 1.15,
  minAspect: 0.8, minSqueeze: 0.94, maxJudgedLateral: 0 };
const LANDMARK_BOUNDS = { minLateral: 0.14, minParallax: 0.15, minScale: 0.85, maxScale: 1.2,
  minAspect: 0.75, minSqueeze: 0.88, maxJudgedLateral: 0.4 };

const { core, skip: coreSkip } = await loadCoreOrSkip();
const photoSkip = coreSkip || (await lfwMissing([[PERSON_A, 1], [PERSON_A, 2], [PERSON_A, 3], [PERSON_B, 1]], 'landmark engine photo tests'));

/** The seven bounds of engine.liveness(). */
function boundsOf(engine) {
  const l = engine.liveness();
  return Object.fromEntries(Object.keys(DETECTOR_BOUNDS).map((k) => [k, l[k]]));
}

/** A unit vector of 128 values, different for each seed. */
function unit(seed) {
  const v = new Float32Array(128);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(seed * 5.3 + i * 0.7);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

let models;
before(async () => {
  if (coreSkip) return;
  // Plain Uint8Arrays: a Buffer's slice() is a view, and the tests damage copies.
  const read = async (name) => new Uint8Array(await readFile(path.join(MODELS, name)));
  models = {
    detector: await read('blazeface-short.fum'),
    embedder: await read('dlib-resnet-int8.fum'),
    landmarks: await read('face-landmarks-68.fum'),
  };
});

describe('Engine with the landmark model', { skip: coreSkip }, () => {
  const engines = [];
  const make = (options) => {
    const engine = options ? new core.Engine(models.detector, models.embedder, options) :
      new core.Engine(models.detector, models.embedder);
    engines.push(engine);
    return engine;
  };
  after(() => {
    for (const e of engines) e.delete();
  });

  test('liveness() reports the bounds of the keypoints the engine measures', () => {
    const landmarks = make({ landmarks: models.landmarks });
    const detector = make();
    assert.equal(landmarks.keypoints(), 'landmarks-68');
    assert.equal(detector.keypoints(), 'detector');
    assert.equal(landmarks.liveness().keypoints, 'landmarks-68');
    assert.deepEqual(boundsOf(landmarks), LANDMARK_BOUNDS);
    assert.deepEqual(boundsOf(detector), DETECTOR_BOUNDS);
    // Undefined and null landmarks are no landmarks.
    assert.equal(make({ landmarks: undefined }).keypoints(), 'detector');
    assert.equal(make({ landmarks: null }).keypoints(), 'detector');
    // Turning the challenge on keeps the source's bounds; a bound given overrides only itself.
    landmarks.setLiveness({ enabled: true, seed: 3 });
    assert.deepEqual(boundsOf(landmarks), LANDMARK_BOUNDS);
    landmarks.setLiveness({ minSqueeze: 0.9 });
    assert.deepEqual(boundsOf(landmarks), { ...LANDMARK_BOUNDS, minSqueeze: 0.9 });
    landmarks.setLiveness({ maxJudgedLateral: 0 });
    assert.equal(landmarks.liveness().maxJudgedLateral, 0);
    // A judged range that ends before a counted turn begins is refused.
    assert.throws(() => landmarks.setLiveness({ maxJudgedLateral: 0.1 }), /max_judged_lateral/);
    assert.equal(landmarks.liveness().maxJudgedLateral, 0);
  });

  test('galleries record the keypoints; the other source refuses them and keeps its users', () => {
    const landmarks = make({ landmarks: models.landmarks });
    const detector = make();
    const identity = detector.embedder().identity;
    assert.equal(landmarks.embedder().identity, identity, 'the same embedder');
    assert.equal(detector.embedder().templates, identity);
    assert.equal(landmarks.embedder().templates, `${identity}+landmarks-68`);

    landmarks.addTemplate('ann', unit(1));
    detector.addTemplate('bob', unit(2));
    const ann = landmarks.exportUser('ann');
    const bob = detector.exportUser('bob');
    const detectorGallery = detector.exportGallery();
    const landmarkGallery = landmarks.exportGallery();
    const refusals = [
      [() => detector.importUser(ann), detector, `${identity}+landmarks-68`, identity, 'landmarks-68', 'detector'],
      [() => detector.importGallery(landmarkGallery), detector, `${identity}+landmarks-68`, identity, 'landmarks-68', 'detector'],
      [() => landmarks.importUser(bob), landmarks, identity, `${identity}+landmarks-68`, 'detector', 'landmarks-68'],
      [() => landmarks.importGallery(detectorGallery), landmarks, identity, `${identity}+landmarks-68`, 'detector', 'landmarks-68'],
    ];
    for (const [run, engine, stored, running, was, now] of refusals) {
      const before = engine.exportGallery();
      assert.throws(run, (e) => {
        assert.equal(e.code, 'embedder-mismatch');
        assert.deepEqual([e.stored, e.running], [stored, running]);
        assert.match(e.message, new RegExp(`aligned on the keypoints '${was}'.*this engine aligns on '${now}'`));
        assert.match(e.message, /load the 68-point landmark model or not, as then\) or enroll the users again/);
        return true;
      });
      assert.deepEqual(engine.exportGallery(), before, 'a refused import changes nothing');
    }
    // Each source takes its own back.
    const again = make({ landmarks: models.landmarks });
    assert.equal(again.importUser(ann), 'ann');
    again.importGallery(landmarkGallery);
    assert.deepEqual(again.exportGallery(), landmarkGallery);
  });

  test('a wrong or damaged landmark model is a clear load error', () => {
    const { detector, embedder, landmarks } = models;
    const flipped = landmarks.slice();
    flipped[1000] ^= 0x10;
    const cases = [
      [detector, /cannot use model as a face landmarker \(blazeface-short\): output_kind is 'detector', expected 'landmarks'/],
      [embedder, /cannot use model as a face landmarker \(dlib-resnet-int8\)/],
      [flipped, /cannot read model file \(landmark model bytes\): checksum mismatch/],
      [landmarks.slice(0, landmarks.length - 7), /cannot read model file \(landmark model bytes\).*truncated/],
      [new Uint8Array(0), /landmark model bytes.*truncated: 0 bytes/],
      ['face-landmarks-68.fum', /cannot read landmark model bytes \(string\): expected a Uint8Array/],
    ];
    for (const [bytes, pattern] of cases) {
      assertJsError(() => new core.Engine(detector, embedder, { landmarks: bytes }), pattern);
    }
    // The module is still usable afterwards.
    assert.equal(make({ landmarks }).keypoints(), 'landmarks-68');
  });
});

describe('Engine with the landmark model on LFW photos', { skip: photoSkip }, () => {
  let landmarks;
  let detector;
  const photos = {};
  before(async () => {
    landmarks = new core.Engine(models.detector, models.embedder, { landmarks: models.landmarks });
    detector = new core.Engine(models.detector, models.embedder);
    for (const [person, n] of [[PERSON_A, 1], [PERSON_A, 2], [PERSON_A, 3], [PERSON_B, 1]]) {
      photos[`${person}_${n}`] = core.decodeImage(await readFile(lfwPhoto(person, n)));
    }
  });
  after(() => {
    landmarks?.delete();
    detector?.delete();
  });

  const process = (engine, key, options) => {
    const p = photos[key];
    engine.frameView(p.width, p.height).set(p.rgba);
    return engine.processFrame(p.width, p.height, options);
  };

  test('the landmarks move the keypoints faces are aligned on', () => {
    const a = process(landmarks, `${PERSON_A}_1`, { match: false });
    const b = process(detector, `${PERSON_A}_1`, { match: false });
    assert.equal(a.faces.length, b.faces.length);
    const ka = a.faces[a.chosen].keypoints;
    const kb = b.faces[b.chosen].keypoints;
    // Eyes, nose tip and mouth (the first four) come from the landmarks; the ears stay the
    // detector's.
    const moved = ka.map(([x, y], i) => Math.hypot(x - kb[i][0], y - kb[i][1]));
    assert.ok(moved.slice(0, 4).some((d) => d > 0.5), `moved ${moved.map((d) => d.toFixed(2))}`);
    assert.deepEqual(moved.slice(4), [0, 0]);
    // A face 100 px wide: the two sources agree to a few pixels on where the points are.
    assert.ok(Math.max(...moved) < 12, `moved ${moved.map((d) => d.toFixed(2))}`);
    const cos = a.embedding.reduce((s, v, i) => s + v * b.embedding[i], 0);
    assert.ok(cos < 0.99999, 'another alignment gives another embedding');
  });

  test('enroll A from two photos with the landmarks: a third photo of A unlocks, B does not', () => {
    for (const n of [1, 2]) {
      const r = process(landmarks, `${PERSON_A}_${n}`, { match: false });
      assert.equal(landmarks.addTemplate(PERSON_A, r.embedding), n);
    }
    const a = process(landmarks, `${PERSON_A}_3`);
    assert.deepEqual([a.match.user, a.match.accepted], [PERSON_A, true], `score ${a.match.score}`);
    const b = process(landmarks, `${PERSON_B}_1`);
    assert.equal(b.match.accepted, false, `score ${b.match.score}`);
  });

  test('a still photo fails the challenge on the landmark path', () => {
    landmarks.setLockout(null);
    landmarks.setLiveness({ enabled: true, turnMs: 1000, seed: 11 });
    assert.equal(landmarks.beginUnlock().status, 'running');
    const p = photos[`${PERSON_A}_3`];
    let u;
    for (let i = 0; i < 4; i++) {
      landmarks.frameView(p.width, p.height).set(p.rgba);
      u = landmarks.unlockFrame(p.width, p.height).update;
    }
    assert.equal(u.status, 'running');
    assert.equal(u.challenge.turnsDone, 0);
    const failed = landmarks.endUnlock();
    assert.deepEqual([failed.status, failed.reason], ['rejected', 'liveness-failed']);
  });
});
