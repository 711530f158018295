// The `threads` argument of Engine and Network on the single-threaded core: 1 works, more is
// refused with a message that names the multi-threaded core, and anything but a whole number is
// an Error saying what was expected. tests/browser/mt-core.test.mjs runs faceunlock_core_mt.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { repoRoot } from '../../wasm/node_loader.mjs';
import { loadCoreOrSkip } from './helpers.mjs';

const { core, skip } = await loadCoreOrSkip();

describe('wasm core: threads', { skip }, () => {
  test('the single-threaded core runs one thread and refuses more', async () => {
    assert.equal(core.maxThreads(), 1);
    const detector = await readFile(path.join(repoRoot, 'models', 'blazeface-short.fum'));
    const embedder = await readFile(path.join(repoRoot, 'models', 'mobilefacenet-student.fum'));
    for (const options of [undefined, {}, { threads: 1 }]) {
      const engine = options === undefined ? new core.Engine(detector, embedder) :
        new core.Engine(detector, embedder, options);
      assert.equal(engine.threads(), 1);
      engine.delete();
    }
    assert.throws(() => new core.Engine(detector, embedder, { threads: 2 }),
        /cannot create engine: threads is 2, but this core runs at most 1 .*faceunlock_core_mt.*COOP\/COEP/);
    for (const threads of [0, 1.5, '2', -3]) {
      assert.throws(() => new core.Engine(detector, embedder, { threads }),
          /cannot create engine: threads is .*, expected a whole number from 1/, String(threads));
    }
    assert.throws(() => new core.Engine(detector, embedder, 'fast'),
        /cannot create engine: options is .*, expected an object/);
  });

  test('Network takes threads as its third argument', () => {
    const model = core.makeSampleModel('conv1x1', 7);
    const network = new core.Network(model, 'simd', 1);
    network.run();
    network.delete();
    assert.throws(() => new core.Network(model, 'simd', 2),
        /cannot create network: threads is 2, but this core runs at most 1/);
  });
});
