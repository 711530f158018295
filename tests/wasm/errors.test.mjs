// Failures in the wasm core reach JS as Error objects carrying the C++ message, and leave the
// module usable: nothing leaks, and a good model still loads and runs afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { assertJsError, elementCount, fillPseudoRandom, loadCoreOrSkip, runCopy } from './helpers.mjs';

const { core, skip } = await loadCoreOrSkip();

const HEADER_BYTES = 32;  // docs/model-format.md

describe('wasm core: errors', { skip }, () => {
  const good = skip ? null : core.makeSampleModel('conv1x1', 7);

  /** A model after `edit` changed a copy of its bytes. */
  const corrupted = (edit) => {
    const bytes = good.slice();
    return edit(bytes) ?? bytes;
  };

  const cases = [
    ['one flipped byte in the body', () => corrupted((b) => { b[HEADER_BYTES + 100] ^= 0x10; }),
      /checksum mismatch/],
    ['a truncated file', () => good.slice(0, good.length - 1), /truncated/],
    ['a file cut inside the header', () => good.slice(0, 10), /truncated/],
    ['a wrong magic number', () => corrupted((b) => { b[0] = 'X'.charCodeAt(0); }), /bad magic/],
    ['an unknown version', () => corrupted((b) => { b[8] = 99; }), /unknown version 99/],
    ['empty bytes', () => new Uint8Array(0), /truncated: 0 bytes/],
    ['random bytes', () => fillBytes(new Uint8Array(4096)), /bad magic/],
  ];
  for (const [what, makeBytes, reason] of cases) {
    test(`${what}: new Network() and multiplyAdds() throw an Error naming the reason`, () => {
      const bytes = makeBytes();
      assertJsError(() => new core.Network(bytes), /cannot read model file \(model bytes\)/, reason);
      assertJsError(() => core.multiplyAdds(bytes), reason);
    });
  }

  test('arguments of the wrong type throw an Error saying what was expected', () => {
    for (const value of [[1, 2, 3], new Float32Array(8), 'FUMODEL', null, undefined]) {
      assertJsError(() => new core.Network(value), /expected a Uint8Array/);
    }
    assertJsError(() => new core.Network(good, 'xnnpack'), /backend 'xnnpack'.*reference, simd/);
    assertJsError(() => core.makeSampleModel('vgg16', 1), /vgg16/, /conv1x1/);
  });

  test('outputs cannot be viewed before run() or past the last one', () => {
    const network = new core.Network(good);
    try {
      assertJsError(() => network.outputView(0), /run\(\) has not been called/);
      network.run();
      assertJsError(() => network.outputView(1), /has 1 output/);
      assertJsError(() => network.outputView(-1), /has 1 output/);
      assertJsError(() => network.outputShape(5), /has 1 output/);
    } finally {
      network.delete();
    }
  });

  test('the module keeps working after errors, with nothing leaked', () => {
    const input = fillPseudoRandom(new Float32Array(56 * 56 * 64), 11);
    const expected = runOnce(good, input);
    const handlesBefore = core.count_emval_handles();
    const heapBefore = core.HEAPU8.length;
    const bad = corrupted((b) => { b[HEADER_BYTES + 7] ^= 1; });
    // Throwing from inside the wasm call (instead of after it returns) leaked one JS handle per
    // failed constructor, pinning its Uint8Array; the count shows any such leak.
    for (let i = 0; i < 2000; i++) {
      assert.throws(() => new core.Network(bad), Error);
      assert.throws(() => core.makeSampleModel('nope', i), Error);
    }
    assert.equal(core.count_emval_handles(), handlesBefore, 'JS handles leaked');
    assert.equal(core.HEAPU8.length, heapBefore, 'the heap grew');
    assert.deepEqual(runOnce(good, input), expected);
  });
});

/**
 * @param {!Uint8Array} out
 * @return {!Uint8Array} out, filled with reproducible bytes
 */
function fillBytes(out) {
  const floats = fillPseudoRandom(new Float32Array(out.length), 42);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor((floats[i] + 1) * 128);
  return out;
}

/**
 * @param {!Uint8Array} modelBytes
 * @param {!Float32Array} input
 * @return {!Float32Array} the first output
 */
function runOnce(modelBytes, input) {
  const network = new core.Network(modelBytes);
  try {
    assert.equal(input.length, elementCount(network.inputShape()));
    return runCopy(network, input)[0];
  } finally {
    network.delete();
  }
}
