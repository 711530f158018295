#!/usr/bin/env node
/**
 * @file Times every sample network in the wasm core on one thread and prints milliseconds per
 * run (the median, after warm-up runs) and GFLOP/s = 2 * multiply-adds / time.
 *
 * Usage: node wasm/bench.mjs [--json] [--runs N] [--warmup N] [--backend simd|reference]
 *                            [NETWORK...]
 * The core is loaded from $FACEUNLOCK_WASM_DIR, else build-wasm/wasm (see wasm/README.md).
 */
import { parseArgs } from 'node:util';

import { coreBuildDir, findMissingCore, loadCore } from './node_loader.mjs';

const USAGE = 'usage: node wasm/bench.mjs [--json] [--runs N] [--warmup N] ' +
    '[--backend simd|reference] [NETWORK...]';

/**
 * @param {!Array<number>} values
 * @return {number}
 */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * @param {string} text
 * @param {string} flag
 * @return {number} a whole number >= 1
 */
function positiveInt(text, flag) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number >= 1: ${text}`);
  return n;
}

/**
 * @param {!Object} core
 * @param {string} name
 * @param {{runs: number, warmup: number, backend: string}} options
 * @return {!Object} one result row
 */
function benchNetwork(core, name, { runs, warmup, backend }) {
  const bytes = core.makeSampleModel(name, 1);
  const multiplyAdds = core.multiplyAdds(bytes);
  const network = new core.Network(bytes, backend);
  try {
    // Smooth values in [-1, 1]: realistic magnitudes, and no denormals to slow the kernels.
    const input = network.inputView();
    for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 0.1);
    for (let i = 0; i < warmup; i++) network.run();
    const times = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      network.run();
      times.push(performance.now() - start);
    }
    const ms = median(times);
    return {
      network: name,
      backend: network.backend(),
      inputShape: network.inputShape(),
      multiplyAdds,
      runs,
      msMedian: ms,
      msMin: Math.min(...times),
      gflops: (2 * multiplyAdds) / (ms * 1e6),
    };
  } finally {
    network.delete();
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      backend: { type: 'string', default: 'simd' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const missing = await findMissingCore();
  if (missing) throw new Error(missing);
  const core = await loadCore();

  const known = core.sampleNetworkNames();
  const names = positionals.length ? positionals : known;
  for (const name of names) {
    if (!known.includes(name)) throw new Error(`unknown network '${name}'; known: ${known}`);
  }
  const options = {
    runs: positiveInt(values.runs, '--runs'),
    warmup: positiveInt(values.warmup, '--warmup'),
    backend: values.backend,
  };

  const results = [];
  for (const name of names) {
    const result = benchNetwork(core, name, options);
    results.push(result);
    if (!values.json) {
      console.log(`${name.padEnd(14)} ${result.msMedian.toFixed(3).padStart(9)} ms` +
          `  ${result.gflops.toFixed(1).padStart(6)} GFLOP/s` +
          `  (${(result.multiplyAdds / 1e6).toFixed(1)} M multiply-adds, min ` +
          `${result.msMin.toFixed(3)} ms)`);
    }
  }
  if (values.json) {
    const environment = {
      node: process.version,
      arch: process.arch,
      wasmDir: coreBuildDir(),
      threads: 1,
    };
    console.log(JSON.stringify({ environment, results }, null, 2));
  }
}

main().catch((error) => {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
