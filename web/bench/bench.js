/**
 * @file The page half of web/bench/browser-bench.mjs. Loading the page starts the faceunlock cold
 * start at once, so that its time counts from navigation; every later step is a function on
 * `window.bench` that the harness calls with `page.evaluate`, measuring memory between the steps
 * from outside the page.
 *
 * Query parameters: `core`, the URL of faceunlock_core.mjs (web/dist when built, else
 * build-wasm/wasm); `embedder`, the URL of the embedder model (default dlib-resnet-int8, as in
 * the library); `threads`, the threads the engine and the networks run on (more than 1 needs the
 * multi-threaded core, faceunlock_core_mt.mjs, and a cross-origin isolated page); `landmarks`,
 * the URL of the 68-point landmark model, which the engine then runs after refinement on every
 * frame whose face moved (browser-bench.mjs --landmarks).
 */

import { loadCore } from '../lib/engine-local.js';
import { FrameReader } from '../lib/frame-source.js';

const DETECTOR_URL = '/models/blazeface-short.fum';
// Query parameter `embedder` (browser-bench.mjs --embedder) measures another embedder model.
const EMBEDDER_URL = new URLSearchParams(location.search).get('embedder') ?? '/models/dlib-resnet-int8.fum';
const THREADS = Number(new URLSearchParams(location.search).get('threads') ?? 1);
const LANDMARKS_URL = new URLSearchParams(location.search).get('landmarks');
const FACEAPI_URL = '/node_modules/@vladmandic/face-api/dist/face-api.esm.js';
const FACEAPI_MODEL_DIR = '/node_modules/@vladmandic/face-api/model';
const TFJS_WASM_DIR = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

// A typical front-camera resolution; every frame, for both libraries, has this size.
const FRAME_WIDTH = 640;
const FRAME_HEIGHT = 480;

// Marks rather than bare clock readings, so a trace (browser-bench.mjs --trace) shows them too.
const scriptStart = performance.mark('scriptStart').startTime;

/** Everything the steps share. */
const state = {
  core: null,
  engine: null,
  // Set instead of `engine` while the wasm build has no Engine class yet (see networkFrame).
  networks: null,
  frames: [],
  faceapi: null,
  reader: new FrameReader(),
};

/**
 * @param {string} url
 * @return {!Promise<!Uint8Array>}
 */
async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Loads the core and both models the way an application would on first visit: the model
 * downloads run while the module compiles, since neither needs the other.
 * @return {!Promise<!Object>} milliseconds since navigation start at each point
 */
async function coldStart() {
  const coreUrl = new URLSearchParams(location.search).get('core');
  // Without a core the page is the harness's warm-up navigation: it only starts the renderer.
  if (!coreUrl) return null;
  const [navigation] = performance.getEntriesByType('navigation');
  const marks = { htmlReceived: navigation?.responseEnd, scriptStart };
  // The library's own loading (engine-local.js): the loader module and the .wasm download side
  // by side, and the models beside both.
  const importCore = async () => {
    const { default: createFaceUnlockCore } = await import(coreUrl);
    marks.moduleImported = performance.mark('moduleImported').startTime;
    return createFaceUnlockCore;
  };
  const coreLoad = loadCore({ url: coreUrl.replace(/\.mjs$/, '.wasm') }, importCore).then((c) => {
    marks.coreInstantiated = performance.mark('coreInstantiated').startTime;
    return c;
  });
  const models = Promise.all([fetchBytes(DETECTOR_URL), fetchBytes(EMBEDDER_URL),
    LANDMARKS_URL ? fetchBytes(LANDMARKS_URL) : null]).then((m) => {
    marks.modelsFetched = performance.mark('modelsFetched').startTime;
    return m;
  });
  const [core, [detectorBytes, embedderBytes, landmarkBytes]] = await Promise.all([coreLoad, models]);
  if (typeof core.Engine === 'function') {
    // Older cores take no options: a third argument would be refused.
    const options = {};
    if (THREADS > 1) options.threads = THREADS;
    if (landmarkBytes) options.landmarks = landmarkBytes;
    state.engine = Object.keys(options).length ? new core.Engine(detectorBytes, embedderBytes, options) :
      new core.Engine(detectorBytes, embedderBytes);
  } else {
    state.networks = {
      detector: new core.Network(detectorBytes),
      embedder: new core.Network(embedderBytes),
    };
  }
  marks.ready = performance.mark('ready').startTime;
  state.core = core;
  state.modelBytes = { detector: detectorBytes, embedder: embedderBytes };
  if (landmarkBytes) state.modelBytes.landmarks = landmarkBytes;
  return {
    mode: state.engine ? 'engine' : 'network-fallback',
    coreUrl,
    marks,
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    threads: typeof state.engine?.threads === 'function' ? state.engine.threads() : 1,
  };
}

const ready = coldStart();
// The harness awaits `ready` itself; this only keeps a failure from being reported twice.
ready.catch(() => {});

// A user holding still in front of a webcam: the head drifts by up to this many pixels from
// where it started, a step of at most DRIFT_STEP per frame, and the sensor adds noise.
const DRIFT_MAX = 3;
const DRIFT_STEP = 1;
const SENSOR_NOISE = 4;

/**
 * Draws each photo centred and scaled to fit a grey 640x480 canvas, like a face in front of a
 * laptop camera. With `hold` > 1 each photo becomes `hold` consecutive frames, as a camera sees a
 * user holding still: the photo drifts by a random walk of sub-pixel steps and every frame gets
 * its own sensor noise, so no two frames are the same image (a still image repeated would make
 * every frame-to-frame reuse look free). hold 1: one frame per photo, the next frame another
 * person.
 * @param {!Array<string>} urls
 * @param {number=} hold consecutive frames per photo
 * @return {!Promise<!Array<!Object>>} the frames' sources and sizes
 */
async function loadFrames(urls, hold = 1) {
  const random = seededRandom(7);
  for (const url of urls) {
    const image = new Image();
    image.src = url;
    await image.decode();
    const scale = Math.min(FRAME_WIDTH / image.naturalWidth, FRAME_HEIGHT / image.naturalHeight);
    const width = Math.round(image.naturalWidth * scale);
    const height = Math.round(image.naturalHeight * scale);
    let dx = 0;
    let dy = 0;
    for (let h = 0; h < hold; h++) {
      const canvas = document.createElement('canvas');
      canvas.width = FRAME_WIDTH;
      canvas.height = FRAME_HEIGHT;
      // Camera pipelines read pixels back every frame; this keeps the canvas in CPU memory.
      const context = canvas.getContext('2d', { willReadFrequently: true });
      context.fillStyle = '#808080';
      context.fillRect(0, 0, FRAME_WIDTH, FRAME_HEIGHT);
      context.drawImage(image, ((FRAME_WIDTH - width) >> 1) + dx,
          ((FRAME_HEIGHT - height) >> 1) + dy, width, height);
      if (hold > 1) {
        const pixels = context.getImageData(0, 0, FRAME_WIDTH, FRAME_HEIGHT);
        const data = pixels.data;
        for (let i = 0; i < data.length; i += 4) {
          for (let c = 0; c < 3; c++) {
            data[i + c] += Math.round((random() * 2 - 1) * SENSOR_NOISE);
          }
        }
        context.putImageData(pixels, 0, 0);
        const clamp = (v) => Math.max(-DRIFT_MAX, Math.min(DRIFT_MAX, v));
        dx = clamp(dx + (random() * 2 - 1) * DRIFT_STEP);
        dy = clamp(dy + (random() * 2 - 1) * DRIFT_STEP);
      }
      state.frames.push({ url, canvas, context });
    }
  }
  return state.frames.map(({ url }) => ({ url, width: FRAME_WIDTH, height: FRAME_HEIGHT }));
}

/**
 * Mulberry32: seeded, so that every run enrolls the same gallery.
 * @param {number} seed
 * @return {function(): number} uniform in [0, 1)
 */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Gaussian components make the direction uniform on the sphere, like unrelated people's
 * embeddings; uniform components would bias it towards the cube's corners.
 * @param {number} dimension
 * @param {function(): number} random
 * @return {!Float32Array}
 */
function randomUnitVector(dimension, random) {
  const v = new Float32Array(dimension);
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    v[i] = g;
    norm += g * g;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimension; i++) v[i] /= norm;
  return v;
}

/**
 * @param {number} users
 * @param {number} dimension
 * @return {number} templates in the whole gallery afterwards
 */
function enroll(users, dimension) {
  if (!state.engine) return 0;
  const random = seededRandom(20240601);
  for (let u = 0; u < users; u++) {
    state.engine.addTemplate(`synthetic-${u}`, randomUnitVector(dimension, random));
  }
  return state.engine.users().reduce((sum, user) => sum + user.templates, 0);
}

/**
 * One camera frame through the whole engine. `capture` is the library's own frame read
 * (FrameReader, web/lib/frame-source.js: a VideoFrame copy where the browser has one, else
 * drawImage + getImageData), timed apart from the engine call because an application may already
 * hold the pixels.
 * @param {!Object} frame
 * @param {!Object} options processFrame options
 * @return {!Promise<!Object>}
 */
async function engineFrame(frame, options) {
  const t0 = performance.now();
  const read = await state.reader.read(frame.canvas);
  const t1 = performance.now();
  // A view taken before an earlier call may have been detached by memory growth.
  state.engine.frameView(FRAME_WIDTH, FRAME_HEIGHT).set(read.data);
  state.reader.release(read);
  const t2 = performance.now();
  const result = state.engine.processFrame(FRAME_WIDTH, FRAME_HEIGHT, options);
  const t3 = performance.now();
  const record = {
    capture: t1 - t0,
    copy: t2 - t1,
    processFrame: t3 - t2,
    engine: t3 - t1,
    endToEnd: t3 - t0,
  };
  // Every key the engine reports, not just the documented four: it may time more steps.
  for (const [stage, ms] of Object.entries(result.timings)) record[`stage.${stage}`] = ms;
  return {
    ...record,
    faces: result.faces.length,
    qualityOk: Boolean(result.quality && result.quality.ok),
    embedded: result.embedding !== null,
    // Keypoints taken over from an earlier frame instead of refined (src/face/face_tracker.h).
    refineReused: result.refineReused === true,
    // The detector skipped: the face had not moved since the last detected frame.
    detectionReused: result.detectionReused === true,
    embeddingLength: result.embedding ? result.embedding.length : 0,
    matchedUser: result.match ? result.match.user : null,
    accepted: result.match ? result.match.accepted : false,
  };
}

/**
 * What FrameReader replaced: drawImage + getImageData of the frame, as the library read frames
 * before and still does where VideoFrame is missing. Timed alone, for the comparison.
 * @param {number} count
 * @return {!Array<number>} milliseconds per frame
 */
function canvasReads(count) {
  const canvas = document.createElement('canvas');
  canvas.width = FRAME_WIDTH;
  canvas.height = FRAME_HEIGHT;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const ms = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    context.drawImage(state.frames[i % state.frames.length].canvas, 0, 0);
    context.getImageData(0, 0, FRAME_WIDTH, FRAME_HEIGHT);
    ms.push(performance.now() - t0);
  }
  return ms;
}

/**
 * Fills a network input from the frame: nearest-neighbour sampling of a square region, scaled to
 * [-1, 1]. Crude on purpose: only the networks' run time is meant, and the JS loop costs far less.
 * @param {!Float32Array} input NHWC view, 3 channels
 * @param {number} size input height = width
 * @param {!Uint8ClampedArray} rgba
 * @param {number} x0 region left
 * @param {number} y0 region top
 * @param {number} side region side in frame pixels
 */
function sampleSquare(input, size, rgba, x0, y0, side) {
  const step = side / size;
  let o = 0;
  for (let y = 0; y < size; y++) {
    const row = Math.min(FRAME_HEIGHT - 1, Math.floor(y0 + y * step)) * FRAME_WIDTH;
    for (let x = 0; x < size; x++) {
      const p = (row + Math.min(FRAME_WIDTH - 1, Math.floor(x0 + x * step))) * 4;
      input[o++] = (rgba[p] - 127.5) / 127.5;
      input[o++] = (rgba[p + 1] - 127.5) / 127.5;
      input[o++] = (rgba[p + 2] - 127.5) / 127.5;
    }
  }
}

/**
 * Stand-in for engineFrame while the build has only `Network`: the detector on the whole frame
 * and the embedder on a centre crop. No decoding, alignment or matching, so this is a lower bound.
 * @param {!Object} frame
 * @return {!Object}
 */
function networkFrame(frame) {
  const { detector, embedder } = state.networks;
  const t0 = performance.now();
  const pixels = frame.context.getImageData(0, 0, FRAME_WIDTH, FRAME_HEIGHT).data;
  const t1 = performance.now();
  const detectorSize = detector.inputShape()[1];
  sampleSquare(detector.inputView(), detectorSize, pixels, (FRAME_WIDTH - FRAME_HEIGHT) / 2, 0,
      FRAME_HEIGHT);
  detector.run();
  const t2 = performance.now();
  const embedderSize = embedder.inputShape()[1];
  sampleSquare(embedder.inputView(), embedderSize, pixels, FRAME_WIDTH / 2 - 120,
      FRAME_HEIGHT / 2 - 120, 240);
  embedder.run();
  const embeddingLength = embedder.outputView(0).slice().length;
  const t3 = performance.now();
  return {
    capture: t1 - t0,
    copy: 0,
    processFrame: t3 - t1,
    engine: t3 - t1,
    endToEnd: t3 - t0,
    'stage.detect': t2 - t1,
    'stage.embed': t3 - t2,
    faces: 0,
    qualityOk: false,
    embedded: true,
    refineReused: false,
    embeddingLength,
    matchedUser: null,
    accepted: false,
  };
}

/**
 * @param {number} first index of the first frame, so that runs split in parts cycle on
 * @param {number} count
 * @param {!Object} options processFrame options
 * @param {boolean} keep whether to return the per-frame records
 * @return {!Promise<!Object>} records as columns, to keep the transfer to Node small
 */
async function faceunlockFrames(first, count, options, keep) {
  const columns = {};
  for (let i = first; i < first + count; i++) {
    const frame = state.frames[i % state.frames.length];
    const record = state.engine ? await engineFrame(frame, options) : networkFrame(frame);
    if (!keep) continue;
    for (const [key, value] of Object.entries(record)) (columns[key] ??= []).push(value);
  }
  return columns;
}

/** @return {!Object} sizes the harness records after warm-up and after the timed frames */
function memory() {
  return {
    wasmMemoryBytes: state.core ? state.core.HEAPU8.buffer.byteLength : null,
    // Exact only with --enable-precise-memory-info; the harness passes it.
    jsHeapUsed: performance.memory ? performance.memory.usedJSHeapSize : null,
    jsHeapTotal: performance.memory ? performance.memory.totalJSHeapSize : null,
    faceapiTensors: state.faceapi ? state.faceapi.tf.memory().numTensors : null,
    faceapiTensorBytes: state.faceapi ? state.faceapi.tf.memory().numBytes : null,
  };
}

/**
 * Imports face-api (which bundles tfjs 4.22 with its wasm backend) and loads the four nets its
 * descriptor pipeline needs. Threads stay off: without cross-origin isolation the page has no
 * SharedArrayBuffer, and the flag says so explicitly; SIMD stays on.
 * @return {!Promise<!Object>}
 */
async function faceapiLoad() {
  const t0 = performance.now();
  const faceapi = await import(FACEAPI_URL);
  const tf = faceapi.tf;
  tf.setWasmPaths(TFJS_WASM_DIR);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not initialise its wasm backend');
  await tf.ready();
  const t1 = performance.now();
  await Promise.all([
    faceapi.nets.ssdMobilenetv1.loadFromUri(FACEAPI_MODEL_DIR),
    faceapi.nets.tinyFaceDetector.loadFromUri(FACEAPI_MODEL_DIR),
    faceapi.nets.faceLandmark68Net.loadFromUri(FACEAPI_MODEL_DIR),
    faceapi.nets.faceRecognitionNet.loadFromUri(FACEAPI_MODEL_DIR),
  ]);
  const t2 = performance.now();
  state.faceapi = faceapi;
  return {
    backendMs: t1 - t0,
    modelsMs: t2 - t1,
    totalMs: t2 - t0,
    backend: tf.getBackend(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    tfjsVersion: tf.version_core ?? tf.version?.['tfjs-core'] ?? null,
    faceapiVersion: faceapi.version ?? null,
  };
}

/**
 * @param {string} detector 'ssd' or 'tiny'
 * @return {!Object} face-api options object for that detector
 */
function detectorOptions(detector) {
  const faceapi = state.faceapi;
  if (detector === 'ssd') return new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  if (detector === 'tiny') {
    return new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
  }
  throw new Error(`unknown face-api detector ${detector}: expected ssd or tiny`);
}

/**
 * @param {string} detector 'ssd' or 'tiny'
 * @param {string} stage 'full' (detect + 68 landmarks + descriptor) or 'detect'
 * @param {number} count
 * @param {boolean} keep
 * @return {!Promise<!Object>} ms of every frame and of the frames with a face
 */
async function faceapiFrames(detector, stage, count, keep) {
  const faceapi = state.faceapi;
  const options = detectorOptions(detector);
  const ms = [];
  // A frame where the detector finds nobody skips landmarks and descriptor: far cheaper, so the
  // harness also summarises the frames with a face alone.
  const msWithFace = [];
  for (let i = 0; i < count; i++) {
    const { canvas } = state.frames[i % state.frames.length];
    const t0 = performance.now();
    const task = faceapi.detectSingleFace(canvas, options);
    const result = stage === 'full' ? await task.withFaceLandmarks().withFaceDescriptor() :
        await task;
    const t1 = performance.now();
    if (!keep) continue;
    ms.push(t1 - t0);
    if (result) msWithFace.push(t1 - t0);
  }
  return { ms, msWithFace, count };
}

/**
 * Times the recognition net alone on the aligned faces face-api's own pipeline cuts out
 * (landmarks.align(), as withFaceDescriptor does), so detection and landmarks are excluded.
 * @param {number} warmup
 * @param {number} count
 * @return {!Promise<!Object>}
 */
async function faceapiDescriptorOnly(warmup, count) {
  const faceapi = state.faceapi;
  const options = detectorOptions('ssd');
  const faces = [];
  for (const { canvas } of state.frames) {
    const result = await faceapi.detectSingleFace(canvas, options).withFaceLandmarks();
    if (!result) continue;
    const [face] = await faceapi.extractFaces(canvas, [result.landmarks.align()]);
    faces.push(face);
  }
  if (faces.length === 0) throw new Error('face-api found no face in any frame');
  const ms = [];
  for (let i = 0; i < warmup + count; i++) {
    const face = faces[i % faces.length];
    const t0 = performance.now();
    const descriptor = await faceapi.computeFaceDescriptor(face);
    const t1 = performance.now();
    if (descriptor.length !== 128) throw new Error(`descriptor of ${descriptor.length} values`);
    if (i >= warmup) ms.push(t1 - t0);
  }
  return { ms, faces: faces.length, count };
}

/**
 * One forward pass of each model through the low-level Network, to tell how much of a stage is
 * the network itself (the engine may run a model more than once per frame). Called after the
 * memory measurements, since two more networks grow the wasm memory. Outside cross-origin
 * isolated pages Chromium's clock moves in 0.1 ms steps, 5% of a 2 ms pass, enough to move an
 * int8/float ratio by a tenth: short passes are timed in groups that last at least
 * GROUP_MS (each sample is the group's time divided by its passes), long ones one by one.
 * @param {number} warmup
 * @param {number} count
 * @return {!Object} ms per pass, per model, and how many passes each sample timed
 */
function networkPasses(warmup, count) {
  const GROUP_MS = 10;
  const out = {};
  for (const [name, bytes] of Object.entries(state.modelBytes)) {
    const network = THREADS > 1 ? new state.core.Network(bytes, 'simd', THREADS) :
      new state.core.Network(bytes);
    try {
      const input = network.inputView();
      for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 0.1);
      const warm = [];
      for (let i = 0; i < Math.max(warmup, 1); i++) {
        const t0 = performance.now();
        network.run();
        warm.push(performance.now() - t0);
      }
      warm.sort((a, b) => a - b);
      const group = Math.max(1, Math.ceil(GROUP_MS / Math.max(warm[warm.length >> 1], 0.1)));
      const ms = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        for (let j = 0; j < group; j++) network.run();
        ms.push((performance.now() - t0) / group);
      }
      out[name] = {
        ms,
        group,
        inputShape: network.inputShape(),
        multiplyAdds: state.core.multiplyAdds(bytes),
      };
    } finally {
      network.delete();
    }
  }
  return out;
}

window.bench = {
  networkPasses,
  ready,
  loadFrames,
  enroll,
  faceunlockFrames,
  canvasReads,
  memory,
  faceapiLoad,
  faceapiFrames,
  faceapiDescriptorOnly,
};
