/**
 * @file Shared by the browser tests (the name does not match node --test's file patterns, so it
 * is not run itself): prerequisites, fake-webcam videos, the static server and Chromium launches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from '../../scripts/serve.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');
export const chromiumPath = '/usr/bin/chromium';

// TOOLCHAIN.md: what Debian's Chromium needs to run headless in a container without stalling on
// first-run, update or sync traffic. launch() adds the fake camera that reads a Y4M file.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * What is missing for the browser tests, or null. Outside CI a missing piece skips the tests
 * (a user's checkout has no ../shared/data); in CI ($CI set, e.g. CI=true) it fails them, since
 * CI installs and builds everything.
 * @param {{camera?: boolean}} [options] camera: false for tests that feed no webcam video, so
 *     need neither ffmpeg nor the face photos
 * @returns {Promise<string | null>}
 */
export async function findMissing({ camera = true } = {}) {
  const missing = [];
  if (!existsSync(chromiumPath)) missing.push(`${chromiumPath} (apt-get install chromium)`);
  if (camera && spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) {
    missing.push('ffmpeg (apt-get install ffmpeg)');
  }
  if (camera && !existsSync(path.join(dataDir, 'lfw'))) {
    missing.push(`${path.join(dataDir, 'lfw')} (face photos)`);
  }
  for (const file of ['faceunlock_core.mjs', 'faceunlock_core.wasm']) {
    const p = path.join(repoRoot, 'web', 'dist', file);
    if (!existsSync(p)) missing.push(`${p} (bash scripts/build.sh)`);
  }
  if (!existsSync(path.join(repoRoot, 'web', 'index.js'))) missing.push('web/index.js (the library)');
  try {
    await import('playwright-core');
  } catch {
    missing.push('playwright-core (bash scripts/setup.sh)');
  }
  return missing.length ? 'missing ' + missing.join(', ') : null;
}

/** @returns {string | false} a skip reason, or false; throws in CI */
export function skipOrFail(missing) {
  if (!missing) return false;
  if (process.env.CI && !['0', 'false'].includes(process.env.CI)) {
    throw new Error(`CI must be able to run the browser tests: ${missing}`);
  }
  console.log(`skipping browser tests: ${missing}`);
  return missing;
}

/**
 * A fake-webcam video of one LFW photo. Chromium's fake device plays the file at its own size
 * and loops it, so the 250x250 photo is scaled to a 480-pixel square and padded to 640x480: the
 * face then spans about 180-220 px, the size the quality checks expect at arm's length.
 * @param {string} photo path relative to ../shared/data/lfw
 * @param {string} outDir
 * @returns {string} the .y4m path
 */
export function makeY4m(photo, outDir) {
  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, path.basename(photo).replace(/\.[^.]+$/, '') + '.y4m');
  const args = [
    '-loglevel', 'error', '-y',
    '-loop', '1', '-i', path.join(dataDir, 'lfw', photo),
    '-vf', 'scale=480:480:flags=bicubic,pad=640:480:80:0:color=0x303030',
    '-t', '1', '-r', '10', '-pix_fmt', 'yuv420p', out,
  ];
  const run = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ffmpeg failed for ${photo}: ${run.stderr}`);
  return out;
}

/**
 * Starts Chromium on the persistent profile `userDataDir` with `y4m` as the camera. The profile
 * keeps IndexedDB between launches, so relaunching is how "someone else steps in front of the
 * camera" while the enrolled users stay.
 * @param {string} userDataDir
 * @param {string | null} y4m the fake camera's video (one camera); null: no camera, unless
 *     options.cameras asks for that many of Chromium's test-pattern cameras
 * @param {{viewport?: {width: number, height: number}, permission?: 'granted' | 'denied',
 *   cameras?: number}} [options] permission 'denied' answers the camera prompt with "block"
 */
export async function launch(userDataDir, y4m, options = {}) {
  const { chromium } = await import('playwright-core');
  const args = [...CHROMIUM_FLAGS];
  // Without the fake prompt Playwright dismisses the permission request: a refused camera.
  if (options.permission !== 'denied') args.push('--use-fake-ui-for-media-stream');
  if (y4m) {
    args.push('--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`);
  } else if (options.cameras) {
    args.push(`--use-fake-device-for-media-stream=device-count=${options.cameras}`);
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: options.viewport ?? { width: 1280, height: 860 },
    args,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  return { context, page, problems };
}

/**
 * Serves the repository on a free port of 127.0.0.1 (rather than localhost: both are secure
 * contexts, and the IP skips an IPv6 attempt) and gives the demo's address.
 * @returns {Promise<{server: import('node:http').Server, demoUrl: string}>}
 */
export async function serveDemo() {
  const { server, port } = await startServer({ root: repoRoot, port: 0 });
  return { server, demoUrl: `http://127.0.0.1:${port}/web/demo/` };
}
