#!/usr/bin/env node
/**
 * @file Times the creation of an Engine (model parsing and checks, planning, weight packing) in
 * the wasm core, the part of a web page's cold start that runs our code once the core and the
 * models are there. Run it under `node --liftoff-only` to time it in the unoptimised code a first
 * visit runs (V8 compiles a function with Liftoff on its first call and optimises it only once
 * it is hot); without the flag the later creations run optimised code.
 *
 * Usage: node [--liftoff-only] wasm/creation-bench.mjs [--runs N] [DETECTOR EMBEDDER]
 *   (default models/blazeface-short.fum models/dlib-resnet-pruned-int8.fum, the fast
 *   configuration). The core is loaded from $FACEUNLOCK_WASM_DIR, else build-wasm/wasm.
 * Prints the first creation (which includes compiling what creation calls) and the median and
 * fastest of the others.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { coreBuildDir, findMissingCore, loadCore, repoRoot } from './node_loader.mjs';

const USAGE = 'usage: node [--liftoff-only] wasm/creation-bench.mjs [--runs N] [DETECTOR EMBEDDER]';

async function main() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { runs: { type: 'string', default: '21' } } });
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
  const runs = Number(parsed.values.runs);
  if (!Number.isInteger(runs) || runs < 2) {
    console.error(`--runs must be a whole number >= 2: ${parsed.values.runs}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.positionals.length !== 0 && parsed.positionals.length !== 2) {
    console.error(USAGE);
    process.exit(2);
  }
  const [detectorFile, embedderFile] = parsed.positionals.length ? parsed.positionals :
    [path.join(repoRoot, 'models', 'blazeface-short.fum'),
      path.join(repoRoot, 'models', 'dlib-resnet-pruned-int8.fum')];
  const missing = await findMissingCore();
  if (missing) throw new Error(missing);
  const core = await loadCore();
  const detector = new Uint8Array(await readFile(detectorFile));
  const embedder = new Uint8Array(await readFile(embedderFile));
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const engine = new core.Engine(detector, embedder);
    ms.push(performance.now() - start);
    engine.delete();
  }
  const rest = ms.slice(1).sort((a, b) => a - b);
  const mid = rest.length >> 1;
  const median = rest.length % 2 ? rest[mid] : (rest[mid - 1] + rest[mid]) / 2;
  const liftoffOnly = process.execArgv.includes('--liftoff-only');
  console.log(`${coreBuildDir()}: Engine creation ${path.basename(detectorFile)} + ` +
      `${path.basename(embedderFile)}${liftoffOnly ? ' (--liftoff-only: unoptimised code)' : ''}: ` +
      `first ${ms[0].toFixed(1)} ms, then median ${median.toFixed(1)} ms, fastest ` +
      `${rest[0].toFixed(1)} ms of ${rest.length}`);
}

main().catch((error) => {
  console.error(`creation-bench: ${error.message}`);
  process.exit(1);
});
