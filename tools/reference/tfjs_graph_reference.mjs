#!/usr/bin/env node
// Runs an original TF.js graph model (model.json + its weight shards) with @tensorflow/tfjs on
// the pure-JavaScript CPU backend, so converted models can be checked against the network as
// published rather than against our own reading of it.
//
//   node tools/reference/tfjs_graph_reference.mjs MODEL.json --input X.f32 --output Y.f32
//        [--outputs NAME,NAME...] [--json]
//
// X.f32 holds the model's input (NHWC, batch 1) as raw little-endian float32, already
// normalised. Y.f32 receives the requested outputs (default: the model's own output order) as
// raw float32, concatenated in the order named.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

function usage(message) {
  process.stderr.write(`${message}\nusage: tfjs_graph_reference.mjs MODEL.json --input X.f32 ` +
    '--output Y.f32 [--outputs NAME,...] [--json]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { model: null, input: null, output: null, outputs: null, json: false };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--input') args.input = next();
    else if (a === '--output') args.output = next();
    else if (a === '--outputs') args.outputs = next().split(',');
    else if (a === '--json') args.json = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (args.model === null) args.model = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!args.model || !args.input || !args.output) usage('MODEL, --input and --output are required');
  return args;
}

// The artifacts tf.loadGraphModel would fetch over HTTP, read from disk instead: the weight
// shards of every manifest group, concatenated in manifest order as TF.js expects.
function readArtifacts(modelPath) {
  const json = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const dir = path.dirname(modelPath);
  const weightSpecs = [];
  const shards = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData,
  };
}

// Loads the model once; run() takes the normalised NHWC input and the output node names
// (default: the model's own outputs) and returns [{ name, shape, values }].
export async function loadReference(modelPath) {
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await tf.loadGraphModel(tf.io.fromMemory(readArtifacts(modelPath)));
  const shape = model.inputs[0].shape.map((d) => (d === -1 || d === null ? 1 : d));
  const count = shape.reduce((a, b) => a * b, 1);
  const run = async (inputValues, outputNames) => {
    if (inputValues.length !== count) {
      throw new Error(`cannot run ${modelPath} (input of ${inputValues.length} values): the ` +
        `model's input [${shape}] needs ${count}`);
    }
    const names = outputNames || model.outputs.map((o) => o.name.replace(/:0$/, ''));
    const input = tf.tensor(inputValues, shape, 'float32');
    let results = model.execute(input, names);
    if (!Array.isArray(results)) results = [results];
    const outputs = [];
    for (let i = 0; i < results.length; ++i) {
      outputs.push({ name: names[i], shape: results[i].shape, values: await results[i].data() });
    }
    tf.dispose([input, ...results]);
    return outputs;
  };
  return { inputShape: shape, run, dispose: () => model.dispose() };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const bytes = fs.readFileSync(args.input);
  if (bytes.byteLength % 4) usage(`${args.input} is not a whole number of float32 values`);
  const input = new Float32Array(bytes.buffer.slice(bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength));
  const reference = await loadReference(args.model);
  const outputs = await reference.run(input, args.outputs);
  reference.dispose();
  const total = outputs.reduce((n, o) => n + o.values.length, 0);
  const joined = new Float32Array(total);
  let offset = 0;
  for (const o of outputs) {
    joined.set(o.values, offset);
    offset += o.values.length;
  }
  fs.writeFileSync(args.output, Buffer.from(joined.buffer));
  const summary = outputs.map((o) => ({ name: o.name, shape: o.shape, values: o.values.length }));
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ model: args.model, outputs: summary })}\n`);
  } else {
    process.stdout.write(`ran ${args.model}; outputs: ` +
      `${summary.map((o) => `${o.name} [${o.shape}]`).join(', ')}\nwrote ${total} float32 ` +
      `values to ${args.output}\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
}
