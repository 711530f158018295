// The worker protocol, over a MessageChannel (Node has no Web Worker; worker.js's serveEngine
// takes any port, and the client any Worker-like port).
import assert from 'node:assert/strict';

import { serveEngine } from '../../web/lib/worker.js';
import { WorkerEngine } from '../../web/lib/worker-client.js';
import { engineAssets, engineTest, photo } from './helpers.mjs';

async function started(t) {
  const a = await engineAssets();
  const channel = new MessageChannel();
  serveEngine(channel.port2);
  t.after(() => channel.port2.close());
  return WorkerEngine.create({ wasm: { bytes: a.wasm }, detector: a.detector, embedder: a.embedder },
      channel.port1);
}

engineTest('the engine answers through messages; owned frame buffers are transferred',
    { photos: true }, async (t) => {
      const engine = await started(t);
      const p = await photo('Colin_Powell', 1);
      const owned = { ...p, data: new Uint8Array(p.data), owned: true };
      const r = await engine.process(owned, { embed: true, match: false });
      assert.equal(owned.data.byteLength, 0, 'the buffer moved to the worker');
      assert.equal(r.chosen, 0);
      assert.ok(r.embedding instanceof Float32Array && r.embedding.length === 128);

      const borrowed = { ...p, owned: false };
      await engine.process(borrowed, { embed: false });
      assert.equal(borrowed.data.byteLength, p.width * p.height * 4, "the caller's pixels stay");

      assert.equal(await engine.addTemplate('alice', r.embedding), 1);
      assert.deepEqual(await engine.users(), [{ user: 'alice', templates: 1 }]);
      const bytes = await engine.exportUser('alice');
      assert.ok(bytes instanceof Uint8Array);
      assert.equal(await engine.removeUser('alice'), true);
      assert.equal(await engine.importUser(bytes), 'alice');
      assert.ok((await engine.thresholds())['far_1e-3'] > 0.5);
      // Engine errors keep their message and code across the boundary.
      await assert.rejects(engine.exportUser('nobody'), { code: 'engine', message: /nobody/ });
      await assert.rejects(engine._call('delete', []), { code: 'worker', message: /unknown engine operation/ });

      await engine.dispose();
      await assert.rejects(engine.users(), { code: 'disposed' });
    });

engineTest('a worker that cannot start the engine rejects create()', {}, async (t) => {
  const a = await engineAssets();
  const channel = new MessageChannel();
  serveEngine(channel.port2);
  t.after(() => channel.port2.close());
  await assert.rejects(WorkerEngine.create({ wasm: { bytes: a.wasm }, detector: a.embedder,
    embedder: a.embedder }, channel.port1), { code: 'engine', message: /cannot load the models/ });
  await assert.rejects(WorkerEngine.create({ wasm: { factory: () => {} }, detector: a.detector,
    embedder: a.embedder }), { code: 'invalid-argument', message: /worker/ });
});
