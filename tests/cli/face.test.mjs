// End-to-end tests of the face subcommands of the native CLI on real photos: detect, embed,
// enroll, verify, identify, users, remove, eval and calibrate, with the shipped models. LFW comes
// from ../shared/data (see its README); without it, or without the binary, the tests skip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// An LFW pairs file of two folds, two matched and two mismatched pairs each.
const SMALL_PAIRS = [
  '2 2',
  'George_W_Bush 1 2', 'Colin_Powell 1 2',
  'George_W_Bush 1 Colin_Powell 1', 'Tony_Blair 1 Colin_Powell 2',
  'Tony_Blair 1 2', 'Donald_Rumsfeld 1 2',
  'Tony_Blair 3 George_W_Bush 3', 'Donald_Rumsfeld 1 Tony_Blair 2', ''].join('\n');

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.FACEUNLOCK_BIN || path.join(repo, 'build', 'faceunlock');
const data = path.resolve(repo, '..', 'shared', 'data');
const lfw = path.join(data, 'lfw');
const att = path.join(data, 'att-faces');
const photo = (name, n) => path.join(lfw, name, `${name}_${String(n).padStart(4, '0')}.jpg`);

let skip = false;
if (!fs.existsSync(bin)) skip = `faceunlock binary not found at ${bin}: build it first`;
else if (!fs.existsSync(photo('George_W_Bush', 1))) skip = `LFW photos not found under ${lfw}`;

function cli(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 300_000, cwd: repo });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertExit(result, code) {
  assert.equal(result.code, code, `exit ${result.code}, wanted ${code}\n` +
    `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

// A flat grey PGM: a valid photo with no face in it.
function writeBlankPhoto(file) {
  const header = Buffer.from('P5\n96 96\n255\n', 'ascii');
  fs.writeFileSync(file, Buffer.concat([header, Buffer.alloc(96 * 96, 128)]));
}

describe('face commands', { skip }, () => {
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceunlock-face-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('detect finds one face with ordered keypoints and draws it', () => {
    const out = path.join(dir, 'annotated.png');
    const r = cli('detect', photo('George_W_Bush', 1), '--json', '--out', out);
    assertExit(r, 0);
    const faces = JSON.parse(r.stdout).images[0].faces;
    assert.equal(faces.length, 1);
    const k = faces[0].keypoints;
    assert.ok(k.right_eye[0] < k.left_eye[0], 'the subject\'s right eye is on the image\'s left');
    assert.ok(k.right_eye[1] < k.nose_tip[1] && k.nose_tip[1] < k.mouth_center[1]);
    assert.ok(faces[0].score > 0.5);
    const png = fs.readFileSync(out);
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  });

  it('detect --landmarks lists 68 points where the face is, and refuses a model of another kind', () => {
    const r = cli('detect', photo('George_W_Bush', 1), '--json', '--landmarks',
      'models/face-landmarks-68.fum');
    assertExit(r, 0);
    const [face] = JSON.parse(r.stdout).images[0].faces;
    assert.equal(face.landmarks.length, 68);
    const mean = (from, to) => [0, 1].map((c) =>
      face.landmarks.slice(from, to).reduce((s, p) => s + p[c], 0) / (to - from));
    // dlib's numbering: 36-41 the subject's right eye, 42-47 the left, 30 the nose tip. They land
    // within a fifth of the eye distance of the detector's own keypoints.
    const k = face.keypoints;
    const eyes = Math.hypot(k.left_eye[0] - k.right_eye[0], k.left_eye[1] - k.right_eye[1]);
    const near = (a, b, what) => assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1]) < 0.2 * eyes,
      `${what}: landmarks ${a} against keypoint ${b}`);
    near(mean(36, 42), k.right_eye, 'right eye');
    near(mean(42, 48), k.left_eye, 'left eye');
    near(face.landmarks[30], k.nose_tip, 'nose tip');
    // The jaw line (0-16) runs from the subject's right to left, below the eyes at its middle.
    assert.ok(face.landmarks[0][0] < face.landmarks[8][0] && face.landmarks[8][0] < face.landmarks[16][0]);
    assert.ok(face.landmarks[8][1] > k.mouth_center[1]);
    // Without the flag, no landmarks; with the wrong model, an error naming it.
    assert.equal(JSON.parse(cli('detect', photo('George_W_Bush', 1), '--json').stdout)
      .images[0].faces[0].landmarks, undefined);
    const wrong = cli('detect', photo('George_W_Bush', 1), '--landmarks', 'models/blazeface-short.fum');
    assertExit(wrong, 1);
    assert.match(wrong.stderr, /cannot use model as a face landmarker/);
  });

  it('detect reports no face as an empty list, and a broken file as an error', () => {
    const blank = path.join(dir, 'blank.pgm');
    writeBlankPhoto(blank);
    const r = cli('detect', blank, '--json');
    assertExit(r, 0);
    assert.equal(JSON.parse(r.stdout).images[0].faces.length, 0);
    const broken = path.join(dir, 'broken.jpg');
    fs.writeFileSync(broken, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const bad = cli('detect', broken);
    assertExit(bad, 1);
    assert.match(bad.stderr, /cannot decode image/);
  });

  it('embed gives a unit vector, and fails clearly without a face or with the wrong model', () => {
    const r = cli('embed', photo('George_W_Bush', 1), '--json');
    assertExit(r, 0);
    const e = JSON.parse(r.stdout).images[0].embedding;
    assert.equal(e.length, 128);
    assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4);
    const blank = path.join(dir, 'blank2.pgm');
    writeBlankPhoto(blank);
    const none = cli('embed', blank);
    assertExit(none, 1);
    assert.match(none.stderr, /no face found/);
    const wrong = cli('embed', photo('George_W_Bush', 1), '--model', 'models/blazeface-short.fum');
    assertExit(wrong, 1);
    assert.match(wrong.stderr, /cannot use model as a face embedder/);
  });

  it('enrolls, verifies, identifies, lists and removes users; bad input loses nothing', () => {
    const gallery = path.join(dir, 'gallery.fug');
    assertExit(cli('enroll', '--gallery', gallery, '--user', 'george',
      photo('George_W_Bush', 1), photo('George_W_Bush', 2)), 0);
    assertExit(cli('enroll', '--gallery', gallery, '--user', 'colin', photo('Colin_Powell', 1)), 0);

    const users = JSON.parse(cli('users', '--gallery', gallery, '--json').stdout).users;
    assert.deepEqual(users.map((u) => [u.user, u.templates]), [['colin', 1], ['george', 2]]);

    // Same person, a photo not enrolled: accepted (exit 0). Another person: rejected (exit 3).
    const same = cli('verify', '--gallery', gallery, '--user', 'george', photo('George_W_Bush', 3),
      '--json');
    assertExit(same, 0);
    assert.equal(JSON.parse(same.stdout).accepted, true);
    const other = cli('verify', '--gallery', gallery, '--user', 'george', photo('Colin_Powell', 2),
      '--json');
    assertExit(other, 3);
    assert.equal(JSON.parse(other.stdout).accepted, false);

    const who = cli('identify', '--gallery', gallery, photo('Colin_Powell', 3), '--json');
    assertExit(who, 0);
    assert.equal(JSON.parse(who.stdout).user, 'colin');

    const unknown = cli('verify', '--gallery', gallery, '--user', 'nobody', photo('Colin_Powell', 2));
    assertExit(unknown, 1);
    assert.match(unknown.stderr, /not enrolled/);

    // A photo without a face enrolls nothing: the gallery keeps its bytes.
    const before = fs.readFileSync(gallery);
    const blank = path.join(dir, 'blank3.pgm');
    writeBlankPhoto(blank);
    const failed = cli('enroll', '--gallery', gallery, '--user', 'george', photo('George_W_Bush', 4),
      blank);
    assertExit(failed, 1);
    assert.match(failed.stderr, /cannot find a face/);
    assert.deepEqual(fs.readFileSync(gallery), before);

    assertExit(cli('remove', '--gallery', gallery, '--user', 'colin'), 0);
    assert.deepEqual(JSON.parse(cli('users', '--gallery', gallery, '--json').stdout).users
      .map((u) => u.user), ['george']);

    // A tampered gallery is refused with the reason.
    const tampered = Buffer.from(fs.readFileSync(gallery));
    tampered[tampered.length - 3] ^= 0x40;
    fs.writeFileSync(gallery, tampered);
    const refused = cli('verify', '--gallery', gallery, '--user', 'george', photo('George_W_Bush', 3));
    assertExit(refused, 1);
    assert.match(refused.stderr, /checksum mismatch/);
  });

  it('a gallery names its embedder; another embedder refuses it and leaves it alone', () => {
    const gallery = path.join(dir, 'student.fug');
    const student = path.join(repo, 'models', 'mobilefacenet-student.fum');
    assertExit(cli('enroll', '--gallery', gallery, '--model', student, '--user', 'george',
      photo('George_W_Bush', 1)), 0);
    assert.match(fs.readFileSync(gallery).subarray(36, 80).toString('latin1'), /^mobilefacenet-w0\.5-112@[0-9a-f]{8}/);
    const before = fs.readFileSync(gallery);
    // dlib-resnet is 128-d too: without the identity these templates would match garbage.
    for (const args of [['verify', '--user', 'george', photo('George_W_Bush', 2)],
      ['identify', photo('George_W_Bush', 2)], ['enroll', '--user', 'colin', photo('Colin_Powell', 1)]]) {
      const r = cli(args[0], '--gallery', gallery, ...args.slice(1));
      assertExit(r, 1);
      assert.match(r.stderr, /these templates were made by embedder mobilefacenet-w0\.5-112@[0-9a-f]{8}; this engine runs dlib-resnet@[0-9a-f]{8}: run the embedder that made them \(model 'mobilefacenet-w0\.5-112'\)/);
    }
    assert.deepEqual(fs.readFileSync(gallery), before);
    const same = cli('verify', '--gallery', gallery, '--model', student, '--user', 'george',
      photo('George_W_Bush', 2), '--threshold', '0.5', '--json');
    assert.ok([0, 3].includes(same.code), same.stderr);
  });

  it('a gallery enrolled with --landmarks records its keypoints, and later commands align on them', () => {
    const gallery = path.join(dir, 'landmarks.fug');
    const landmarks = path.join(repo, 'models', 'face-landmarks-68.fum');
    assertExit(cli('enroll', '--gallery', gallery, '--landmarks', landmarks, '--user', 'george',
      photo('George_W_Bush', 1)), 0);
    // What the browser engine records for the same path, so backups move between the two.
    const recorded = /^dlib-resnet@[0-9a-f]{8}\+landmarks-68/;
    assert.match(fs.readFileSync(gallery).subarray(36, 80).toString('latin1'), recorded);
    // Without the flag the commands open the shipped landmark model for this gallery: a second
    // user joins on the same points, and the first is found among both.
    assertExit(cli('enroll', '--gallery', gallery, '--user', 'colin', photo('Colin_Powell', 1)), 0);
    assert.match(fs.readFileSync(gallery).subarray(36, 80).toString('latin1'), recorded);
    assert.deepEqual(JSON.parse(cli('users', '--gallery', gallery, '--json').stdout).users
      .map((u) => u.user).sort(), ['colin', 'george']);
    const id = cli('identify', '--gallery', gallery, photo('George_W_Bush', 2), '--json');
    assert.ok([0, 3].includes(id.code), id.stderr);
    assert.equal(JSON.parse(id.stdout).ranking[0].user, 'george');
    const v = cli('verify', '--gallery', gallery, '--user', 'george', photo('George_W_Bush', 2),
      '--json');
    assert.ok([0, 3].includes(v.code), v.stderr);
    assert.ok(JSON.parse(v.stdout).score > 0.9, v.stdout);

    // The other way round: a gallery enrolled on BlazeFace's keypoints refuses frames aligned on
    // the landmarks, and keeps its file as it was.
    const plain = path.join(dir, 'detector.fug');
    assertExit(cli('enroll', '--gallery', plain, '--user', 'george', photo('George_W_Bush', 1)), 0);
    const before = fs.readFileSync(plain);
    for (const args of [['enroll', '--user', 'colin', photo('Colin_Powell', 1)],
      ['verify', '--user', 'george', photo('George_W_Bush', 2)]]) {
      const r = cli(args[0], '--gallery', plain, '--landmarks', landmarks, ...args.slice(1));
      assertExit(r, 1);
      assert.match(r.stderr, /faces aligned on the keypoints 'detector'.*this engine aligns on 'landmarks-68'/);
    }
    assert.deepEqual(fs.readFileSync(plain), before);
  });

  it('eval and calibrate run the LFW protocol on a small pairs file', () => {
    const pairs = path.join(dir, 'pairs.txt');
    fs.writeFileSync(pairs, SMALL_PAIRS);
    const svg = path.join(dir, 'roc.svg');
    const r = cli('eval', '--data', lfw, '--pairs', pairs, '--plot', svg, '--json');
    assertExit(r, 0);
    const report = JSON.parse(r.stdout);
    assert.equal(report.pairs, 8);
    assert.equal(report.kfold.folds.length, 2);
    assert.equal(report.kfold.mean, 1, 'these famous faces are easy');
    assert.equal(report.photos_without_face, 0);
    assert.match(fs.readFileSync(svg, 'utf8'), /^<svg/);

    const calibrated = path.join(dir, 'calibrated.fum');
    const c = cli('calibrate', '--data', lfw, '--pairs', pairs, '--out', calibrated, '--json');
    assertExit(c, 0);
    assert.ok(Number.isFinite(JSON.parse(c.stdout).thresholds['embedder.threshold']));
    const info = cli('info', calibrated, '--json');
    assertExit(info, 0);
    assert.match(info.stdout, /embedder\.threshold\.source/);
  });

  it('eval scores pairs as template and probe under each mirror policy', () => {
    const pairs = path.join(dir, 'mirror-pairs.txt');
    fs.writeFileSync(pairs, SMALL_PAIRS);
    const r = cli('eval', '--data', lfw, '--pairs', pairs, '--json', '--compare-mirror');
    assertExit(r, 0);
    const report = JSON.parse(r.stdout);
    assert.equal(report.mirror, 'templates', 'the library default');
    assert.deepEqual(report.mirror_policies.map((p) => p.mirror), ['both', 'templates', 'none']);
    const same = report.mirror_policies.find((p) => p.mirror === report.mirror);
    assert.equal(same.best_accuracy, report.best_accuracy);
    assert.equal(same.kfold_mean, report.kfold.mean);
    assert.deepEqual(same.tar_at_far, report.all_pairs.tar_at_far);

    const both = cli('eval', '--data', lfw, '--pairs', pairs, '--json', '--mirror', 'both');
    assertExit(both, 0);
    const bothReport = JSON.parse(both.stdout);
    assert.equal(bothReport.mirror, 'both');
    assert.equal(bothReport.mirror_policies, undefined);
    assert.deepEqual(bothReport.all_pairs.tar_at_far,
        report.mirror_policies.find((p) => p.mirror === 'both').tar_at_far);

    const wrong = cli('eval', '--data', lfw, '--pairs', pairs, '--mirror', 'probes');
    assertExit(wrong, 2);
    assert.match(wrong.stderr, /--mirror: cannot read mirror policy \(probes\): expected both, templates or none/);
  });

  it('eval shrinks the photos by --photo-scale and refuses scales outside (0, 1]', () => {
    const pairs = path.join(dir, 'scale-pairs.txt');
    fs.writeFileSync(pairs, SMALL_PAIRS);
    const full = JSON.parse(cli('eval', '--data', lfw, '--pairs', pairs, '--json').stdout);
    const r = cli('eval', '--data', lfw, '--pairs', pairs, '--json', '--photo-scale', '0.4');
    assertExit(r, 0);
    const small = JSON.parse(r.stdout);
    assert.equal(full.photo_scale, 1);
    assert.equal(small.photo_scale, 0.4);
    assert.equal(small.photos_without_face, 0, 'a 100-pixel LFW photo still shows its face');
    // Every score moves when the faces are a sixth of the pixels, so the thresholds do too.
    assert.notDeepEqual(small.kfold.folds.map((f) => f.threshold),
        full.kfold.folds.map((f) => f.threshold));
    for (const bad of ['0', '1.5', 'half']) {
      const wrong = cli('eval', '--data', lfw, '--pairs', pairs, '--photo-scale', bad);
      assertExit(wrong, 2);
      assert.match(wrong.stderr, /--photo-scale: '.*' is not a scale in \(0, 1\]/);
    }
  });

  it('calibrate over two populations and far measure the levels', { skip: !fs.existsSync(att) &&
    `AT&T faces not found under ${att}` }, () => {
    const pairs = path.join(dir, 'few-pairs.txt');
    fs.writeFileSync(pairs,
      ['1 1', 'Aaron_Peirsol 1 2', 'Adam_Sandler 1 Alec_Baldwin 1', ''].join('\n'));
    const calibrated = path.join(dir, 'two-populations.fum');
    const c = cli('calibrate', '--population', att, '--population', `${lfw}:${pairs}`,
      '--out', calibrated, '--json', '--jobs', '2');
    assertExit(c, 0);
    const report = JSON.parse(c.stdout);
    assert.deepEqual(report.populations.map((p) => p.identities), [40, 3]);
    assert.equal(report.populations[0].different_pairs, 400 * 399 / 2 - 40 * 45);
    // 78,000 AT&T pairs can show 1e-3 and 1e-4, not 2e-5; the 48 LFW pairs show nothing.
    const [l3, l4, l25] = report.levels;
    assert.equal(l3.calibrated, true);
    assert.equal(l3.populations[0].measurable, true);
    assert.equal(l3.populations[1].measurable, false);
    assert.equal(l3.spread, 0);
    assert.ok(l3.threshold >= l3.populations[0].threshold);
    assert.ok(l4.calibrated && l4.threshold >= l3.threshold);
    assert.equal(l25.calibrated, false);
    assert.equal(report.thresholds['embedder.threshold'], report.thresholds['embedder.threshold.far_1e-3']);
    const info = JSON.parse(cli('info', calibrated, '--json').stdout);
    const props = JSON.stringify(info);
    assert.ok(!props.includes('far_2e-5'), 'an uncalibrated level is removed, not kept stale');

    const f = cli('far', '--data', att, '--model', calibrated, '--json', '--jobs', '2');
    assertExit(f, 0);
    const far = JSON.parse(f.stdout);
    assert.equal(far.protocol.users, 40, 'ten photos each: 5 templates + 5 frames');
    assert.equal(far.protocol.impostor_attempts, 40 * 39);
    assert.deepEqual(far.levels.map((l) => l.level), ['default', 'far_1e-3', 'far_1e-4']);
    const level = far.levels[1];
    assert.equal(level.all_pairs.false_accepts.trials, report.populations[0].different_pairs);
    assert.equal(level.all_pairs.false_rejects.trials, 40 * 45);
    // Calibrated on these very photos, so the bound holds here by construction.
    assert.ok(level.all_pairs.false_accepts.rate <= 1e-3, JSON.stringify(level));
    assert.equal(level.enrolled.frame_false_accepts.trials, 40 * 390);
    assert.equal(level.enrolled.frame_false_rejects.trials, 40 * 5);

    assertExit(cli('far', '--data', att, '--named-photos'), 2);

    // --templates 5 holds each level per frame against 5 templates: pairs at a fifth of the rate,
    // so a stricter 1e-3 threshold, and 1e-4 (2e-5 per pair) is more than 78,000 pairs can show.
    const perFrame = path.join(dir, 'per-frame.fum');
    const t = cli('calibrate', '--population', att, '--templates', '5', '--out', perFrame, '--json',
      '--jobs', '2');
    assertExit(t, 0);
    const strict = JSON.parse(t.stdout);
    assert.equal(strict.templates, 5);
    assert.ok(Math.abs(strict.levels[0].target_far - 2e-4) < 1e-12, JSON.stringify(strict.levels[0]));
    assert.ok(strict.levels[0].calibrated && strict.levels[0].threshold > l3.threshold,
        `${strict.levels[0].threshold} > ${l3.threshold}`);
    assert.equal(strict.levels[1].calibrated, false);
    const g = JSON.parse(cli('far', '--data', att, '--model', perFrame, '--json', '--jobs', '2').stdout);
    const framed = g.levels.find((l) => l.level === 'far_1e-3').enrolled.frame_false_accepts;
    assert.ok(framed.errors / framed.trials <= 1e-3, JSON.stringify(framed));
    assert.match(JSON.stringify(JSON.parse(cli('info', perFrame, '--json').stdout)),
        /held per frame against 5 templates/);
  });
});
