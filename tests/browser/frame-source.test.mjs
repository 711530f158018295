/**
 * @file web/lib/frame-source.js in Chromium: frames are copied through WebCodecs VideoFrames
 * (the fast path) from a canvas and from a camera, with the pixels the canvas path reads, and the
 * pooled buffers are reused.
 *
 *   node --test tests/browser/frame-source.test.mjs
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { findMissing, launch, makeY4m, serveDemo, skipOrFail } from './support.mjs';

const skip = skipOrFail(await findMissing());

let work;
let server;
let demoUrl;
let session;

before(async () => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), 'faceunlock-frames-'));
  const y4m = makeY4m('Colin_Powell/Colin_Powell_0001.jpg', work);
  ({ server, demoUrl } = await serveDemo());
  session = await launch(path.join(work, 'profile'), y4m);
  // Any document of the server's origin will do: the test imports the library module into it.
  await session.page.goto(new URL('/package.json', demoUrl).href);
});

after(async () => {
  await session?.context.close();
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a canvas: the VideoFrame copy has exactly the canvas path\'s bytes', { skip }, async () => {
  const r = await session.page.evaluate(async () => {
    const { FrameReader } = await import('/web/lib/frame-source.js');
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const pattern = context.createImageData(640, 480);
    let seed = 12345;
    for (let i = 0; i < pattern.data.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      pattern.data[i] = i % 4 === 3 ? 255 : seed >>> 24;
    }
    context.putImageData(pattern, 0, 0);
    const reader = new FrameReader();
    const first = await reader.read(canvas);
    const expected = context.getImageData(0, 0, 640, 480).data;
    let differing = 0;
    for (let i = 0; i < expected.length; i++) differing += first.data[i] !== expected[i] ? 1 : 0;
    const firstBuffer = first.data;
    reader.release(first);
    const second = await reader.read(canvas);
    return {
      size: [first.width, first.height, first.scale, first.owned],
      differing,
      fastPath: reader._videoFrames,
      reused: second.data === firstBuffer,
    };
  });
  assert.deepEqual(r.size, [640, 480, 1, true]);
  assert.equal(r.fastPath, true, 'Chromium has VideoFrame.copyTo with RGBA: the fast path must hold');
  assert.equal(r.differing, 0, 'bytes differ from getImageData');
  assert.equal(r.reused, true, 'a released buffer is reused by the next read');
});

test('a camera: the VideoFrame copy matches drawImage + getImageData', { skip }, async () => {
  const r = await session.page.evaluate(async () => {
    const { FrameReader } = await import('/web/lib/frame-source.js');
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    await video.play();
    await new Promise((resolve) => video.requestVideoFrameCallback(resolve));
    const reader = new FrameReader();
    // Both reads of one decoded frame: the fake camera repeats one photo, but wait for a
    // frame callback between attempts so both see the same picture.
    const frame = await reader.read(video);
    const canvas = document.createElement('canvas');
    canvas.width = frame.width;
    canvas.height = frame.height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(video, 0, 0);
    const expected = context.getImageData(0, 0, frame.width, frame.height).data;
    let sum = 0;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      if (i % 4 === 3) continue;
      const d = Math.abs(frame.data[i] - expected[i]);
      sum += d;
      worst = Math.max(worst, d);
    }
    video.srcObject.getTracks().forEach((t) => t.stop());
    return {
      size: [frame.width, frame.height],
      meanDifference: sum / (expected.length * 0.75),
      worst,
      fastPath: reader._videoFrames,
    };
  });
  console.log(`camera frame: VideoFrame copy against drawImage + getImageData, mean difference ` +
      `${r.meanDifference.toFixed(3)} levels, worst ${r.worst}`);
  assert.deepEqual(r.size, [640, 480]);
  assert.equal(r.fastPath, true, 'the camera frame was read through the canvas: the fast path failed');
  // Both convert the camera's YUV to RGB, perhaps with other rounding; a wrong channel order or
  // colour matrix would differ by tens of levels.
  assert.ok(r.meanDifference < 2, `mean difference ${r.meanDifference.toFixed(2)} levels (worst ${r.worst})`);
});
