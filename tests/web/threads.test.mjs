// The `threads` option outside a cross-origin isolated page (Node here): checked, then served by
// the single-threaded core with the reason in fu.threading. tests/browser/mt-core.test.mjs runs
// the multi-threaded core itself.
import assert from 'node:assert/strict';

import { FaceUnlock } from '../../web/index.js';
import { engineTest, nodeOptions } from './helpers.mjs';

engineTest('threads defaults to 1 and is reported', {}, async (t) => {
  const fu = await FaceUnlock.create(await nodeOptions({ store: 'memory' }));
  t.after(() => fu.dispose());
  assert.deepEqual(fu.threading,
      { requested: 1, threads: 1, core: 'faceunlock_core', reason: null });
});

engineTest('threads above 1 without cross-origin isolation runs one thread and says why', {},
    async (t) => {
      assert.notEqual(globalThis.crossOriginIsolated, true);
      const fu = await FaceUnlock.create(await nodeOptions({ store: 'memory', threads: 3 }));
      t.after(() => fu.dispose());
      const { requested, threads, core, reason } = fu.threading;
      assert.deepEqual({ requested, threads, core },
          { requested: 3, threads: 1, core: 'faceunlock_core' });
      assert.match(reason, /not cross-origin isolated.*Cross-Origin-Embedder-Policy: require-corp/);
    });

engineTest('a threads value that is not a whole number from 1 to 64 is refused', {}, async () => {
  for (const threads of [0, -1, 1.5, 65, '2', Number.NaN]) {
    await assert.rejects(FaceUnlock.create(await nodeOptions({ store: 'memory', threads })),
        { code: 'invalid-argument', message: /threads must be a whole number from 1 to 64/ },
        `threads ${String(threads)}`);
  }
  await assert.rejects(
      FaceUnlock.create(await nodeOptions({ store: 'memory', threads: 2, wasm: { mtUrl: 7 } })),
      { code: 'invalid-argument', message: /wasm.mtUrl must be a string or a URL/ });
});
