#!/usr/bin/env node
// Soak: many frames through FaceUnlock.unlock() in headless Chromium, with users enrolled and
// removed in between, watching for errors and memory growth.
//
//   node web/bench/soak.mjs [--frames N] [--sample N] [--warmup N] [--json]
//
// Frames counts the frames unlock() analysed (enrolled person, stranger, no face); the frames
// enroll() reads come on top and are reported apart.
// Defaults: 10,000 frames, a sample every 500, warm-up 1,000. The page imports web/index.js (the
// shipped library, default 'accurate' embedder, IndexedDB store, lockout and liveness off so
// every attempt reads frames) and cycles through: an enrolled person's photo (unlocks), a
// stranger's (times out), a frame without a face, and every 10th cycle enrolls a third person
// and removes them again. After each sample's frames it reports the wasm memory size; the JS
// heap is measured through the DevTools protocol after a forced garbage collection.
//
// Fails (exit 1) on any thrown error or unexpected result, when the wasm memory after warm-up
// grows by more than WASM_GROWTH_BOUND, or when the JS heap's last sample exceeds its smallest
// after-warm-up sample by more than JS_GROWTH_BOUND. WebAssembly memory never shrinks, so any
// leak in C++ shows as growth; 16 MiB is one growth step of a heap of this size and leaves room
// for fragmentation, while a leak of one frame buffer (1.2 MB at 640x480) per unlock would pass
// it within a hundred attempts.
// Needs: chromium, playwright-core (scripts/setup.sh), web/dist (scripts/build.sh), LFW photos.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { startServer } from '../../scripts/serve.mjs';

const MiB = 1024 * 1024;
const WASM_GROWTH_BOUND = 16 * MiB;
const JS_GROWTH_BOUND = 8 * MiB;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lfwDir = path.resolve(repoRoot, '..', 'shared', 'data', 'lfw');
const PEOPLE = { enrolled: ['Colin_Powell', 1], stranger: ['George_W_Bush', 1], visitor: ['Donald_Rumsfeld', 1] };
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const { values: args } = parseArgs({ options: {
  frames: { type: 'string', default: '10000' },
  sample: { type: 'string', default: '500' },
  warmup: { type: 'string', default: '1000' },
  json: { type: 'boolean', default: false },
} });
const totalFrames = Number(args.frames);
const sampleEvery = Number(args.sample);
const warmup = Number(args.warmup);
if (![totalFrames, sampleEvery, warmup].every((n) => Number.isInteger(n) && n >= 0) || sampleEvery < 1) {
  console.error('soak: --frames, --sample and --warmup take whole numbers (--sample at least 1)');
  process.exit(2);
}

/** The photos as RGBA, decoded by the engine's own decoder (Node has none). */
async function decodePhotos() {
  const { default: createCore } =
      await import(pathToFileURL(path.join(repoRoot, 'web/dist/faceunlock_core.mjs')).href);
  const core = await createCore({ wasmBinary: await readFile(path.join(repoRoot, 'web/dist/faceunlock_core.wasm')) });
  const out = {};
  for (const [role, [person, n]] of Object.entries(PEOPLE)) {
    const file = path.join(lfwDir, person, `${person}_${String(n).padStart(4, '0')}.jpg`);
    const d = core.decodeImage(await readFile(file));
    out[role] = { width: d.width, height: d.height, rgba: Buffer.from(d.rgba).toString('base64') };
  }
  return out;
}

// Runs in the page. Installs window.soak = { batch(n) } over one FaceUnlock instance.
async function setUpPage(photos) {
  const { FaceUnlock } = await import('/web/index.js');
  const frames = {};
  for (const [role, p] of Object.entries(photos)) {
    const bytes = Uint8Array.from(atob(p.rgba), (c) => c.charCodeAt(0));
    frames[role] = { width: p.width, height: p.height, data: bytes };
  }
  frames.blank = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 4).fill(90) };
  const fu = await FaceUnlock.create({ lockout: false, liveness: false });
  for (const u of await fu.users()) await fu.removeUser(u.id);
  await fu.enroll('alice', frames.enrolled, { frames: 3 });
  let cycle = 0;
  const problems = [];
  const byKind = { enrolled: 0, stranger: 0, blank: 0, enroll: 0 };
  const expect = (ok, what) => { if (!ok && problems.length < 20) problems.push(what); };
  window.soak = {
    async batch(n) {
      let done = 0;
      const count = (kind) => () => { done++; byKind[kind]++; };
      while (done < n) {
        cycle++;
        try {
          const yes = await fu.unlock(frames.enrolled, { timeoutMs: 5000, onFrame: count('enrolled') });
          expect(yes.unlocked && yes.user === 'alice', `cycle ${cycle}: alice: ${JSON.stringify(yes)}`);
          const no = await fu.unlock(frames.stranger, { timeoutMs: 300, onFrame: count('stranger') });
          expect(!no.unlocked && no.reason === 'timeout', `cycle ${cycle}: stranger: ${JSON.stringify(no)}`);
          const none = await fu.unlock(frames.blank, { timeoutMs: 100, onFrame: count('blank') });
          expect(!none.unlocked && none.reason === 'no-face', `cycle ${cycle}: blank: ${JSON.stringify(none)}`);
          if (cycle % 10 === 0) {
            await fu.enroll('visitor', frames.visitor,
                { frames: 2, timeoutMs: 5000, onProgress: () => { byKind.enroll++; } });
            const users = (await fu.users()).map((u) => u.id).join(',');
            expect(users === 'alice,visitor', `cycle ${cycle}: users after enroll: ${users}`);
            expect(await fu.removeUser('visitor'), `cycle ${cycle}: visitor was not removed`);
          }
        } catch (e) {
          expect(false, `cycle ${cycle}: ${e?.code ?? ''} ${e?.message ?? e}`);
        }
      }
      return { frames: done, cycles: cycle, byKind: { ...byKind }, problems: problems.splice(0),
        wasmBytes: fu._engine._core.HEAP8.buffer.byteLength };
    },
  };
}

const { chromium } = await import('playwright-core');
const photos = await decodePhotos();
const { server, port } = await startServer({ root: repoRoot, port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
let failed = false;
const samples = [];
let lastByKind = null;
try {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Any page of the server's origin will do: the library is imported into it as a module.
  await page.goto(`http://127.0.0.1:${port}/README.md`);
  await page.evaluate(setUpPage, photos);
  const cdp = await page.context().newCDPSession(page);
  let frames = 0;
  const started = Date.now();
  while (frames < totalFrames) {
    const r = await page.evaluate((n) => window.soak.batch(n), Math.min(sampleEvery, totalFrames - frames));
    frames += r.frames;
    lastByKind = r.byKind;
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const sample = { frames, cycles: r.cycles, seconds: Math.round((Date.now() - started) / 1000),
      wasmMiB: +(r.wasmBytes / MiB).toFixed(1), jsHeapMiB: +(heap.usedSize / MiB).toFixed(2) };
    samples.push(sample);
    if (!args.json) console.log(JSON.stringify(sample));
    for (const p of [...r.problems, ...pageErrors.splice(0)]) {
      console.error(`soak: ${p}`);
      failed = true;
    }
  }
} catch (e) {
  console.error(`soak: ${e?.stack ?? e}`);
  failed = true;
} finally {
  await browser.close();
  server.close();
}

const after = samples.filter((s) => s.frames > warmup);
const verdict = { frames: samples.at(-1)?.frames ?? 0, unlockFramesByKind: lastByKind,
  cycles: samples.at(-1)?.cycles ?? 0, samples: samples.length, failed };
if (after.length >= 2) {
  verdict.wasmGrowthMiB = +(after.at(-1).wasmMiB - after[0].wasmMiB).toFixed(1);
  verdict.jsGrowthMiB = +(after.at(-1).jsHeapMiB - Math.min(...after.map((s) => s.jsHeapMiB))).toFixed(2);
  if (verdict.wasmGrowthMiB * MiB > WASM_GROWTH_BOUND) {
    console.error(`soak: wasm memory grew ${verdict.wasmGrowthMiB} MiB after warm-up (bound ${WASM_GROWTH_BOUND / MiB})`);
    verdict.failed = true;
  }
  if (verdict.jsGrowthMiB * MiB > JS_GROWTH_BOUND) {
    console.error(`soak: the JS heap grew ${verdict.jsGrowthMiB} MiB after warm-up (bound ${JS_GROWTH_BOUND / MiB})`);
    verdict.failed = true;
  }
} else {
  verdict.note = 'too few samples after warm-up to judge growth';
}
console.log(JSON.stringify(args.json ? { ...verdict, samples } : verdict));
process.exit(verdict.failed ? 1 : 0);
