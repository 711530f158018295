// The JS API of the wasm core on valid inputs: shapes, views, metadata, determinism.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  compareOutputs,
  elementCount,
  fillPseudoRandom,
  loadCoreOrSkip,
  runCopy,
} from './helpers.mjs';

const { core, skip } = await loadCoreOrSkip();

const SAMPLE_NAMES = ['conv1x1', 'conv3x3', 'dwconv3x3', 'resnet', 'mobilefacenet', 'blazeface'];

describe('wasm core: sample networks', { skip }, () => {
  test('lists the sample networks in the C++ order', () => {
    assert.deepEqual(core.sampleNetworkNames(), SAMPLE_NAMES);
  });

  test('offers the reference and simd backends, simd by default', () => {
    assert.deepEqual(core.availableBackends(), ['reference', 'simd']);
    const network = new core.Network(core.makeSampleModel('conv1x1', 7));
    try {
      assert.equal(network.backend(), 'simd');
    } finally {
      network.delete();
    }
  });

  test('makeSampleModel is deterministic in its seed and returns an independent copy', () => {
    const a = core.makeSampleModel('blazeface', 7);
    const b = core.makeSampleModel('blazeface', 7);
    const c = core.makeSampleModel('blazeface', 8);
    assert.ok(a instanceof Uint8Array);
    assert.notEqual(a.buffer, core.HEAPU8.buffer, 'must not alias the wasm heap');
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('multiplyAdds counts a 1x1 convolution exactly', () => {
    // 56x56 pixels, 64 input and 128 output channels (sample_networks.cc).
    assert.equal(core.multiplyAdds(core.makeSampleModel('conv1x1', 1)), 56 * 56 * 64 * 128);
  });

  for (const name of SAMPLE_NAMES) {
    test(`${name} runs and gives finite outputs of the declared shapes`, () => {
      const network = new core.Network(core.makeSampleModel(name, 7));
      try {
        const inputShape = network.inputShape();
        assert.equal(inputShape.length, 4);
        assert.equal(inputShape[0], 1);
        const input = fillPseudoRandom(new Float32Array(elementCount(inputShape)), 1);
        const outputs = runCopy(network, input);
        assert.ok(network.outputCount() >= 1);
        assert.equal(outputs.length, network.outputCount());
        outputs.forEach((output, i) => {
          assert.equal(output.length, elementCount(network.outputShape(i)), `output ${i} size`);
          const bad = output.findIndex((v) => !Number.isFinite(v));
          assert.equal(bad, -1, `output ${i} has a non-finite value at ${bad}`);
          assert.ok(output.some((v) => v !== 0), `output ${i} is all zeros`);
        });
      } finally {
        network.delete();
      }
    });
  }
});

describe('wasm core: Network', { skip }, () => {
  test('metadata() describes the model', () => {
    const network = new core.Network(core.makeSampleModel('mobilefacenet', 7));
    try {
      const m = network.metadata();
      const [, h, w, c] = network.inputShape();
      assert.equal(m.name, 'sample-mobilefacenet');
      assert.deepEqual([m.inputHeight, m.inputWidth, m.inputChannels], [h, w, c]);
      assert.equal(typeof m.outputKind, 'string');
      assert.match(m.provenance, /random weights/);
      assert.equal(typeof m.license, 'string');
      assert.deepEqual(m.properties, {});
      assert.equal(m.pixelMean.length, c);
      assert.equal(m.pixelScale.length, c);
    } finally {
      network.delete();
    }
  });

  test('the reference backend agrees with simd', () => {
    const bytes = core.makeSampleModel('conv3x3', 7);
    const simd = new core.Network(bytes, 'simd');
    const reference = new core.Network(bytes, 'reference');
    try {
      assert.equal(reference.backend(), 'reference');
      const input = fillPseudoRandom(new Float32Array(elementCount(simd.inputShape())), 3);
      const [a] = runCopy(simd, input);
      const [b] = runCopy(reference, input);
      // Same bound as the native parity test (see parity.test.mjs for why it is enough).
      const { maxDiff, bound, worst } = compareOutputs(a, b, 1e-4);
      assert.ok(maxDiff <= bound, `differs by ${maxDiff} at ${worst}, bound ${bound}`);
    } finally {
      simd.delete();
      reference.delete();
    }
  });

  test('the same input gives the same output on every run', () => {
    const network = new core.Network(core.makeSampleModel('dwconv3x3', 7));
    try {
      const input = fillPseudoRandom(new Float32Array(elementCount(network.inputShape())), 5);
      assert.deepEqual(runCopy(network, input), runCopy(network, input));
    } finally {
      network.delete();
    }
  });

  test('a wrong-size input cannot reach C++: the input view has exactly the input size', () => {
    const network = new core.Network(core.makeSampleModel('conv1x1', 7));
    try {
      const view = network.inputView();
      assert.ok(view instanceof Float32Array);
      assert.equal(view.length, elementCount(network.inputShape()));
      assert.throws(() => view.set(new Float32Array(view.length + 1)), RangeError);
    } finally {
      network.delete();
    }
  });

  test('views taken again after memory growth still see the data', () => {
    const small = new core.Network(core.makeSampleModel('dwconv3x3', 7));
    try {
      const input = fillPseudoRandom(new Float32Array(elementCount(small.inputShape())), 9);
      const [before] = runCopy(small, input);
      const heapBefore = core.HEAPU8.length;
      // The ResNet's weights and activations need tens of MB. Earlier tests may have left the
      // heap large enough for one (how large depends on the allocator's history), so keep them
      // alive until the memory has to grow.
      const held = [];
      while (core.HEAPU8.length === heapBefore && held.length < 8) {
        held.push(new core.Network(core.makeSampleModel('resnet', 7)));
      }
      for (const n of held) n.delete();
      assert.ok(core.HEAPU8.length > heapBefore, 'the memory should have grown');
      assert.deepEqual(small.inputView(), input);
      small.run();
      assert.deepEqual(small.outputView(0).slice(), before);
    } finally {
      small.delete();
    }
  });
});
