/**
 * @file Fake-camera videos for the liveness measurements, made from ../shared/data photos at test
 * time (nothing is committed): genuine head-turn runs synthesised from several photos of one
 * person at different yaws, and photo attacks (a photo held still, moved, zoomed, rotated in its
 * plane, tilted about a vertical axis with true perspective, and a face swap mid-challenge).
 * Shared by the native CLI test (tests/cli/unlock.test.mjs) and the browser test; the name keeps
 * node --test from running it.
 *
 * Frames are 640x480 like a webcam's: the 250x250 LFW photo is scaled to 360x360 and centred on a
 * grey background, so the face spans about 150 px (arm's length; less upscaling blur than 480).
 * Every frame is rendered here by inverse mapping through a homography (bilinear sampling) and
 * written as 8-bit 4:2:0 Y4M (BT.601 limited range, what ffmpeg writes for yuv420p).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { headModel, renderPose } from './head-warp.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');
export const lfwDir = path.join(dataDir, 'lfw');
export const attDir = path.join(dataDir, 'att-faces');

export const WIDTH = 640;
export const HEIGHT = 480;
const BACKGROUND = 0x30;
// A 640-pixel webcam with a 60-degree field of view has a focal length of about 554 px; the
// 200-pixel face is then about 40 cm away. The tilted photo is projected with this camera.
const FOCAL = 554;

/**
 * The nose tip's place across the eyes-mouth triangle: 0 on the face's midline, positive towards
 * the subject's left eye (src/unlock/head_turn.cc nose_lateral, used here only to pick photos).
 * @param {Record<string, number[]>} k keypoints by name
 */
export function noseLateral(k) {
  const r = k.right_eye; const l = k.left_eye; const m = k.mouth_center; const n = k.nose_tip;
  const ax = l[0] - r[0]; const ay = l[1] - r[1];
  const dx = m[0] - r[0]; const dy = m[1] - r[1];
  const nx = n[0] - r[0]; const ny = n[1] - r[1];
  const det = ax * dy - ay * dx;
  const a = (nx * dy - ny * dx) / det;
  const b = (ax * ny - ay * nx) / det;
  return 2 * (a + 0.5 * b) - 1;
}

/**
 * face::Quality's yaw: where the nose tip falls between the eyes (0 centred, +-1 over an eye).
 * The quality check rejects |yaw| > 0.5, and a rejected face is not embedded, so its identity
 * cannot be checked during the challenge.
 * @param {Record<string, number[]>} k
 */
export function eyeYaw(k) {
  const r = k.right_eye; const l = k.left_eye; const n = k.nose_tip;
  const dx = l[0] - r[0]; const dy = l[1] - r[1];
  const t = ((n[0] - r[0]) * dx + (n[1] - r[1]) * dy) / (dx * dx + dy * dy);
  return Math.max(-1, Math.min(1, 2 * t - 1));
}

/**
 * A runner of the faceunlock binary for the measuring scripts of this folder: exits with a
 * message when the binary is missing; each call returns spawnSync's result (status, stdout,
 * stderr) and throws when the process could not run.
 * @param {string} bin
 * @returns {(...args: string[]) => import('node:child_process').SpawnSyncReturns<string>}
 */
export function scriptCli(bin) {
  if (!existsSync(bin)) {
    console.error(`faceunlock binary not found at ${bin}: build it first`);
    process.exit(1);
  }
  return (...a) => {
    const r = spawnSync(bin, a, { encoding: 'utf8', timeout: 300_000, cwd: repoRoot, maxBuffer: 1 << 26 });
    if (r.error) throw r.error;
    return r;
  };
}

/**
 * `faceunlock detect --json` on many photos at once: for each, its single face's keypoints and
 * quality, or null when it does not show exactly one face.
 * @param {string} bin
 * @param {string[]} files
 */
export function detectAll(bin, files) {
  const out = new Map();
  for (let i = 0; i < files.length; i += 200) {
    const chunk = files.slice(i, i + 200);
    const run = spawnSync(bin, ['detect', ...chunk, '--json'], { encoding: 'utf8', cwd: repoRoot,
      maxBuffer: 1 << 28 });
    if (run.status !== 0) throw new Error(`faceunlock detect failed: ${run.stderr}`);
    for (const image of JSON.parse(run.stdout).images) {
      const faces = image.faces ?? [];
      out.set(image.file, faces.length === 1 ? faces[0] : null);
    }
  }
  return out;
}

/**
 * The 68 landmarks (`faceunlock detect --landmarks`, located as the unlock path locates them) of
 * the single face in each photo, or null when it does not show exactly one face.
 * @param {string} bin
 * @param {string[]} files
 * @param {string} model the 68-point landmark model
 * @returns {Map<string, number[][] | null>}
 */
export function landmarksAll(bin, files, model) {
  const out = new Map();
  for (let i = 0; i < files.length; i += 200) {
    const chunk = files.slice(i, i + 200);
    const run = spawnSync(bin, ['detect', ...chunk, '--json', '--landmarks', model],
        { encoding: 'utf8', cwd: repoRoot, maxBuffer: 1 << 28 });
    if (run.status !== 0) throw new Error(`faceunlock detect --landmarks failed: ${run.stderr}`);
    for (const image of JSON.parse(run.stdout).images) {
      const faces = image.faces ?? [];
      out.set(image.file, faces.length === 1 ? faces[0].landmarks : null);
    }
  }
  return out;
}

/** The mouth's distance from the eye line, in pixels (src/unlock/head_turn.h `scale`). */
export function faceHeight(k) {
  const r = k.right_eye; const l = k.left_eye; const m = k.mouth_center;
  const ax = l[0] - r[0]; const ay = l[1] - r[1];
  return Math.abs(ax * (m[1] - r[1]) - ay * (m[0] - r[0])) / Math.hypot(ax, ay);
}

/**
 * People of LFW with photos for a synthesised challenge, in name order: two near-frontal photos
 * (one to enroll, one to start the challenge from), one turned to the subject's left and one to
 * the right, each a single face that passes the quality checks. "Turned" means |lateral| >= 0.27
 * (about 15 degrees of yaw by the head model of tests/unlock/head_model.h) with |eyeYaw| <= 0.45
 * (a margin under the quality check's 0.5, which the refined keypoints of the unlock path may
 * cross), "frontal" means |lateral| <= 0.08.
 * @param {string} bin
 * @param {number} count
 * @param {Set<string>} [exclude] names not to use
 * Up to three other good photos of the person are enrolled with the second frontal one (the
 * library enrolls several frames too).
 * @returns {{name: string, enroll: string[], frontal: string, left: string, right: string,
 *   laterals: Record<string, number>, heights: Record<string, number>}[]}
 */
export function pickPeople(bin, count, exclude = new Set()) {
  const people = [];
  const names = readdirSync(lfwDir).sort();
  for (let start = 0; start < names.length && people.length < count; start += 200) {
    const batch = names.slice(start, start + 200).filter((n) => !exclude.has(n));
    const files = [];
    const byName = new Map();
    for (const name of batch) {
      const photos = readdirSync(path.join(lfwDir, name)).sort();
      if (photos.length < 4) continue;
      byName.set(name, photos.map((p) => path.join(lfwDir, name, p)));
      files.push(...byName.get(name));
    }
    const faces = detectAll(bin, files);
    for (const [name, photos] of byName) {
      const good = photos.filter((p) => faces.get(p)?.quality === 'ok')
          .map((p) => ({ p, lat: noseLateral(faces.get(p).keypoints), yaw: eyeYaw(faces.get(p).keypoints),
            height: faceHeight(faces.get(p).keypoints) }));
      const frontal = good.filter((g) => Math.abs(g.lat) <= 0.08).sort((a, b) => Math.abs(a.lat) - Math.abs(b.lat));
      const turned = good.filter((g) => Math.abs(g.yaw) <= 0.45);
      const left = turned.filter((g) => g.lat >= 0.27).sort((a, b) => b.lat - a.lat);
      const right = turned.filter((g) => g.lat <= -0.27).sort((a, b) => a.lat - b.lat);
      if (frontal.length < 2 || !left.length || !right.length) continue;
      const used = new Set([frontal[0].p, left[0].p, right[0].p]);
      const others = good.filter((g) => !used.has(g.p) && g !== frontal[1]).slice(0, 3).map((g) => g.p);
      people.push({ name, enroll: [frontal[1].p, ...others], frontal: frontal[0].p, left: left[0].p,
        right: right[0].p,
        laterals: { frontal: frontal[0].lat, left: left[0].lat, right: right[0].lat },
        heights: { frontal: frontal[0].height, left: left[0].height, right: right[0].height } });
      if (people.length === count) break;
    }
  }
  return people;
}

/**
 * @param {string} file a photo
 * @returns {{width: number, height: number, rgb: Uint8Array}}
 */
export function decodeRgb(file) {
  if (file.endsWith('.pgm')) return decodePgm(file);
  const probe = spawnSync('ffmpeg', ['-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt',
    'rgb24', '-'], { maxBuffer: 1 << 26 });
  if (probe.status !== 0) throw new Error(`ffmpeg cannot decode ${file}: ${probe.stderr}`);
  const rgb = new Uint8Array(probe.stdout);
  const side = Math.round(Math.sqrt(rgb.length / 3));
  if (side * side * 3 !== rgb.length) throw new Error(`${file}: expected a square photo (LFW is 250x250)`);
  return { width: side, height: side, rgb };
}

/**
 * A binary greyscale PGM (the AT&T photos, 92x112) as RGB.
 * @param {string} file
 * @returns {{width: number, height: number, rgb: Uint8Array}}
 */
function decodePgm(file) {
  const bytes = readFileSync(file);
  // "P5", width, height, maxval, separated by whitespace and "#" comments to the line's end.
  const fields = [];
  let i = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(bytes[i]))) i++;
    if (bytes[i] === 0x23) {
      while (bytes[i] !== 0x0a) i++;
      continue;
    }
    let field = '';
    while (!/\s/.test(String.fromCharCode(bytes[i]))) field += String.fromCharCode(bytes[i++]);
    fields.push(field);
  }
  i++; // the single whitespace byte before the pixels
  const [magic, width, height, maxval] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[3])];
  if (magic !== 'P5' || maxval !== 255 || bytes.length - i !== width * height) {
    throw new Error(`${file}: expected an 8-bit binary PGM`);
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let k = 0; k < width * height; k++) rgb.fill(bytes[i + k], 3 * k, 3 * k + 3);
  return { width, height, rgb };
}

/**
 * Writes a 640x480 RGB frame as a binary PPM, which `faceunlock enroll` reads (stb_image).
 * @param {string} file
 * @param {Uint8Array} rgb
 */
export function writePpm(file, rgb) {
  writeFileSync(file, Buffer.concat([Buffer.from(`P6\n${WIDTH} ${HEIGHT}\n255\n`, 'ascii'), rgb]));
}

/**
 * How a photo is held in one frame: in-plane motion (dx, dy pixels, roll degrees, zoom factor
 * about the photo's centre) and a tilt about the photo's vertical axis (degrees, true perspective).
 * @typedef {{dx?: number, dy?: number, roll?: number, zoom?: number, tilt?: number}} Hold
 */

/**
 * One 640x480 RGB frame showing `photo` held as `hold`.
 * @param {{width: number, height: number, rgb: Uint8Array}} photo
 * @param {Hold} hold
 */
export function render(photo, hold = {}) {
  const out = new Uint8Array(WIDTH * HEIGHT * 3).fill(BACKGROUND);
  const size = 360; // the photo's height on the canvas before the hold (its side, for LFW)
  const sizeX = (size * photo.width) / photo.height;
  const cx = WIDTH / 2 + (hold.dx ?? 0);
  const cy = HEIGHT / 2 + (hold.dy ?? 0);
  const zoom = hold.zoom ?? 1;
  const roll = ((hold.roll ?? 0) * Math.PI) / 180;
  const tilt = ((hold.tilt ?? 0) * Math.PI) / 180;
  const cosR = Math.cos(roll); const sinR = Math.sin(roll);
  const cosT = Math.cos(tilt); const sinT = Math.sin(tilt);
  const toPhoto = photo.height / size;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      // Undo, in reverse order: the move, the roll, the perspective tilt, the zoom.
      const ux = x - cx; const uy = y - cy;
      const rx = cosR * ux + sinR * uy; const ry = -sinR * ux + cosR * uy;
      // A point X on the plane turned by `tilt` lands at x' = F X cos / (F + X sin): invert.
      const denom = FOCAL * cosT - rx * sinT;
      if (denom <= 1e-6) continue;
      const px = (rx * FOCAL) / denom;
      const py = (ry * (FOCAL + px * sinT)) / FOCAL;
      const sx = (px / zoom + sizeX / 2) * toPhoto - 0.5;
      const sy = (py / zoom + size / 2) * toPhoto - 0.5;
      if (sx < 0 || sy < 0 || sx > photo.width - 1 || sy > photo.height - 1) continue;
      const x0 = Math.floor(sx); const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, photo.width - 1); const y1 = Math.min(y0 + 1, photo.height - 1);
      const fx = sx - x0; const fy = sy - y0;
      const o = (y * WIDTH + x) * 3;
      for (let c = 0; c < 3; c++) {
        const a = photo.rgb[(y0 * photo.width + x0) * 3 + c];
        const b = photo.rgb[(y0 * photo.width + x1) * 3 + c];
        const d = photo.rgb[(y1 * photo.width + x0) * 3 + c];
        const e = photo.rgb[(y1 * photo.width + x1) * 3 + c];
        out[o + c] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy);
      }
    }
  }
  return out;
}

/**
 * Writes RGB frames as a Y4M video.
 * @param {string} file
 * @param {Uint8Array[]} frames 640x480 RGB
 * @param {number} fps
 */
export function writeY4m(file, frames, fps) {
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F${fps}:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const luma = WIDTH * HEIGHT;
  const chroma = (WIDTH / 2) * (HEIGHT / 2);
  const parts = [header];
  for (const rgb of frames) {
    const frame = Buffer.alloc(6 + luma + 2 * chroma);
    frame.write('FRAME\n', 0, 'ascii');
    const Y = 6; const U = Y + luma; const V = U + chroma;
    for (let i = 0; i < luma; i++) {
      const r = rgb[3 * i]; const g = rgb[3 * i + 1]; const b = rgb[3 * i + 2];
      frame[Y + i] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
    }
    for (let y = 0; y < HEIGHT / 2; y++) {
      for (let x = 0; x < WIDTH / 2; x++) {
        let r = 0; let g = 0; let b = 0;
        for (const [ox, oy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          const i = ((2 * y + oy) * WIDTH + 2 * x + ox) * 3;
          r += rgb[i]; g += rgb[i + 1]; b += rgb[i + 2];
        }
        r /= 4; g /= 4; b /= 4;
        frame[U + y * (WIDTH / 2) + x] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
        frame[V + y * (WIDTH / 2) + x] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
      }
    }
    parts.push(frame);
  }
  writeFileSync(file, Buffer.concat(parts));
}

/** Frames of a challenge video: the frontal start, long enough for fusion to accept. */
const START_FRAMES = 8;

/**
 * A genuine run synthesised from photos: the frontal photo, then each asked turn as the photo
 * turned that way (with the frontal photo between), in the order the session will ask. The
 * photos were taken at different distances; each turned one is zoomed so that its face has the
 * frontal one's height (mouth to eye line), as one head turning in front of one camera would.
 * @param {{frontal: string, left: string, right: string, heights: Record<string, number>}} person
 * @param {string[]} turns e.g. ['right', 'left'] (faceunlock unlock --plan)
 */
export function genuineFrames(person, turns) {
  const frontal = render(decodeRgb(person.frontal));
  const same = (side) => ({ zoom: person.heights.frontal / person.heights[side] });
  const turned = { left: render(decodeRgb(person.left), same('left')),
    right: render(decodeRgb(person.right), same('right')) };
  const frames = Array(START_FRAMES).fill(frontal);
  for (const t of turns) frames.push(...Array(4).fill(turned[t]), ...Array(3).fill(frontal));
  return frames;
}

/**
 * A seeded generator of numbers in [0, 1) (mulberry32), so that a run's motion is repeatable.
 * @param {number} seed
 */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How far into a turn each frame of it is (5 fps): two frames out, three at the peak, four back. */
const TURN_STEPS = [0.35, 0.7, 1, 1, 1, 0.65, 0.3, 0.1, 0];

/**
 * The poses of a genuine run of one head (tests/liveness/head-warp.mjs): frontal while fusion
 * accepts, then each asked turn out to a yaw drawn from `peaks` (20 to 35 degrees), held, and
 * back, with
 * the small unsteadiness of a person holding a phone or sitting at a webcam: pitch within about
 * 3 degrees, roll within 2, the head drifting within about 0.5 cm sideways and 1.5 cm nearer or
 * farther, all slow (periods of 1.4 to 3 s) with phases drawn from `seed`.
 * @param {string[]} turns e.g. ['right', 'left'] (faceunlock unlock --plan)
 * @param {number} seed
 * @param {[number, number]} [peaks] the smallest and largest peak yaw, degrees
 * @returns {{yaw: number, pitch: number, roll: number, dx: number, dy: number, dz: number}[]}
 */
export function turnPoses(turns, seed, peaks = [20, 35]) {
  const next = random(seed);
  const wobble = (amplitude) => {
    const period = 7 + 8 * next(); const phase = 2 * Math.PI * next();
    return (i) => amplitude * Math.sin((2 * Math.PI * i) / period + phase);
  };
  const [pitch, roll, dx, dy, dz] = [wobble(3), wobble(2), wobble(0.5), wobble(0.4), wobble(1.5)];
  const yaws = Array(START_FRAMES).fill(0);
  for (const t of turns) {
    // The subject's left: the nose towards the image's right, a positive yaw (head-warp.mjs).
    const peak = (t === 'left' ? 1 : -1) * (peaks[0] + (peaks[1] - peaks[0]) * next());
    yaws.push(...TURN_STEPS.map((f) => f * peak));
  }
  return yaws.map((yaw, i) => ({ yaw, pitch: pitch(i), roll: roll(i), dx: dx(i), dy: dy(i), dz: dz(i) }));
}

/**
 * A genuine run made from ONE frontal photo: the photo's head turned in 3-D
 * (tests/liveness/head-warp.mjs) through the poses of turnPoses.
 * @param {string} photoFile
 * @param {number[][]} landmarks the 68 landmarks of the photo as render() shows it
 * @param {string[]} turns
 * @param {number} seed
 * @param {[number, number]} [yaws] the range of the turns' peak yaws, degrees (turnPoses)
 */
export function warpedGenuineFrames(photoFile, landmarks, turns, seed, yaws) {
  const frame = { width: WIDTH, height: HEIGHT, rgb: render(decodeRgb(photoFile)) };
  const model = headModel(landmarks, frame);
  return turnPoses(turns, seed, yaws).map((pose) => renderPose(frame, model, pose));
}

/** @param {number} i frame index */
function tiltSchedule(i) {
  if (i < START_FRAMES) return 0;
  const phase = (i - START_FRAMES) % 20; // 4 s: ramp, hold at +60, ramp, hold at -60
  const ramp = [0, 20, 40, 60, 60, 60, 60, 60, 60, 40, 20, 0, -20, -40, -60, -60, -60, -60, -40, -20];
  return ramp[phase];
}

/** The kinds of photo attack, each a function of the frame index giving how the photo is held. */
export const PHOTO_ATTACKS = {
  still: () => ({}),
  moved: (i) => ({ dx: 70 * Math.sin((2 * Math.PI * i) / 12), dy: 35 * Math.sin((2 * Math.PI * i) / 9) }),
  zoomed: (i) => ({ zoom: 1 + 0.3 * Math.sin((2 * Math.PI * i) / 10) }),
  rotated: (i) => ({ roll: 25 * Math.sin((2 * Math.PI * i) / 10) }),
  // Held frontal while fusion accepts, then tilted about a vertical axis to 60 degrees one way,
  // held, then the other way: the strongest imitation of a head turn a flat photo allows (the
  // steps last 2 s at 5 frames per second, within the challenge's 4 s per turn).
  tilted: (i) => ({ tilt: tiltSchedule(i) }),
  // The same, brought closer as it tilts so that the face keeps its height on screen: the
  // detector's keypoints on a photo tilted 60 degrees come out about 0.72 times as high (measured
  // on LFW photos), which is what the session's scale check looks for.
  'tilted+zoomed': (i) => ({ tilt: tiltSchedule(i), zoom: 1 / (1 - 0.28 * (tiltSchedule(i) / 60) ** 2) }),
};

/**
 * A photo attack of `frames` frames.
 * @param {string} photoFile
 * @param {keyof typeof PHOTO_ATTACKS} kind
 * @param {number} frames
 */
export function attackFrames(photoFile, kind, frames) {
  const photo = decodeRgb(photoFile);
  const hold = PHOTO_ATTACKS[kind];
  return Array.from({ length: frames }, (_, i) => render(photo, hold(i)));
}

/**
 * A face swap mid-challenge: the victim's photo starts the challenge, then another person (live,
 * synthesised like a genuine run) does the turning.
 * @param {string} victimPhoto
 * @param {{frontal: string, left: string, right: string, heights: Record<string, number>}} other
 * @param {string[]} turns
 */
export function swapFrames(victimPhoto, other, turns) {
  const victim = render(decodeRgb(victimPhoto));
  return [...Array(START_FRAMES).fill(victim), ...genuineFrames(other, turns).slice(START_FRAMES)];
}

export function haveData() {
  return existsSync(lfwDir);
}

/**
 * People of the AT&T set whose ten photos include the head turned both ways: each person turned
 * their head across their photos in the lab, so their photos ordered by how far the nose sits
 * across the face (noseLateral) are a real head turning, photographed a frame at a time. For each
 * person: the most frontal photo starts the challenge, the photos turned to the subject's left
 * (lateral > 0.1) and right (< -0.1) in order of increasing turn make the turns, and the next
 * three most frontal photos are enrolled. A person needs at least one photo turned each way with
 * |lateral| >= 0.2 (the challenge's threshold) to be a fair test; the others are reported apart.
 * @param {string} bin
 * @returns {{name: string, frontal: string, enroll: string[], left: string[], right: string[],
 *   heights: Map<string, number>, laterals: Map<string, number>, turnedEnough: boolean}[]}
 */
export function pickAttPeople(bin) {
  const names = readdirSync(attDir).filter((n) => /^s\d+$/.test(n))
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const files = names.flatMap((n) => Array.from({ length: 10 }, (_, i) => path.join(attDir, n, `${i + 1}.pgm`)));
  const faces = detectAll(bin, files);
  const people = [];
  for (const name of names) {
    const seen = files.filter((f) => path.basename(path.dirname(f)) === name && faces.get(f))
        .map((f) => ({ f, lat: noseLateral(faces.get(f).keypoints), height: faceHeight(faces.get(f).keypoints) }));
    if (seen.length < 6) continue;
    const byFrontal = [...seen].sort((a, b) => Math.abs(a.lat) - Math.abs(b.lat));
    const frontal = byFrontal[0];
    const enroll = byFrontal.slice(1, 4);
    const used = new Set([frontal.f, ...enroll.map((g) => g.f)]);
    const rest = seen.filter((g) => !used.has(g.f));
    const left = rest.filter((g) => g.lat > 0.1).sort((a, b) => a.lat - b.lat);
    const right = rest.filter((g) => g.lat < -0.1).sort((a, b) => b.lat - a.lat);
    if (!left.length || !right.length) continue;
    people.push({
      name, frontal: frontal.f, enroll: enroll.map((g) => g.f),
      left: left.map((g) => g.f), right: right.map((g) => g.f),
      heights: new Map(seen.map((g) => [g.f, g.height])),
      laterals: new Map(seen.map((g) => [g.f, g.lat])),
      turnedEnough: left.at(-1).lat >= 0.2 && right.at(-1).lat <= -0.2,
    });
  }
  return people;
}

/**
 * A genuine run from an AT&T person's photos (pickAttPeople): the frontal photo, then for each
 * asked turn the photos turned that way in order of increasing turn (2 frames each, the last
 * held for 3), back through them to frontal; each photo zoomed to the frontal face's height.
 * @param {ReturnType<typeof pickAttPeople>[number]} person
 * @param {string[]} turns
 */
export function attGenuineFrames(person, turns) {
  const base = person.heights.get(person.frontal);
  const frame = (f) => render(decodeRgb(f), { zoom: base / person.heights.get(f) });
  const frontal = frame(person.frontal);
  const frames = Array(START_FRAMES).fill(frontal);
  for (const t of turns) {
    const way = person[t].map(frame);
    for (const [k, rgb] of way.entries()) frames.push(...Array(k === way.length - 1 ? 3 : 2).fill(rgb));
    for (const rgb of [...way].reverse().slice(1)) frames.push(rgb);
    frames.push(...Array(3).fill(frontal));
  }
  return frames;
}

export function haveAtt() {
  return existsSync(attDir);
}

/**
 * The aspects (src/unlock/head_turn.h) of the frames of a `faceunlock unlock --json` run that show
 * the turn being asked for by lateral, parallax and scale (the checks judged before aspect).
 * @param {{frames?: any[]}} result
 * @returns {number[]}
 */
export function turnFrameAspects(result) {
  return (result.frames ?? [])
      .filter((f) => f.aspect !== undefined && ['aspect', 'squeeze', 'identity', 'none'].includes(f.check))
      .map((f) => f.aspect);
}

/**
 * The squeezes (src/unlock/head_turn.h) of the frames of a `faceunlock unlock --json` run that
 * show the turn being asked for by lateral, parallax, scale and aspect (the checks judged before squeeze,
 * whose verdict the frame's `check` names): what the squeeze check alone decides on.
 * @param {{frames?: any[]}} result
 * @returns {number[]}
 */
export function turnFrameSqueezes(result) {
  return (result.frames ?? [])
      .filter((f) => f.squeeze !== undefined && ['squeeze', 'identity', 'none'].includes(f.check))
      .map((f) => f.squeeze);
}

/**
 * The scales of the frames that show the asked turn by lateral and parallax (judged before scale).
 * @param {{frames?: any[]}} result
 * @returns {number[]}
 */
export function turnFrameScales(result) {
  return (result.frames ?? [])
      .filter((f) => f.scale !== undefined && ['scale', 'aspect', 'squeeze', 'identity', 'none'].includes(f.check))
      .map((f) => f.scale);
}

/**
 * The aspect, squeeze and scale of turned frames, genuine against attack, as the CLI test prints
 * them for each set (what each bound decides on, src/unlock/liveness_bounds.h).
 */
export class TurnSpreads {
  constructor() {
    this.genuine = { aspect: [], squeeze: [], scale: [] };
    this.attack = { aspect: [], squeeze: [], scale: [] };
  }

  /**
   * @param {'genuine' | 'attack'} side
   * @param {{frames?: any[]}} result a `faceunlock unlock --json` run
   */
  add(side, result) {
    this[side].aspect.push(...turnFrameAspects(result));
    this[side].squeeze.push(...turnFrameSqueezes(result));
    this[side].scale.push(...turnFrameScales(result));
  }

  /** @param {string} prefix put before each line, e.g. the set's name */
  print(prefix) {
    const lines = [
      ['aspect of genuine frames turned as asked by lateral, parallax and scale', this.genuine.aspect],
      ['aspect of attack frames turned as asked by lateral, parallax and scale', this.attack.aspect],
      ['squeeze of genuine turn frames', this.genuine.squeeze],
      ['squeeze of attack frames that showed a turn otherwise', this.attack.squeeze],
      ['scale of genuine frames turned as asked by lateral and parallax', this.genuine.scale],
      ['scale of attack frames turned as asked by lateral and parallax', this.attack.scale],
    ];
    for (const [what, values] of lines) console.log(`${prefix}${what}: ${spread(values)}`);
  }
}

/**
 * What stopped a run, from `faceunlock unlock --json`: "lateral 0.171 < 0.2 (closest frame)".
 * @param {{check?: string, check_value?: number, check_bound?: number}} result
 */
export function stoppedBy(result) {
  if (!result.check) return 'no challenge';
  if (result.check_value === undefined) return result.check;
  const above = result.check === 'scale' && result.check_value > result.check_bound;
  return `${result.check} ${result.check_value.toFixed(3)} ${above ? '>' : '<'} ${result.check_bound.toFixed(3)}`;
}

/**
 * "min 0.81, 10% 0.86, median 0.93, max 0.99 (n 120)" of some numbers.
 * @param {number[]} values
 */
export function spread(values) {
  if (!values.length) return 'none';
  const v = [...values].sort((a, b) => a - b);
  const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))].toFixed(3);
  return `min ${v[0].toFixed(3)}, 10% ${at(0.1)}, median ${at(0.5)}, 90% ${at(0.9)}, max ${v.at(-1).toFixed(3)} (n ${v.length})`;
}
