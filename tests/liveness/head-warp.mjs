/**
 * @file One head turning in front of one camera, synthesised from ONE frontal photo by a 3-D warp:
 * the photo's 68 landmarks (dlib's numbering, from `faceunlock detect --landmarks`) are given the
 * depths of a generic adult head, the head is turned about a vertical axis through the ear tragi,
 * projected with the pinhole camera of videos.mjs, and each frame is rendered by inverse
 * piecewise-affine mapping over a triangulation of those points, far triangles first, triangles
 * that turn their back to the camera dropped, so the far cheek goes behind the nose. Nothing here
 * reads a file; the name keeps node --test from running it.
 *
 * What this is not: a head model with hair, ears, eyelids or lighting. The skin between the
 * control points is flat, the far side's hidden detail is simply squeezed away, and everything
 * outside the face (hair, neck, background) is stretched between the head and the fixed frame
 * border instead of being revealed or hidden (src/unlock/README.md says what that leaves unproven).
 */

/** The camera's focal length in pixels: the same 60-degree 640x480 webcam as videos.mjs. */
export const FOCAL = 554;
const WIDTH = 640;
const HEIGHT = 480;

// Interpupillary distance of adults, about 6.3 cm (men a little more, women a little less): the
// photo's eye-centre distance in pixels is taken to be this, which sets the photo's scale in cm.
const EYE_DISTANCE_CM = 6.3;
// The distance given to fixed points (background, neck) when ordering triangles: behind the head.
const BACKGROUND_Z = 1e6;

/*
 * Depths in cm in front of the vertical plane through the two ear tragi, the plane the head turns
 * about. My numbers, rounded, from soft-tissue anthropometry looked up for this (3-D
 * photogrammetry of adult faces, and caliper tables of facial widths):
 * - the nose tip (pronasale) is about 10 cm from the midpoint of the tragi, the nasion about
 *   8.9 cm, the subnasale about 9.2 cm ("middle facial depth"), the upper lip about 9.4 cm and
 *   the chin (pogonion) about 10.7 cm, the last three in a straight line that also drops 3 to 7 cm,
 *   so their depths are less (upper lip about 9, chin about 8);
 * - the tragi are about 13 cm apart, the outer eye corners 8.5 to 10 cm, the inner ones about
 *   3.2 cm, the jaw angles (gonion) 10 to 11 cm, the cheekbones (zygion) 13 to 13.5 cm;
 * - in profile the inner eye corners sit about 1.5 to 2 cm behind the nasion and the outer ones
 *   about 1.5 to 2 cm behind the inner ones, so the nose tip stands 2.5 to 4.5 cm in front of the
 *   eye corners (about 3 cm in front of the eye centres: 0.5 eye distances, as the head model of
 *   tests/unlock/head_model.h has it); the mouth corners lie about 1.5 cm behind the lips' middle.
 * The jaw line (points 0 to 16) is the face's outline in a frontal photo: near the ears at its
 * ends, the jaw angle a little above a quarter of the way round, the chin in the middle.
 */
const JAW_DEPTH = [1.5, 1.8, 2.2, 2.8, 3.6, 4.8, 6.2, 7.4, 8.0];   // points 0..8 (mirrored for 9..16)
const BROW_DEPTH = [5.6, 6.6, 7.4, 8.0, 8.4];                    // points 17..21 (mirrored 22..26)
const NOSE_BRIDGE_DEPTH = [8.9, 9.3, 9.7, 10.1];                // points 27..30, nasion to tip
const NOSTRIL_DEPTH = [7.9, 8.5, 9.0];                          // points 31..33 (mirrored 34, 35)
const EYE_DEPTH = [5.4, 6.6, 6.9, 7.2, 6.8, 6.4];               // 36..41 outer, upper lid, inner, lower lid
const OUTER_LIP_DEPTH = [7.5, 8.4, 8.9, 9.0];                   // 48..51 corner to middle (mirrored 52..54)
const LOWER_LIP_DEPTH = [8.5, 8.8, 8.9];                        // 55..57 (mirrored 58, 59)
const INNER_LIP_DEPTH = [7.6, 8.6, 8.7];                        // 60..62 (mirrored 63, 64; 65..67 likewise)

/**
 * The depth (cm in front of the tragi's plane) of dlib point `i` (0..67).
 * @param {number} i
 */
export function landmarkDepth(i) {
  if (i <= 16) return JAW_DEPTH[i <= 8 ? i : 16 - i];
  if (i <= 26) return BROW_DEPTH[i <= 21 ? i - 17 : 26 - i];
  if (i <= 30) return NOSE_BRIDGE_DEPTH[i - 27];
  if (i <= 35) return NOSTRIL_DEPTH[i <= 33 ? i - 31 : 35 - i];
  if (i <= 47) {
    // 42..47 are the left eye in the same order round the eye, starting at its inner corner.
    const k = i <= 41 ? i - 36 : [3, 2, 1, 0, 5, 4][i - 42];
    return EYE_DEPTH[k];
  }
  if (i <= 54) return OUTER_LIP_DEPTH[i <= 51 ? i - 48 : 54 - i];
  if (i <= 59) return LOWER_LIP_DEPTH[i <= 57 ? i - 55 : 59 - i];
  if (i <= 64) return INNER_LIP_DEPTH[i <= 62 ? i - 60 : 64 - i];
  return INNER_LIP_DEPTH[i === 66 ? 2 : 1];
}

/**
 * The control points of the warp, in the photo's pixels: the 68 landmarks, extra points for the
 * forehead, cheeks and the head's outline, each with a depth, and a ring on the frame's border
 * that stays put (background, and the neck, which does not turn with the head).
 * @param {number[][]} landmarks 68 [x, y] in the frame's pixels
 * @returns {{points: number[][], depth: number[], fixed: boolean[]}}
 */
export function controlPoints(landmarks) {
  if (landmarks.length !== 68) throw new Error(`head warp: expected 68 landmarks, got ${landmarks.length}`);
  const mean = (from, to) => [0, 1].map((c) => {
    let s = 0;
    for (let i = from; i < to; i++) s += landmarks[i][c];
    return s / (to - from);
  });
  const rightEye = mean(36, 42);
  const leftEye = mean(42, 48);
  const eyes = Math.hypot(leftEye[0] - rightEye[0], leftEye[1] - rightEye[1]);
  // Up the face, perpendicular to the eye line (image y grows downwards).
  const up = [(leftEye[1] - rightEye[1]) / eyes, -(leftEye[0] - rightEye[0]) / eyes];
  const centre = [(rightEye[0] + leftEye[0]) / 2, (rightEye[1] + leftEye[1]) / 2];
  const points = landmarks.map((p) => [p[0], p[1]]);
  const depth = landmarks.map((_, i) => landmarkDepth(i));
  const fixed = landmarks.map(() => false);
  const add = (p, z, isFixed = false) => {
    // Points closer than a pixel to one already there would make degenerate triangles.
    if (points.some((q) => Math.hypot(q[0] - p[0], q[1] - p[1]) < 1)) return;
    points.push(p); depth.push(z); fixed.push(isFixed);
  };
  const lerp = (a, b, t) => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  const shift = (p, dir, amount) => [p[0] + dir[0] * amount, p[1] + dir[1] * amount];
  const outward = (p, factor) => [centre[0] + (p[0] - centre[0]) * factor, centre[1] + (p[1] - centre[1]) * factor];
  // Cheeks: the skin between the outline and the nose bulges forward of a flat span.
  for (const [jaw, inner, z] of [[1, 41, 5.8], [3, 31, 6.3], [5, 48, 5.9], [15, 46, 5.8], [13, 35, 6.3], [11, 54, 5.9]]) {
    add(lerp(landmarks[jaw], landmarks[inner], 0.5), z);
  }
  // Forehead, above the brows: it slopes back from the glabella towards the temples.
  for (const [brow, z] of [[17, 4.2], [19, 6.6], [21, 7.6], [22, 7.6], [24, 6.6], [26, 4.2]]) {
    add(shift(landmarks[brow], up, 0.55 * eyes), z);
  }
  // The head's outline beyond the face (hair at the temples, the ears' region): near the tragi's
  // plane, so a turn moves it little.
  for (const [i, z] of [[0, 0.5], [2, 0.8], [14, 0.8], [16, 0.5]]) add(outward(landmarks[i], 1.3), z);
  for (const [brow, z] of [[17, 1.5], [19, 3.5], [24, 3.5], [26, 1.5]]) {
    add(outward(shift(landmarks[brow], up, 0.9 * eyes), 1.15), z);
  }
  // Below the jaw: the neck, which does not turn with the head.
  for (const i of [4, 6, 8, 10, 12]) add(outward(landmarks[i], 1.35), 0, true);
  // The frame's border: background, far behind and never moving.
  for (let x = 0; x <= WIDTH; x += WIDTH / 4) {
    add([x, 0], 0, true);
    add([x, HEIGHT], 0, true);
  }
  for (let y = HEIGHT / 4; y < HEIGHT; y += HEIGHT / 4) {
    add([0, y], 0, true);
    add([WIDTH, y], 0, true);
  }
  return { points, depth, fixed };
}

/**
 * A Delaunay triangulation (Bowyer-Watson) of `points`: triangles as index triples. The control
 * points change from photo to photo, so the mesh is made for each photo rather than fixed.
 * @param {number[][]} points
 * @returns {number[][]}
 */
export function triangulate(points) {
  const n = points.length;
  const big = 1e5;
  const all = [...points, [-big, -big], [big, -big], [0, big]];
  /** @type {{v: number[], cx: number, cy: number, r2: number}[]} */
  let triangles = [circumscribed([n, n + 1, n + 2], all)];
  for (let p = 0; p < n; p++) {
    const [x, y] = all[p];
    const bad = [];
    const keep = [];
    for (const t of triangles) ((x - t.cx) ** 2 + (y - t.cy) ** 2 < t.r2 ? bad : keep).push(t);
    // The hole's boundary: edges of exactly one removed triangle.
    const edges = new Map();
    for (const t of bad) {
      for (let k = 0; k < 3; k++) {
        const a = t.v[k]; const b = t.v[(k + 1) % 3];
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        edges.set(key, edges.has(key) ? null : [a, b]);
      }
    }
    triangles = keep;
    for (const e of edges.values()) if (e) triangles.push(circumscribed([e[0], e[1], p], all));
  }
  return triangles.filter((t) => t.v.every((i) => i < n)).map((t) => t.v);
}

function circumscribed(v, pts) {
  const [ax, ay] = pts[v[0]]; const [bx, by] = pts[v[1]]; const [cx, cy] = pts[v[2]];
  const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
  if (Math.abs(d) < 1e-12) return { v, cx: 0, cy: 0, r2: Infinity };
  const a2 = ax * ax + ay * ay; const b2 = bx * bx + by * by; const c2 = cx * cx + cy * cy;
  const ux = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d;
  const uy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d;
  return { v, cx: ux, cy: uy, r2: (ax - ux) ** 2 + (ay - uy) ** 2 };
}

/**
 * How the head is held in one frame, all about the axis through the tragi: yaw (degrees, positive
 * turns the nose towards the image's right, i.e. the subject turns to their own left), pitch
 * (positive: chin down), roll (positive: clockwise in the image), and a shift in cm (x right,
 * y down, z away from the camera).
 * @typedef {{yaw?: number, pitch?: number, roll?: number, dx?: number, dy?: number, dz?: number}} Pose
 */

/**
 * A warp of one photo: its control points in 3-D (camera cm) and its triangles.
 * @param {number[][]} landmarks 68 points of the photo, in its pixels
 * @param {{width: number, height: number}} size the photo's size, which must be the frame's
 */
export function headModel(landmarks, size) {
  if (size.width !== WIDTH || size.height !== HEIGHT) {
    throw new Error(`head warp: the photo must be a ${WIDTH}x${HEIGHT} frame, not ${size.width}x${size.height}`);
  }
  const { points, depth, fixed } = controlPoints(landmarks);
  const mean = (from, to, c) => landmarks.slice(from, to).reduce((s, p) => s + p[c], 0) / (to - from);
  const eyePx = Math.hypot(mean(42, 48, 0) - mean(36, 42, 0), mean(42, 48, 1) - mean(36, 42, 1));
  // The eye centres' distance from the camera, from their size; the turning axis (the tragi) is
  // as far behind them as the eye points' mean depth.
  const eyesAway = (FOCAL * EYE_DISTANCE_CM) / eyePx;
  const axisZ = eyesAway + EYE_DEPTH.reduce((s, z) => s + z, 0) / EYE_DEPTH.length;
  const cx = WIDTH / 2; const cy = HEIGHT / 2;
  const axisX = ((mean(36, 48, 0) - cx) * axisZ) / FOCAL;
  // The tragi sit about 2 cm below the eye line, where the head pitches about.
  const axisY = ((mean(36, 48, 1) - cy) * eyesAway) / FOCAL + 2;
  // Each point back along its pixel's ray to its depth, so the unturned head reproduces the photo.
  const world = points.map((p, i) => {
    const z = axisZ - depth[i];
    return [((p[0] - cx) * z) / FOCAL, ((p[1] - cy) * z) / FOCAL, z];
  });
  return { points, fixed, world, axis: [axisX, axisY, axisZ], triangles: triangulate(points) };
}

/**
 * Where each control point lands in the frame for `pose` ([x, y] pixels) and its distance.
 * @param {ReturnType<typeof headModel>} model
 * @param {Pose} pose
 */
export function project(model, pose) {
  const rad = Math.PI / 180;
  const [ya, pa, ra] = [(pose.yaw ?? 0) * rad, (pose.pitch ?? 0) * rad, (pose.roll ?? 0) * rad];
  const [ax, ay, az] = model.axis;
  return model.world.map((w, i) => {
    if (model.fixed[i]) return { xy: model.points[i], z: BACKGROUND_Z };
    let x = w[0] - ax; let y = w[1] - ay; let z = w[2] - az;
    // Yaw: a point in front of the axis (z < 0) moves to +x for a positive yaw.
    [x, z] = [x * Math.cos(ya) - z * Math.sin(ya), x * Math.sin(ya) + z * Math.cos(ya)];
    // Pitch: a point in front of the axis moves down (+y) for a positive pitch.
    [y, z] = [y * Math.cos(pa) - z * Math.sin(pa), y * Math.sin(pa) + z * Math.cos(pa)];
    [x, y] = [x * Math.cos(ra) - y * Math.sin(ra), x * Math.sin(ra) + y * Math.cos(ra)];
    const X = x + ax + (pose.dx ?? 0); const Y = y + ay + (pose.dy ?? 0); const Z = z + az + (pose.dz ?? 0);
    return { xy: [WIDTH / 2 + (FOCAL * X) / Z, HEIGHT / 2 + (FOCAL * Y) / Z], z: Z };
  });
}

/**
 * The frame showing the photo's head held as `pose`: each triangle of the frame is filled from
 * its triangle in the photo (bilinear), the background's first, then the head's from the farthest
 * to the nearest; a head triangle whose winding flipped faces away from the camera and is skipped.
 * @param {{width: number, height: number, rgb: Uint8Array}} photo the frontal frame
 * @param {ReturnType<typeof headModel>} model of that frame
 * @param {Pose} pose
 * @returns {Uint8Array} 640x480 RGB
 */
export function renderPose(photo, model, pose) {
  const out = new Uint8Array(photo.rgb);
  const placed = project(model, pose);
  const order = model.triangles.map((t) => ({ t, z: t.reduce((s, i) => s + placed[i].z, 0) / 3 }))
      .sort((a, b) => b.z - a.z); // the background first
  for (const { t } of order) {
    const src = t.map((i) => model.points[i]);
    const dst = t.map((i) => placed[i].xy);
    const areaSrc = signedArea(src);
    const areaDst = signedArea(dst);
    if (Math.abs(areaDst) < 1e-6 || Math.abs(areaSrc) < 1e-6 || Math.sign(areaDst) !== Math.sign(areaSrc)) continue;
    fillTriangle(photo, out, src, dst, areaDst);
  }
  return out;
}

function signedArea([a, b, c]) {
  return ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2;
}

function fillTriangle(photo, out, src, dst, area) {
  const [a, b, c] = dst;
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0], c[0])));
  const x1 = Math.min(WIDTH - 1, Math.ceil(Math.max(a[0], b[0], c[0])));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1], c[1])));
  const y1 = Math.min(HEIGHT - 1, Math.ceil(Math.max(a[1], b[1], c[1])));
  // A little over the edges, so that neighbours leave no seam between them.
  const slack = -1e-3;
  const rgb = photo.rgb;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      // Barycentric weights of the pixel in the frame's triangle, the same weights in the photo's.
      const wa = ((b[0] - x) * (c[1] - y) - (c[0] - x) * (b[1] - y)) / 2 / area;
      const wb = ((c[0] - x) * (a[1] - y) - (a[0] - x) * (c[1] - y)) / 2 / area;
      const wc = 1 - wa - wb;
      if (wa < slack || wb < slack || wc < slack) continue;
      const sx = Math.min(WIDTH - 1.001, Math.max(0, wa * src[0][0] + wb * src[1][0] + wc * src[2][0]));
      const sy = Math.min(HEIGHT - 1.001, Math.max(0, wa * src[0][1] + wb * src[1][1] + wc * src[2][1]));
      const ix = Math.floor(sx); const iy = Math.floor(sy);
      const fx = sx - ix; const fy = sy - iy;
      const o = (y * WIDTH + x) * 3;
      const p00 = (iy * WIDTH + ix) * 3; const p01 = p00 + 3; const p10 = p00 + WIDTH * 3; const p11 = p10 + 3;
      for (let k = 0; k < 3; k++) {
        out[o + k] = Math.round((rgb[p00 + k] * (1 - fx) + rgb[p01 + k] * fx) * (1 - fy) +
            (rgb[p10 + k] * (1 - fx) + rgb[p11 + k] * fx) * fy);
      }
    }
  }
}
