// Runs the ORIGINAL face-api FaceRecognitionNet (dlib's ResNet as @vladmandic/face-api ships it)
// with TensorFlow.js in Node, to check `faceunlock convert dlib-resnet` against it.
//
// tfjs-node (native) is not available, and face-api's ES module builds do not load in Node 20
// (the bundled one stubs out `util`, the unbundled one imports tfjs's extensionless ESM paths),
// so this loads face-api's CommonJS build for tfjs + the wasm backend and runs it on the pure
// JavaScript CPU backend by default. Weights are read from the package's own files and decoded
// by tfjs itself (tf.io.decodeWeights), so nothing of ours sits on the reference path.
//
// usage: node tools/reference/face_api_descriptors.mjs [--package DIR] [--backend cpu|wasm]
//            --out OUT.f32 CHIP.rgb...
// Each CHIP file holds one or more 150x150 RGB chips as raw uint8 (67500 bytes each, rows top to
// bottom). OUT receives face-api's raw descriptors (128 float32 each, not normalised), in order;
// stdout gets a JSON line per chip with the descriptor's norm.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHIP_SIZE = 150;
export const CHIP_BYTES = CHIP_SIZE * CHIP_SIZE * 3;

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_PACKAGE = path.resolve(here, '../../node_modules/@vladmandic/face-api');

// Returns { faceapi, tf, net } with the recognition net's weights loaded from `packageDir`.
export async function loadFaceRecognitionNet(packageDir = DEFAULT_PACKAGE, backend = 'cpu') {
  const faceapi = require(path.join(packageDir, 'dist/face-api.node-wasm.js'));
  const { tf } = faceapi;
  if (!(await tf.setBackend(backend))) throw new Error(`cannot start tfjs backend (${backend})`);
  await tf.ready();
  const modelDir = path.join(packageDir, 'model');
  const manifest = JSON.parse(
    await readFile(path.join(modelDir, 'face_recognition_model-weights_manifest.json'), 'utf8'),
  );
  const weightMap = {};
  for (const group of manifest) {
    // A group's shards form one byte stream (a weight may straddle two files).
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(modelDir, p))));
    const bytes = Buffer.concat(shards);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    Object.assign(weightMap, tf.io.decodeWeights(buffer, group.weights));
  }
  const net = new faceapi.FaceRecognitionNet();
  net.loadFromWeightMap(weightMap);
  return { faceapi, tf, net };
}

// Raw face-api descriptors (Float32Array of 128) for 150x150 RGB uint8 chips. The chips are
// already the net's input size, so face-api's own resize step leaves them untouched.
export async function describeChips({ tf, net }, chips) {
  const out = [];
  for (const chip of chips) {
    if (chip.length !== CHIP_BYTES) {
      throw new Error(`cannot describe chip (${chip.length} bytes): expected ${CHIP_BYTES}`);
    }
    const input = tf.tensor4d(Float32Array.from(chip), [1, CHIP_SIZE, CHIP_SIZE, 3], 'float32');
    const result = await net.forward(input);
    const descriptor = await result.data();
    tf.dispose([input, result]);
    out.push(Float32Array.from(descriptor));
  }
  return out;
}

export function splitChips(bytes, label) {
  if (bytes.length === 0 || bytes.length % CHIP_BYTES !== 0) {
    throw new Error(`cannot read chips (${label}): ${bytes.length} bytes is not a multiple of ` +
      `${CHIP_BYTES} (150x150 RGB uint8)`);
  }
  const chips = [];
  for (let i = 0; i < bytes.length; i += CHIP_BYTES) chips.push(bytes.subarray(i, i + CHIP_BYTES));
  return chips;
}

function parseArgs(argv) {
  const options = { packageDir: DEFAULT_PACKAGE, backend: 'cpu', out: null, files: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--package') options.packageDir = path.resolve(argv[++i]);
    else if (a === '--backend') options.backend = argv[++i];
    else if (a === '--out') options.out = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown flag ${a}`);
    else options.files.push(a);
  }
  if (!options.out || options.files.length === 0) {
    throw new Error('usage: face_api_descriptors.mjs [--package DIR] [--backend cpu|wasm] ' +
      '--out OUT.f32 CHIP.rgb...');
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const reference = await loadFaceRecognitionNet(options.packageDir, options.backend);
  const descriptors = [];
  for (const file of options.files) {
    const chips = splitChips(await readFile(file), file);
    const described = await describeChips(reference, chips);
    described.forEach((d, index) => {
      const norm = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
      console.log(JSON.stringify({ file, index, norm }));
    });
    descriptors.push(...described);
  }
  const all = new Float32Array(descriptors.length * 128);
  descriptors.forEach((d, i) => all.set(d, i * 128));
  await writeFile(options.out, Buffer.from(all.buffer));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`face_api_descriptors: ${e.message}`);
    process.exit(1);
  });
}
