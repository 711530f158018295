// The app a new user writes: import the package by name, nothing else. The bundler tests build
// this file with Vite and webpack (no configuration file) and load it unbundled through an
// import map; the test then calls window.faceunlockApp.run() from the browser.
import { FaceUnlock } from 'faceunlock';

/**
 * Enrolls the face in front of the camera, then unlocks with it.
 * @param {boolean} worker run the engine in a Web Worker
 */
async function run(worker) {
  const video = document.querySelector('video');
  if (!video.srcObject) {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
  }
  await video.play();
  const progress = [];
  const fu = await FaceUnlock.create({
    store: 'memory',
    worker,
    onProgress: (p) => progress.push(p),
  });
  try {
    const enrolled = await fu.enroll('alice', video, { frames: 3 });
    const result = await fu.unlock(video, { timeoutMs: 20000 });
    return { enrolled, result, progress };
  } finally {
    await fu.dispose();
  }
}

window.faceunlockApp = { run };
document.body.dataset.ready = 'true';
