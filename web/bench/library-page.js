/**
 * @file The page script of browser-bench.mjs --cold-runs --library: FaceUnlock.create with the
 * fast embedder (and with ?liveness the landmark model) from navigation, as an application's
 * first visit runs it. library.html loads it
 * as modules with hints; the harness also serves it bundled by esbuild (library-bundled.html).
 */
import { FaceUnlock } from '../index.js';

// A mark rather than a bare clock reading, so a trace (browser-bench.mjs --trace) shows it too.
const scriptStart = performance.mark('scriptStart').startTime;
// ?liveness: created with liveness on, as the demo runs it (the landmark model loads too).
const liveness = new URLSearchParams(location.search).has('liveness');
window.libraryReady = FaceUnlock.create({ store: 'memory', embedder: 'fast', liveness }).then((fu) => {
  const ready = performance.mark('ready').startTime;
  window.faceunlock = fu;
  return {
    marks: { htmlReceived: performance.getEntriesByType('navigation')[0]?.responseEnd,
      scriptStart, ready },
  };
});
