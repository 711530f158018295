// Does this engine run relaxed SIMD's int8 dot product, and how fast is it against the baseline
// SIMD128 dot product the int8 kernels use? Evidence for docs/kernels.md, not part of the core.
//
//   node bench/relaxed_simd_probe.mjs                       Node as it is (no flags)
//   node --experimental-wasm-relaxed-simd --no-liftoff bench/relaxed_simd_probe.mjs
//   node bench/relaxed_simd_probe.mjs --chromium            headless /usr/bin/chromium
//
// It hand-assembles two small modules (no toolchain here emits relaxed SIMD: emscripten 3.1.6's
// clang 15 has no relaxed intrinsics), checks the instruction's results on operands inside its
// contract (the second operand within [0, 127]; outside it the result is implementation-defined),
// and times a loop of 12 independent accumulator chains (acc = acc + acc . b) per instruction:
//   relaxed  i32x4.relaxed_dot_i8x16_i7x16_add_s       16 multiply-adds per instruction
//   dot16    i32x4.add(acc, i32x4.dot_i16x8_s(a, b))     8 multiply-adds per 2 instructions
// The loop holds its operands in registers: it measures the instructions' throughput, an upper
// bound for a kernel, which also loads and sign-extends its operands.
import { parseArgs } from 'node:util';

const CHAINS = 12;

// Unsigned LEB128, as the binary format encodes opcodes after the 0xfd prefix and sizes.
function leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

const SIMD = (op) => [0xfd, ...leb(op)];
const OP = {
  v128Load: 0x00, v128Store: 0x0b, v128Const: 0x0c, i32x4ExtractLane: 0x1b, i32x4Add: 0xae,
  i32x4DotI16x8S: 0xba, i32x4RelaxedDotI8x16I7x16AddS: 0x113,
};

function section(id, bytes) { return [id, ...leb(bytes.length), ...bytes]; }
function vec(items) { return [...leb(items.length), ...items.flat()]; }
function name(text) { return vec([...text].map((c) => [c.charCodeAt(0)])); }

// A module with memory and two functions:
//   check()   mem[48..64) = relaxed_dot(mem[0..16), mem[16..32), mem[32..48))  (relaxed only)
//   spin(n)   n iterations of CHAINS accumulations of `kind`; returns lane 0 of their sum
function buildModule(kind) {
  const types = vec([[0x60, 0x00, 0x00], [0x60, 0x01, 0x7f, 0x01, 0x7f]]);
  const relaxed = kind === 'relaxed';
  const funcs = relaxed ? vec([[0x00], [0x01]]) : vec([[0x01]]);
  const memory = vec([[0x00, 0x01]]);
  const exports = relaxed
      ? vec([[...name('check'), 0x00, 0x00], [...name('spin'), 0x00, 0x01],
        [...name('mem'), 0x02, 0x00]])
      : vec([[...name('spin'), 0x00, 0x00], [...name('mem'), 0x02, 0x00]]);
  const load = (offset) => [0x41, 0x00, ...SIMD(OP.v128Load), 0x04, ...leb(offset)];
  const check = [0x00, 0x41, 0x00, ...load(0), ...load(16), ...load(32),
    ...SIMD(OP.i32x4RelaxedDotI8x16I7x16AddS), ...SIMD(OP.v128Store), 0x04, 0x30, 0x0b];
  // Locals: 0 = n (param), 1 = b, 2.. = the accumulators. Each chain multiplies its own
  // accumulator's bytes by b, so no two chains compute the same product (the compiler would
  // share it) and nothing is loop-invariant (it would be hoisted).
  const constant = (byte) => [...SIMD(OP.v128Const), ...new Array(16).fill(byte)];
  const body = [0x01, ...leb(1 + CHAINS), 0x7b,  // 1 + CHAINS locals of type v128
    ...constant(0x11), 0x21, 0x01];
  for (let i = 0; i < CHAINS; ++i) body.push(...constant(i + 1), 0x21, 2 + i);
  body.push(0x03, 0x40);  // loop
  for (let i = 0; i < CHAINS; ++i) {
    const acc = 2 + i;
    if (relaxed) {
      body.push(0x20, acc, 0x20, 0x01, 0x20, acc, ...SIMD(OP.i32x4RelaxedDotI8x16I7x16AddS));
    } else {
      body.push(0x20, acc, 0x20, acc, 0x20, 0x01, ...SIMD(OP.i32x4DotI16x8S),
          ...SIMD(OP.i32x4Add));
    }
    body.push(0x21, acc);
  }
  // n = n - 1; continue while n != 0
  body.push(0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b);
  body.push(0x20, 0x02);
  for (let i = 1; i < CHAINS; ++i) body.push(0x20, 2 + i, ...SIMD(OP.i32x4Add));
  body.push(...SIMD(OP.i32x4ExtractLane), 0x00, 0x0b);
  const code = relaxed ? vec([[...leb(check.length), ...check], [...leb(body.length), ...body]])
                       : vec([[...leb(body.length), ...body]]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(3, funcs), ...section(5, memory), ...section(7, exports),
    ...section(10, code)]);
}

// Runs in Node or, serialised, in the page: everything it needs is in its arguments.
function probe(relaxedBytes, dotBytes, chains) {
  const report = { relaxedValidates: WebAssembly.validate(new Uint8Array(relaxedBytes)) };
  const time = (bytes, macsPerInstruction) => {
    const { spin } = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes))).exports;
    const iterations = 1 << 22;
    for (let i = 0; i < 5; ++i) spin(iterations);  // until the optimising tier has taken over
    let best = Infinity;
    for (let i = 0; i < 7; ++i) {
      const t0 = performance.now();
      spin(iterations);
      best = Math.min(best, performance.now() - t0);
    }
    return +(iterations * chains * macsPerInstruction / best / 1e6).toFixed(1);  // G MAC/s
  };
  report.dot16GmacPerS = time(dotBytes, 8);
  if (!report.relaxedValidates) return report;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(relaxedBytes)));
  const { check, mem } = instance.exports;
  // Cases inside the contract: a any int8, b within [0, 127]; expected from plain arithmetic.
  const cases = [[[1], [1], 0], [[-5], [7], 0], [[127, -128], [127, 0], 1000], [[-128], [127], -7]];
  report.cases = cases.map(([a, b, c]) => {
    const bytes = new Int8Array(mem.buffer);
    for (let i = 0; i < 16; ++i) {
      bytes[i] = a[i % a.length];
      bytes[16 + i] = b[i % b.length];
    }
    new Int32Array(mem.buffer, 32, 4).fill(c);
    check();
    let expected = c;
    for (let i = 0; i < 4; ++i) expected += a[i % a.length] * b[i % b.length];
    const got = new Int32Array(mem.buffer, 48, 4)[0];
    return { a, b, c, expected, got };
  });
  report.correct = report.cases.every((x) => x.expected === x.got);
  report.relaxedGmacPerS = time(relaxedBytes, 16);
  return report;
}

async function inChromium(relaxedBytes, dotBytes) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const version = browser.version();
    const report = await page.evaluate(
        ([source, r, d, chains]) => (0, eval)(`(${source})`)(r, d, chains),
        [probe.toString(), Array.from(relaxedBytes), Array.from(dotBytes), CHAINS]);
    return { engine: `Chromium ${version}`, ...report };
  } finally {
    await browser.close();
  }
}

const { values } = parseArgs({ options: { chromium: { type: 'boolean', default: false } } });
const relaxedBytes = buildModule('relaxed');
const dotBytes = buildModule('dot16');
const report = values.chromium
    ? await inChromium(relaxedBytes, dotBytes)
    : { engine: `Node ${process.version} ${process.execArgv.join(' ')}`.trim(),
      ...probe(relaxedBytes, dotBytes, CHAINS) };
console.log(JSON.stringify(report, null, 1));
