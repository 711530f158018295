// The webcam demo: live face guidance, enrollment, unlock, users and security level, all on the
// public API of ../index.js (nothing here reaches into the library's internals).

const $ = (id) => document.getElementById(id);

const ui = {
  embedder: $('embedder'),
  level: $('level'),
  liveness: $('liveness'),
  keypoints: $('keypoints'),
  video: $('video'),
  overlay: $('overlay'),
  stageMessage: $('stage-message'),
  guidance: $('guidance'),
  metrics: $('metrics'),
  mSize: $('m-size'),
  mLight: $('m-light'),
  mSharp: $('m-sharp'),
  mTime: $('m-time'),
  unlock: $('unlock'),
  result: $('result'),
  resultTitle: $('result-title'),
  resultDetail: $('result-detail'),
  enrollForm: $('enroll-form'),
  name: $('name'),
  enroll: $('enroll'),
  progress: $('progress'),
  progressFill: $('progress-fill'),
  progressText: $('progress-text'),
  load: $('load'),
  loadText: $('load-text'),
  loadProgress: $('load-progress'),
  cameraPick: $('camera-pick'),
  camera: $('camera'),
  users: $('users'),
  usersEmpty: $('users-empty'),
  status: $('status'),
};

const LEVEL_KEY = 'faceunlock-demo.securityLevel';
// index.html's preload hints read EMBEDDER_KEY and LIVENESS_KEY too.
const EMBEDDER_KEY = 'faceunlock-demo.embedder';
// Each embedder keeps its users in a database of its own: their templates cannot match each
// other, and switching back finds the users enrolled before.
const EMBEDDER_DATABASES = { accurate: 'faceunlock', fast: 'faceunlock-fast' };
const CAMERA_KEY = 'faceunlock-demo.camera';
const LIVENESS_KEY = 'faceunlock-demo.liveness';
// What each keypoint path is called on screen, and what to do with a user enrolled on the other.
const KEYPOINT_PATHS = {
  'landmarks-68': { name: '68-point landmarks', liveness: 'on' },
  detector: { name: "the detector's keypoints", liveness: 'off' },
};
// By false-accept rate; the old names are the library's aliases, kept for saved choices.
const LEVELS = ['1e-3', '1e-4', '2e-5', 'balanced', 'strict', 'convenience'];
const ENROLL_FRAMES = 5;
const UNLOCK_TIMEOUT_MS = 5000;
// With liveness: matching, then two head turns of up to 4 s each.
const LIVENESS_TIMEOUT_MS = 12000;
// Analysis costs a detector pass; on a slow machine doing it every animation frame would starve
// the page, so the loop waits at least this long, or twice the last analysis, between frames.
const MIN_ANALYZE_INTERVAL_MS = 100;

let fu = null;
let cameraReady = false;
let busy = false; // enroll or unlock owns the camera; the live loop stands aside
let analyzing = false;
let lastAnalyzeAt = 0;
let analyzeInterval = MIN_ANALYZE_INTERVAL_MS;

// ---------------------------------------------------------------- status line

function setStatus(text, kind = 'info') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

function errorText(err) {
  return err && err.message ? err.message : String(err);
}

// ---------------------------------------------------------------- names and numbers

function formatScore(score) {
  return typeof score === 'number' && Number.isFinite(score) ? score.toFixed(3) : '–';
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

// The library's unlock reasons (index.d.ts UnlockReason), in words a user can act on. Unknown
// reasons are shown as they come, so a new one is never hidden.
const REASONS = {
  'not-enrolled': 'Nobody is enrolled yet: enroll first.',
  'no-face': 'No face was seen in front of the camera.',
  timeout: 'The face did not match anyone enrolled.',
  'liveness-failed': 'The liveness check failed: turn your head as asked (a photo cannot).',
  out_of_frame: 'The face was never fully in the frame.',
  too_small: 'The face was too far away: come closer.',
  too_dark: 'It was too dark: add some light.',
  too_bright: 'It was too bright: less direct light.',
  rolled: 'The head was tilted: hold it straight.',
  turned: 'The face was turned away: face the camera.',
  blurry: 'The picture was blurred: hold still.',
};

function reasonText(result) {
  const reason = result && result.reason;
  if (reason && REASONS[reason]) return REASONS[reason];
  if (result && result.hint) return capitalise(result.hint) + '.';
  return reason ? capitalise(String(reason).replace(/[_-]/g, ' ')) + '.' : 'Not recognised.';
}

// "score 0.951, needs 0.912": the threshold makes the number meaningful to someone trying levels.
function scoreText(score) {
  const threshold = fu && typeof fu.threshold === 'number' ? `, needs ${formatScore(fu.threshold)}` : '';
  return `score ${formatScore(score)}${threshold}`;
}

// ---------------------------------------------------------------- drawing

function fitOverlay() {
  const w = ui.video.videoWidth;
  const h = ui.video.videoHeight;
  // The canvas works in camera pixels, the unit of every box and keypoint the library returns;
  // CSS scales it over the video exactly as it scales the video.
  if (w && h && (ui.overlay.width !== w || ui.overlay.height !== h)) {
    ui.overlay.width = w;
    ui.overlay.height = h;
  }
}

function drawFaces(faces, chosen, quality) {
  fitOverlay();
  const ctx = ui.overlay.getContext('2d');
  ctx.clearRect(0, 0, ui.overlay.width, ui.overlay.height);
  if (!Array.isArray(faces)) return;
  // Lines scale with the frame so they look the same on a 320 or a 1280 pixel camera.
  const unit = Math.max(1.5, ui.overlay.width / 320);
  faces.forEach((face, i) => {
    if (!face || !Array.isArray(face.box)) return;
    const isChosen = i === chosen;
    const good = isChosen && quality && quality.ok;
    const colour = !isChosen ? 'rgba(255,255,255,0.55)' : good ? '#2ee59d' : '#ffc53d';
    const [x, y, w, h] = face.box;
    ctx.lineWidth = isChosen ? unit * 1.5 : unit;
    ctx.strokeStyle = colour;
    roundedRect(ctx, x, y, w, h, Math.min(w, h) * 0.12);
    ctx.stroke();
    ctx.fillStyle = colour;
    for (const point of face.keypoints ?? []) {
      if (!Array.isArray(point)) continue;
      ctx.beginPath();
      ctx.arc(point[0], point[1], unit * 1.6, 0, Math.PI * 2);
      ctx.fill();
    }
  });
}

function roundedRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

// ---------------------------------------------------------------- guidance

function showGuidance(faceCount, quality, hint) {
  let state;
  let text;
  if (!faceCount) {
    state = 'none';
    text = capitalise(hint || 'look at the camera');
  } else if (quality && !quality.ok) {
    state = 'issue';
    text = capitalise(quality.hint || hint || 'adjust your position');
  } else {
    state = 'ok';
    // During enrollment the library's hint ("hold still", "done") says what happens next.
    text = hint && hint !== 'done' ? capitalise(hint) : 'Face looks good';
  }
  ui.guidance.dataset.state = state;
  ui.guidance.textContent = text;
}

function showMetrics(quality, ms) {
  if (!quality) return;
  ui.metrics.hidden = false;
  const num = (v, digits = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');
  ui.mSize.textContent = quality.faceSize ? `${num(quality.faceSize)} px` : '–';
  ui.mLight.textContent = num(quality.brightness);
  ui.mSharp.textContent = num(quality.sharpness);
  // Frames reported by enroll/unlock carry no timing; keep the last live figure instead of a dash.
  if (typeof ms === 'number') ui.mTime.textContent = `${ms.toFixed(0)} ms`;
}

// One analysis result (from fu.analyze, or a frame reported during enroll/unlock) to the screen.
function render(analysis, ms) {
  if (!analysis) return;
  const faces = analysis.faces ?? (analysis.face ? [analysis.face] : []);
  const chosen = analysis.chosen ?? (analysis.face ? 0 : -1);
  drawFaces(faces, chosen, analysis.quality);
  showGuidance(faces.length, analysis.quality, analysis.hint);
  showMetrics(analysis.quality, ms);
}

// ---------------------------------------------------------------- live loop

function liveLoop(now) {
  requestAnimationFrame(liveLoop);
  if (!fu || !cameraReady || busy || analyzing) return;
  if (now - lastAnalyzeAt < analyzeInterval) return;
  if (ui.video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
  analyzing = true;
  lastAnalyzeAt = now;
  const started = performance.now();
  fu.analyze(ui.video)
    .then((analysis) => {
      const ms = performance.now() - started;
      analyzeInterval = Math.max(MIN_ANALYZE_INTERVAL_MS, 2 * ms);
      if (!busy) render(analysis, ms);
    })
    .catch((err) => {
      // A failure that repeats every frame would hog the page: retry once a second until it clears.
      analyzeInterval = 1000;
      setStatus(`Analysis failed: ${errorText(err)}`, 'error');
    })
    .finally(() => {
      analyzing = false;
    });
}

// ---------------------------------------------------------------- controls

function setBusy(value) {
  busy = value;
  const ready = Boolean(fu && cameraReady);
  ui.unlock.disabled = value || !ready;
  ui.enroll.disabled = value || !ready;
  ui.name.disabled = value;
  ui.camera.disabled = value;
  for (const button of ui.users.querySelectorAll('button')) button.disabled = value;
  document.body.dataset.busy = String(value);
}

function showResult(state, title, detail) {
  ui.result.hidden = false;
  ui.result.dataset.state = state;
  ui.resultTitle.textContent = title;
  ui.resultDetail.textContent = detail ?? '';
}

// Progress of one unlock attempt from the frame reports: the multi-frame decision needs several
// agreeing frames, so "2 of 3" tells the user to keep still a moment longer.
function unlockProgress(frame) {
  render(frame);
  const fused = frame && frame.fused;
  const challenge = frame && frame.challenge;
  if (challenge) {
    // The library's prompt ("turn your head to the left"), large, with the progress under it.
    showResult('busy', capitalise(frame.hint), `Liveness check: ${challenge.turnsDone} of ` +
        `${challenge.turnsTotal} head turns done`);
    ui.result.dataset.prompt = challenge.turn;
  } else if (fused && fused.frames > 0 && fused.required) {
    showResult('busy', 'Looking…', `Matching frames: ${fused.frames} of ${fused.required}`);
  } else if (frame && frame.hint) {
    showResult('busy', 'Looking…', capitalise(frame.hint));
  }
}

async function onUnlock() {
  if (busy) return;
  setBusy(true);
  showResult('busy', 'Looking…', 'Hold still and look at the camera.');
  setStatus('Unlocking…');
  try {
    const timeoutMs = ui.liveness.checked ? LIVENESS_TIMEOUT_MS : UNLOCK_TIMEOUT_MS;
    const result = await fu.unlock(ui.video, { timeoutMs, onFrame: unlockProgress });
    delete ui.result.dataset.prompt;
    if (result.unlocked) {
      const name = result.user;
      showResult('unlocked', `Unlocked: welcome, ${name}`, `Match ${scoreText(result.score)}`);
      setStatus(`Unlocked as ${name} (${scoreText(result.score)}).`);
    } else {
      const best = typeof result.score === 'number' ? ` Best ${scoreText(result.score)}.` : '';
      showResult('locked', 'Not unlocked', reasonText(result) + best);
      setStatus(`Not unlocked (${result.reason}).`);
    }
    ui.result.dataset.user = result.unlocked ? result.user : '';
    ui.result.dataset.reason = result.reason ?? '';
  } catch (err) {
    showResult('locked', 'Unlock failed', errorText(err));
    setStatus(`Unlock failed: ${errorText(err)}`, 'error');
  } finally {
    setBusy(false);
  }
}

function showProgress(collected, needed) {
  const total = needed || ENROLL_FRAMES;
  ui.progress.hidden = false;
  ui.progressFill.style.width = `${Math.min(100, (100 * collected) / total)}%`;
  ui.progressText.textContent = `${collected} / ${total}`;
}

async function onEnroll(event) {
  event.preventDefault();
  if (busy) return;
  const name = ui.name.value.trim();
  if (!name) {
    setStatus('Type a name to enroll.', 'warn');
    ui.name.focus();
    return;
  }
  setBusy(true);
  showProgress(0, ENROLL_FRAMES);
  setStatus(`Enrolling ${name}: look at the camera and move your head slightly…`);
  try {
    const result = await fu.enroll(name, ui.video, {
      frames: ENROLL_FRAMES,
      onProgress: ({ collected, needed, hint, quality, face }) => {
        showProgress(collected, needed);
        render({ faces: face ? [face] : [], chosen: face ? 0 : -1, quality, hint });
      },
    });
    showProgress(ENROLL_FRAMES, ENROLL_FRAMES);
    setStatus(`Enrolled ${result.user} (${result.templates} templates).`);
    ui.name.value = '';
  } catch (err) {
    setStatus(`Enrollment failed: ${errorText(err)}`, 'error');
  } finally {
    setBusy(false);
    await refreshUsers();
  }
}

function onEmbedderChange() {
  localStorage.setItem(EMBEDDER_KEY, ui.embedder.value);
  setStatus('Loading the other model…');
  location.reload();
}

async function onLevelChange() {
  if (!fu) return;
  const level = ui.level.value;
  try {
    await fu.setSecurityLevel(level);
    localStorage.setItem(LEVEL_KEY, level);
    setStatus(`Security level: false accepts at most ${fu.securityLevel} (threshold ${formatScore(fu.threshold)}).`);
  } catch (err) {
    setStatus(`Cannot set the security level: ${errorText(err)}`, 'error');
  }
}

// The check and the keypoints go together: on, the landmark model aligns every face, off it is
// not loaded. Templates only match faces aligned as they were, so switching reloads the page;
// users enrolled the other way stay stored and are listed with what to do.
function onLivenessChange() {
  const on = ui.liveness.checked;
  localStorage.setItem(LIVENESS_KEY, on ? 'on' : 'off');
  setStatus(on ? 'Turning the liveness check on: loading the landmark model…' :
    'Turning the liveness check off…');
  location.reload();
}

// Which keypoint path runs, next to the checkbox and in the status line.
function livenessText() {
  const path = KEYPOINT_PATHS[fu.keypoints]?.name ?? fu.keypoints;
  return ui.liveness.checked ?
    `Liveness check on (${path}): unlocking asks you to turn your head.` :
    `Liveness check off (${path}): a photo of you would unlock.`;
}

// ---------------------------------------------------------------- users

// Records the store could not read at start-up (a tampered or corrupted record fails AES-GCM
// authentication); the library skips them, so without this list they would silently vanish.
function storeErrors() {
  return fu ? fu.loadErrors : [];
}

function failureUser(failure) {
  return failure.userId ?? '';
}

// A user enrolled with the liveness check the other way: the library refused their templates
// (aligned on other keypoints) and left them stored.
function otherPath(failure) {
  if (failure.code !== 'keypoints-mismatch') return null;
  return KEYPOINT_PATHS[failure.keypoints?.stored] ?? null;
}

function userRow({ id, name, detail, error, title }) {
  const li = document.createElement('li');
  li.dataset.user = name;
  li.dataset.id = id;
  if (error) li.dataset.error = 'true';
  const avatar = document.createElement('span');
  avatar.className = 'avatar';
  avatar.setAttribute('aria-hidden', 'true');
  // Spread by code point so a name starting with an emoji does not show half a surrogate pair.
  avatar.textContent = error ? '!' : ([...name.trim()][0] ?? '?').toUpperCase();
  const who = document.createElement('span');
  who.className = 'who';
  const strong = document.createElement('strong');
  strong.textContent = name;
  const small = document.createElement('small');
  small.textContent = detail;
  if (title) li.title = title;
  who.append(strong, small);
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${name}`);
  remove.disabled = busy;
  remove.addEventListener('click', () => onRemove(id, name));
  li.append(avatar, who, remove);
  return li;
}

function describeUser(user) {
  const parts = [`${user.templates} template${user.templates === 1 ? '' : 's'}`];
  // Users only the engine knows (none in this demo) have no date.
  if (user.createdAt != null) parts.push(`since ${new Date(user.createdAt).toLocaleDateString()}`);
  return parts.join(' · ');
}

async function refreshUsers() {
  if (!fu) return;
  let users = [];
  try {
    users = (await fu.users()) ?? [];
  } catch (err) {
    setStatus(`Cannot list users: ${errorText(err)}`, 'error');
  }
  const rows = users.map((user) =>
    userRow({ id: user.id, name: user.id, detail: describeUser(user) }),
  );
  const listed = new Set(rows.map((row) => row.dataset.id));
  for (const failure of storeErrors()) {
    const name = failureUser(failure) || 'unknown record';
    if (listed.has(name)) continue;
    const other = otherPath(failure);
    // The short line fits the list; the library's full message stays one hover away.
    rows.push(userRow({
      id: name,
      name,
      detail: other ? `Enrolled with the liveness check ${other.liveness}: turn it ` +
        `${other.liveness} to unlock as them, or remove and enroll again` :
        'Damaged record, ignored: remove it and enroll again',
      error: true,
      title: errorText(failure),
    }));
  }
  ui.users.replaceChildren(...rows);
  ui.usersEmpty.hidden = rows.length > 0;
}

async function onRemove(id, name) {
  if (busy) return;
  setBusy(true);
  try {
    await fu.removeUser(id);
    setStatus(`Removed ${name}.`);
  } catch (err) {
    setStatus(`Cannot remove ${name}: ${errorText(err)}`, 'error');
  } finally {
    setBusy(false);
    await refreshUsers();
  }
}

function reportStoreErrors() {
  const errors = storeErrors();
  const damaged = errors.filter((e) => !otherPath(e));
  const other = errors.filter((e) => otherPath(e));
  const names = (list) => list.map((e) => failureUser(e) || 'an unknown user').join(', ');
  if (damaged.length) {
    setStatus(
      `Stored data for ${names(damaged)} could not be read (it was altered or corrupted) and is ` +
        'ignored. Remove it and enroll again.',
      'error',
    );
    return true;
  }
  if (other.length) {
    setStatus(`${livenessText()} ${names(other)} enrolled with the liveness check ` +
      `${otherPath(other[0]).liveness}: turn it back to unlock as them (they stay stored).`, 'warn');
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- start-up

// getUserMedia's failures, in words that say what to do. Chromium reports a camera blocked by
// the operating system as NotAllowedError too, so the advice names both places.
const CAMERA_ERRORS = {
  NotAllowedError: 'Camera access was refused. Allow the camera for this page (the camera icon ' +
    'in the address bar, or the site settings), check that the system lets the browser use it, ' +
    'then reload.',
  SecurityError: 'Camera access is blocked on this page by the browser or its policy.',
  NotFoundError: 'No camera was found. Connect one (or enable the built-in one) and reload.',
  OverconstrainedError: 'The chosen camera is no longer available. Pick another one and reload.',
  NotReadableError: 'The camera is in use by another application, or the system failed to ' +
    'start it. Close the other application and reload.',
  AbortError: 'The camera could not be started. Reload to try again.',
};

function cameraError(err) {
  return new Error(CAMERA_ERRORS[err && err.name] ?? `The camera could not be started: ${errorText(err)}`);
}

async function openStream(deviceId) {
  const video = { width: { ideal: 640 }, height: { ideal: 480 } };
  if (deviceId) video.deviceId = { exact: deviceId };
  else video.facingMode = 'user';
  return navigator.mediaDevices.getUserMedia({ video, audio: false });
}

async function startCamera() {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new Error(
      'The camera needs a secure page: open the demo via http://localhost (bash scripts/demo.sh) or HTTPS.',
    );
  }
  let stream;
  const saved = localStorage.getItem(CAMERA_KEY);
  try {
    stream = await openStream(saved);
  } catch (err) {
    // The camera picked last time may be unplugged: fall back to any camera before giving up.
    if (!saved || (err.name !== 'OverconstrainedError' && err.name !== 'NotFoundError')) {
      throw cameraError(err);
    }
    localStorage.removeItem(CAMERA_KEY);
    try {
      stream = await openStream(null);
    } catch (again) {
      throw cameraError(again);
    }
  }
  await showStream(stream);
  // Without the list the one open camera still works; the picker just stays hidden.
  await listCameras().catch(() => {});
}

async function showStream(stream) {
  const old = ui.video.srcObject;
  if (old && old !== stream) for (const track of old.getTracks()) track.stop();
  ui.video.srcObject = stream;
  await ui.video.play();
  ui.stageMessage.hidden = true;
  fitOverlay();
  cameraReady = true;
}

// The picker appears only with two cameras or more (labels are readable once permission is given).
async function listCameras() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const cameras = devices.filter((d) => d.kind === 'videoinput');
  const current = ui.video.srcObject?.getVideoTracks()[0]?.getSettings().deviceId;
  ui.camera.replaceChildren(...cameras.map((d, i) => {
    const option = document.createElement('option');
    option.value = d.deviceId;
    option.textContent = d.label || `Camera ${i + 1}`;
    option.selected = d.deviceId === current;
    return option;
  }));
  ui.cameraPick.hidden = cameras.length < 2;
}

async function onCameraChange() {
  const deviceId = ui.camera.value;
  if (busy || !deviceId) return;
  setBusy(true);
  cameraReady = false;
  try {
    await showStream(await openStream(deviceId));
    localStorage.setItem(CAMERA_KEY, deviceId);
    setStatus(`Camera: ${ui.camera.selectedOptions[0]?.textContent ?? deviceId}.`);
  } catch (err) {
    setStatus(cameraError(err).message, 'error');
    await listCameras().catch(() => {});
    cameraReady = Boolean(ui.video.srcObject);
  } finally {
    setBusy(false);
  }
}

function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1);
}

// The model download (about 4.5 MB, or 1.4 MB with the fast embedder): a bar with the bytes, so a slow connection is not a blank page.
function showLoad({ loaded, total }) {
  if (total) {
    ui.loadProgress.max = total;
    ui.loadProgress.value = loaded;
    ui.loadText.textContent = `Downloading the face models: ${megabytes(loaded)} of ${megabytes(total)} MB`;
  } else {
    ui.loadProgress.removeAttribute('value');
    ui.loadText.textContent = `Downloading the face models: ${megabytes(loaded)} MB`;
  }
}

async function startEngine() {
  let lib;
  try {
    lib = await import('../index.js');
  } catch (err) {
    throw new Error(`Cannot load the library (${errorText(err)}). Run bash scripts/build.sh first.`);
  }
  const { FaceUnlock, IndexedDBStore } = lib;
  const savedEmbedder = localStorage.getItem(EMBEDDER_KEY);
  const embedder = Object.hasOwn(EMBEDDER_DATABASES, savedEmbedder ?? '') ? savedEmbedder : 'accurate';
  ui.embedder.value = embedder;
  const store = new IndexedDBStore({ name: EMBEDDER_DATABASES[embedder] });
  const saved = localStorage.getItem(LEVEL_KEY);
  const level = LEVELS.includes(saved) ? saved : '1e-3';
  // On unless the user turned it off here: the demo shows what the library can stop.
  ui.liveness.checked = localStorage.getItem(LIVENESS_KEY) !== 'off';
  // ?threads=N asks for the multi-threaded core (serve with `node scripts/serve.mjs --isolate`).
  const threads = Number(new URLSearchParams(location.search).get('threads') ?? 1);
  // With liveness on the library loads the 68-point landmark model too: they align faces and
  // feed the head-turn check (src/unlock/README.md), so the keypoint path follows the checkbox.
  try {
    fu = await FaceUnlock.create({ store, embedder, securityLevel: level,
      onProgress: showLoad, liveness: ui.liveness.checked, threads });
  } finally {
    ui.load.hidden = true;
  }
  ui.keypoints.textContent = `(${KEYPOINT_PATHS[fu.keypoints]?.name ?? fu.keypoints})`;
  document.body.dataset.keypoints = fu.keypoints;
  const { threads: running, core, reason } = fu.threading;
  console.info(`faceunlock: ${core} on ${running} thread(s)${reason ? ` (${reason})` : ''}`);
  ui.level.value = fu.securityLevel;
}

async function main() {
  ui.enrollForm.addEventListener('submit', onEnroll);
  ui.unlock.addEventListener('click', onUnlock);
  ui.level.addEventListener('change', onLevelChange);
  ui.liveness.addEventListener('change', onLivenessChange);
  ui.embedder.addEventListener('change', onEmbedderChange);
  ui.camera.addEventListener('change', onCameraChange);

  // Both start together: the camera prompt can be answered while the models load.
  const [engine, camera] = await Promise.allSettled([startEngine(), startCamera()]);
  const problems = [];
  if (engine.status === 'rejected') problems.push(errorText(engine.reason));
  if (camera.status === 'rejected') {
    problems.push(errorText(camera.reason));
    ui.stageMessage.textContent = errorText(camera.reason);
  }
  setBusy(false);
  if (fu) await refreshUsers();
  if (problems.length) {
    setStatus(problems.join(' '), 'error');
  } else if (!reportStoreErrors()) {
    setStatus(`Ready. Enroll a face, then press Unlock. ${livenessText()}`,
        ui.liveness.checked ? 'info' : 'warn');
  }
  document.body.dataset.ready = String(problems.length === 0);
  requestAnimationFrame(liveLoop);
}

main().catch((err) => setStatus(`Start-up failed: ${errorText(err)}`, 'error'));
