// Type definitions for faceunlock (hand-written; the JavaScript in web/lib/ is the implementation).
//
// Everything runs on the device: frames are read into WebAssembly memory, and only face
// templates (embeddings, never images) are stored, encrypted, in the chosen store.

/** Anything the library can read one RGBA frame from. */
export type FrameSource =
  | HTMLVideoElement
  | HTMLCanvasElement
  | HTMLImageElement
  | ImageBitmap
  | OffscreenCanvas
  | VideoFrame
  | ImageData
  | RawFrame;

/** Plain RGBA pixels (row-major, 4 bytes per pixel), e.g. from a decoder in Node. */
export interface RawFrame {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
}

/** Bytes, or where to fetch them. */
export type BinaryInput = string | URL | ArrayBuffer | Uint8Array;

/**
 * Named by the false-accept rate the model was calibrated for: '1e-3' (default), '1e-4', '2e-5'
 * (Android's bar for its weakest biometric class); stricter means more retries for the real
 * user. Aliases: 'balanced' = '1e-3', 'strict' = '1e-4', and 'convenience' = '1e-3' (it used to
 * be the model's own threshold, which let about one stranger in 76 through). The current level
 * (FaceUnlock.securityLevel) is always reported by its rate.
 */
export type SecurityLevel = '1e-3' | '1e-4' | '2e-5' | 'balanced' | 'strict' | 'convenience';

/** FaceUnlock.threading. */
export interface Threading {
  /** The `threads` option (1 when not given). */
  requested: number;
  /** Threads each network runs on. */
  threads: number;
  /** The WebAssembly core that runs: single-threaded or multi-threaded. */
  core: 'faceunlock_core' | 'faceunlock_core_mt';
  /** Why fewer threads run than were requested, or null. */
  reason: string | null;
}

export interface FaceUnlockOptions {
  /**
   * Where templates live. 'indexeddb' (default): persistent, encrypted. 'memory': gone on
   * reload. Or any object implementing TemplateStore.
   */
  store?: 'indexeddb' | 'memory' | TemplateStore;
  /**
   * The two model files (.fum, or .fum.gz: gzip-compressed files are unpacked with the
   * platform's DecompressionStream). Default: the package's models/blazeface-short.fum.gz and
   * models/dlib-resnet-int8.fum.gz, located with `new URL(..., import.meta.url)` so bundlers copy
   * them. URLs are fetched (kept by the browser's HTTP cache like any download); in Node, file:
   * URLs (the defaults included) are read from disk. Each file's header and CRC-32 are checked
   * before use: a damaged or cut download rejects with code 'load-failed'.
   */
  /**
   * `landmarks`: the 68-point landmark model (the package's models/face-landmarks-68.fum.gz,
   * 366,989 bytes, 302,464 gzipped, MIT, from face-api.js). With it, its eye, nose and mouth points replace the
   * detector's for aligning faces (enrollment and unlock alike) and for the liveness challenge,
   * which then uses bounds calibrated on those points: with them the head-turn geometry alone
   * refused every photo attack measured, and synthesised genuine turns pass far more often
   * (src/unlock/README.md). Default: the shipped file when `liveness` is on at create(), none
   * otherwise; `null` never loads one (the detector's keypoints, one download less). Templates
   * enrolled with it do not match without it and the other way round: stored users and backups
   * record which (`FaceUnlock.keypoints`), and those of the other are refused with code
   * 'keypoints-mismatch' and left stored.
   */
  models?: { detector?: BinaryInput; embedder?: BinaryInput; landmarks?: BinaryInput | null };
  /**
   * Which shipped embedder to load; give this or models.embedder (your own file), not both.
   * 'accurate' (default): dlib's ResNet in int8, 5.6 MB (its embeddings are the float
   * network's: templates enrolled with models/dlib-resnet.fum stay valid). 'fast':
   * dlib-resnet-pruned in int8, 1.18 MB: dlib's ResNet narrowed to a fifth of its multiply-adds
   * by `faceunlock prune` and distilled back towards it, faster and less accurate
   * (models/README.md has the figures of both; templates of the MobileFaceNet student that
   * 'fast' loaded before are refused with 'embedder-mismatch'). Templates enrolled with one
   * embedder do not match under the other: each records its embedder, and stored users of the
   * other one are refused with code 'embedder-mismatch' (in loadErrors, left in the store) until
   * the right embedder loads them or the users enroll again.
   */
  embedder?: 'accurate' | 'fast';
  /**
   * Called as the model files download (together, about 6.1 MB with the defaults, 0.37 MB more
   * with the landmark model), for a progress bar. Bytes passed in directly count as loaded at once.
   */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * The WebAssembly binary. Default: web/dist/faceunlock_core.wasm of the package (in Node read
   * from disk). `factory` (a createFaceUnlockCore function of a custom build) only works
   * without a worker; with it, `url` defaults to what that build's loader finds itself.
   * `mtUrl`: where the multi-threaded core's loader (faceunlock_core_mt.mjs, with its .wasm and
   * .worker.js beside it) is served; see `threads`. Default web/dist/faceunlock_core_mt.mjs
   * beside the library (shipped in the npm package; in a checkout after scripts/build.sh).
   */
  wasm?: {
    url?: string | URL;
    bytes?: ArrayBuffer | Uint8Array;
    factory?: (moduleOptions: object) => Promise<unknown>;
    mtUrl?: string | URL;
  };
  /**
   * Threads each network runs on, 1 (default) to 64. Above 1 the multi-threaded core loads when
   * the page is cross-origin isolated (served with `Cross-Origin-Opener-Policy: same-origin` and
   * `Cross-Origin-Embedder-Policy: require-corp`) and it runs at most 4; otherwise the
   * single-threaded core runs and `FaceUnlock.threading.reason` says why. Results are the same
   * on any number of threads.
   */
  threads?: number;
  /** Default '1e-3'. */
  securityLevel?: SecurityLevel;
  /**
   * The head-turn liveness challenge (off by default; the demo turns it on): after a face
   * matches, unlock() asks the user to turn the head left and right in a random order and
   * unlocks only when the keypoints show a real head turning and every frame is still that user.
   * `true` for the defaults, or LivenessOptions. See LivenessOptions for what it does not stop.
   * On at create(), it loads the landmark model too (see `models.landmarks`); turned on later
   * with setLiveness() it judges the keypoints the instance was created with.
   */
  liveness?: boolean | LivenessOptions;
  /**
   * Run the engine in a Web Worker (web/lib/worker.js) so detection never blocks the page.
   * Bundlers (Vite, webpack 5) pick the worker up with their default configuration. Not in Node.
   * Default false.
   */
  worker?: boolean;
  /** Frames whose long side exceeds this are scaled down before detection. Default 640. */
  maxFrameSide?: number;
  /** Multi-frame decision: unlock when `required` of the last `window` matched frames agree. Default 3 of 5. */
  fusion?: { required: number; window: number };
  /**
   * Called for each stored user that cannot be loaded (tampered, damaged, wrong key, or rejected
   * by the engine). That user is skipped; the others load. Also listed in `loadErrors`.
   */
  onStoreError?: (error: FaceUnlockError) => void;
  /**
   * Refuse unlock() for a while after repeated failures, so someone holding the device cannot
   * show photo after photo. Default `{ maxAttempts: 5, lockMs: 30000, maxLockMs: 900000 }`;
   * `false` turns it off. See LockoutOptions.
   */
  lockout?: LockoutOptions | false;
}

/**
 * An unlock attempt counts as failed once a face in it was compared with the enrolled users and
 * rejected (frames without a face or failing the quality checks do not count). It counts at that
 * moment, so aborting the attempt or reloading the page does not undo it; if the same attempt
 * then unlocks, it is forgiven. After `maxAttempts` failures unlock() is refused for `lockMs`;
 * after that another `maxAttempts` failures lock again for twice as long, and so on up to
 * `maxLockMs`. A successful unlock forgets all failures and locks.
 *
 * The state is kept in the store (TemplateStore.getMeta/putMeta), so reloading the page does not
 * reset it; stores without those methods keep it in memory only. It guards against the person
 * at the camera, not against code running in the page (which can clear site data), and it uses
 * the device clock, so setting the clock forward ends a lock early.
 */
/** Progress of the model downloads in FaceUnlock.create(). */
export interface DownloadProgress {
  /** Bytes received so far, over all model files. */
  loaded: number;
  /**
   * Bytes expected in all, or null while a server has not sent a Content-Length (or sends the
   * files compressed). The last report has `loaded === total`.
   */
  total: number | null;
}

/**
 * Stops a flat photo or screen of the user, however it is held (still, moved, rotated, zoomed,
 * tilted), and a face swapped in mid-challenge. It does NOT stop a 3-D mask, a replayed video of
 * the user turning their head, photos of the user turned each way shown one after the other, or
 * code running in the page (which can feed the engine any frames it likes).
 */
export interface LivenessOptions {
  /** Default true when an object is given. */
  enabled?: boolean;
  /** Time allowed for each turn, milliseconds (500..60000). Default 4000. */
  turnMs?: number;
  /** Seed of the turn order (a whole number below 2^53). Default: random per FaceUnlock. */
  seed?: number;
  /** Tuning of the geometry (src/unlock/liveness_challenge.h explains each); rarely needed. */
  minLateral?: number;
  minParallax?: number;
  minScale?: number;
  maxScale?: number;
  minAspect?: number;
  minSqueeze?: number;
  /** Turns past this lateral that fail only aspect or squeeze hold the frames in a row (0: off). */
  maxJudgedLateral?: number;
  framesNeeded?: number;
  maxStartYaw?: number;
  identityMissesAllowed?: number;
}

export interface LockoutOptions {
  /** Failed attempts before each lock. Default 5. */
  maxAttempts?: number;
  /** The first lock, milliseconds. Default 30000. */
  lockMs?: number;
  /** Longest lock, milliseconds (>= lockMs). Default 900000 (15 minutes), or lockMs if longer. */
  maxLockMs?: number;
}

export interface LockoutState {
  /** Whether unlock() is refused now. */
  locked: boolean;
  /** Milliseconds until unlock() may be tried again; 0 when not locked. */
  retryAfterMs: number;
  /** Failed attempts since the last successful unlock. */
  failures: number;
}

/** [x, y, width, height] in source pixels. */
export type Box = [number, number, number, number];

export interface Face {
  box: Box;
  /** Detector confidence, 0..1. */
  score: number;
  /** Right eye, left eye, nose tip, mouth centre, right ear, left ear (the subject's sides), source pixels. */
  keypoints: Array<[number, number]>;
}

export type QualityIssue =
  | 'ok' | 'out_of_frame' | 'too_small' | 'too_dark' | 'too_bright' | 'rolled' | 'turned' | 'blurry';

export interface Quality {
  ok: boolean;
  issue: QualityIssue;
  /** Text for the user: "come closer", "more light", ...; '' when ok. */
  hint: string;
  /** Shorter side of the face box, source pixels. */
  faceSize: number;
  /** Degrees the eye line is tilted. */
  roll: number;
  /** -1..1, 0 when facing the camera. */
  yaw: number;
  sharpness: number;
  /** Mean grey level over the face, 0..255. */
  brightness: number;
}

export interface Analysis {
  /** Every face found, source pixels. */
  faces: Face[];
  /** Index of the most prominent face, -1 when none. */
  chosen: number;
  /** Of the chosen face; null without one. */
  quality: Quality | null;
  hint: string;
  /** Milliseconds per stage; null when the source had no frame yet. */
  timings: Record<string, number> | null;
}

export interface EnrollProgress {
  /** Good frames so far. */
  collected: number;
  needed: number;
  /** What to tell the user now: "look at the camera", "come closer", "hold still", "done", ... */
  hint: string;
  /** Whether this frame was kept as a template. */
  counted: boolean;
  /** 'no-face' or the quality issue of this frame. */
  issue: 'no-face' | QualityIssue;
  quality: Quality | null;
  face: Face | null;
}

export interface EnrollOptions {
  /** Good frames (templates) to collect, 1..32. Default 5. */
  frames?: number;
  /** Give up after this long (rejects with code 'timeout'). Default 30000. */
  timeoutMs?: number;
  /** Minimum time between kept frames, for variety. Default 200 for <video>, else 0. */
  intervalMs?: number;
  /** Drop the user's existing templates instead of adding to them. Default false (a user keeps at most 32, the oldest go first). */
  replace?: boolean;
  /** Called after every analysed frame. An exception thrown here aborts enroll(). */
  onProgress?: (progress: EnrollProgress) => void;
  signal?: AbortSignal;
}

export interface EnrollResult {
  user: string;
  /** Templates the user now has. */
  templates: number;
}

export interface UnlockFrame {
  face: Face | null;
  quality: Quality | null;
  /** Best-matching user of this frame (even when not accepted); null without an embedding. */
  match: { user: string | null; score: number | null; accepted: boolean; threshold: number } | null;
  /** The multi-frame decision so far (frames: how many agree, of `required`). */
  fused: { user: string | null; accepted: boolean; frames: number; required: number; window: number } | null;
  /** The liveness challenge once it runs: the turn asked for now and how many are done. */
  challenge: { turn: 'left' | 'right'; turnsDone: number; turnsTotal: number } | null;
  /** What to tell the user now, e.g. "turn your head to the left". */
  hint: string;
}

export interface UnlockOptions {
  /** Default 5000. */
  timeoutMs?: number;
  onFrame?: (frame: UnlockFrame) => void;
  signal?: AbortSignal;
}

/**
 * 'matched': unlocked. 'not-enrolled': no users. 'no-face': no face seen before the timeout.
 * A QualityIssue: faces were seen but none passed the quality checks (the last one's issue).
 * 'timeout': good faces were seen but none matched well enough (a failed attempt, see
 * LockoutOptions). 'locked-out': too many failed attempts; nothing was tried, see `retryAfterMs`.
 * 'liveness-failed': a face matched but the head-turn challenge failed (no turn in time, or a
 * different face appeared during it); a failed attempt too.
 */
export type UnlockReason =
  | 'matched' | 'not-enrolled' | 'no-face' | 'timeout' | 'locked-out' | 'liveness-failed'
  | Exclude<QualityIssue, 'ok'>;

export interface UnlockResult {
  unlocked: boolean;
  /** The user unlocked as; null when not unlocked. */
  user: string | null;
  /** Best cosine similarity seen in this attempt (-1..1); null when nothing was compared. */
  score: number | null;
  reason: UnlockReason;
  /** Text for the user. */
  hint: string;
  /** Only with reason 'locked-out': milliseconds until unlock() may be tried again. */
  retryAfterMs?: number;
}

export interface UserInfo {
  id: string;
  templates: number;
  /** Milliseconds since the epoch; null for users only known to the engine. */
  createdAt: number | null;
  updatedAt: number | null;
}

export declare class FaceUnlock {
  /** Loads the engine and models, opens the store, loads the stored users. */
  static create(options?: FaceUnlockOptions): Promise<FaceUnlock>;
  private constructor();

  /** Stored users that could not be loaded at create() (each error has `userId`); they are skipped. */
  readonly loadErrors: FaceUnlockError[];
  /** The current level by its false-accept rate: '1e-3', '1e-4' or '2e-5'. */
  readonly securityLevel: '1e-3' | '1e-4' | '2e-5' | 'custom';
  /** Cosine similarity a face must reach at the current level. */
  readonly threshold: number | undefined;
  /** The model's calibrated thresholds: { default, 'far_1e-3', 'far_1e-4', 'far_2e-5' }. */
  readonly thresholds: Record<string, number>;
  /**
   * The embedder this instance runs. Every stored user and backup records the identity of the
   * embedder that made its templates ("<model name>@<CRC-32 of the weights>"); those of another
   * are refused with code 'embedder-mismatch' (in `loadErrors` at create(), from importBackup).
   */
  readonly embedder: EmbedderInfo;
  /**
   * Where the keypoints that align faces and that the liveness challenge measures come from:
   * 'landmarks-68' when created with a landmark model, else 'detector'. Stored users and
   * backups record it (in EmbedderInfo.templates); those of the other are refused with code
   * 'keypoints-mismatch' (in `loadErrors` at create(), from importBackup), left stored.
   */
  readonly keypoints: KeypointSource;
  /** What runs the engine, after the `threads` option met the page. */
  readonly threading: Threading;

  /** One frame: faces, boxes, keypoints and quality. Does not affect enroll or unlock. */
  analyze(source: FrameSource): Promise<Analysis>;
  /**
   * Collects `frames` good frames of one face, adds them as `id`'s templates and stores the user.
   * Adds to an existing user's templates unless `replace`. Rejects with code 'timeout',
   * 'aborted', 'busy', 'quota-exceeded' or 'store'; on a store failure nothing changes.
   */
  enroll(id: string, source: FrameSource, options?: EnrollOptions): Promise<EnrollResult>;
  /**
   * Reads frames until several agree on one enrolled user (and, with `liveness`, the user has
   * turned the head as asked; `onFrame`'s `hint` carries the prompts), or the timeout. Never
   * rejects for "not recognised". While locked out (see LockoutOptions) it resolves at once with reason
   * 'locked-out' without reading a frame.
   */
  unlock(source: FrameSource, options?: UnlockOptions): Promise<UnlockResult>;
  /**
   * The lockout as of this instance's last unlock() (attempts in other tabs show up after its
   * next one). Always unlocked with 0 failures when `lockout: false`.
   */
  lockoutState(): LockoutState;
  users(): Promise<UserInfo[]>;
  /** Removes from the store and the engine (also a stored user that failed to load). */
  removeUser(id: string): Promise<boolean>;
  /**
   * Every user's templates. WITHOUT a passphrase the result is the plain gallery file
   * (docs/gallery-format.md): unencrypted biometric templates; protect it like a password file.
   * With one it is encrypted (PBKDF2-SHA-256, 600,000 iterations, AES-GCM-256).
   */
  exportBackup(options?: { passphrase?: string }): Promise<Uint8Array>;
  /**
   * Replaces every user with the backup's (all or nothing). Encrypted backups need the passphrase.
   * A backup of another embedder rejects with code 'embedder-mismatch', one enrolled on other
   * keypoints (see FaceUnlock.keypoints) with 'keypoints-mismatch'; either changes nothing.
   */
  importBackup(backup: Uint8Array | ArrayBuffer, options?: { passphrase?: string }): Promise<{ users: string[] }>;
  /** The liveness challenge on (true or LivenessOptions) or off, as the `liveness` option. Rejects with 'busy' during enroll/unlock. */
  setLiveness(option: boolean | LivenessOptions): Promise<void>;
  /** Rejects with 'invalid-argument' for an unknown level or one the model is not calibrated for, 'busy' during enroll/unlock. */
  setSecurityLevel(level: SecurityLevel): Promise<void>;
  /** Frees the engine (and worker) and closes the store. */
  dispose(): Promise<void>;
}

export type FaceUnlockErrorCode =
  | 'invalid-argument' | 'unsupported-source' | 'load-failed' | 'engine' | 'busy' | 'timeout'
  | 'aborted' | 'quota-exceeded' | 'store' | 'corrupt-record' | 'embedder-mismatch'
  | 'keypoints-mismatch' | 'backup' | 'disposed' | 'worker';

/** Where the keypoints come from: the face detector's own, or the 68-point landmark model's. */
export type KeypointSource = 'detector' | 'landmarks-68';

export interface EmbedderInfo {
  /** The model's `name` metadata, e.g. 'dlib-resnet'. */
  name: string;
  /** "<name>@<CRC-32 of the weights, 8 hex digits>" (docs/gallery-format.md). */
  identity: string;
  /** Values per embedding. */
  dimension: number;
  /**
   * What this instance's stored users and backups record as their templates' maker: `identity`
   * with the detector's keypoints, `identity + '+landmarks-68'` with the landmark model.
   */
  templates: string;
}

/** Every error the library throws. Branch on `code`; show or log `message`. */
export declare class FaceUnlockError extends Error {
  constructor(code: FaceUnlockErrorCode, message: string,
    extra?: { cause?: unknown; userId?: string; embedders?: { stored: string; running: string };
      keypoints?: { stored: KeypointSource; running: KeypointSource } });
  readonly name: 'FaceUnlockError';
  readonly code: FaceUnlockErrorCode;
  /** The user a store error concerns, when there is one. */
  readonly userId: string | undefined;
  /**
   * For 'embedder-mismatch': the identity of the embedder that made the templates ('' when they
   * do not say) and of the one this instance runs.
   */
  readonly embedders: { stored: string; running: string } | undefined;
  /**
   * For 'keypoints-mismatch': the keypoints the templates' faces were aligned on and those this
   * instance aligns on.
   */
  readonly keypoints: { stored: KeypointSource; running: KeypointSource } | undefined;
}

/**
 * One stored user. `ciphertext` is AES-GCM-256 (with its 16-byte tag) over the engine's
 * exportUser bytes (a one-user gallery file), with `faceunlock-user\0<version>\0<id>` as
 * additional data, so a record cannot be moved to another id.
 */
export interface StoredUserRecord {
  id: string;
  /** Record layout version, currently 1. */
  version: number;
  /** 12 random bytes, new for every write. */
  iv: Uint8Array;
  ciphertext: Uint8Array;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/**
 * Where users are kept. Records arrive encrypted; a store only keeps them and the key. Every
 * method may reject; reject with a DOMException named 'QuotaExceededError' when out of space
 * (it surfaces as code 'quota-exceeded').
 */
export interface TemplateStore {
  /** Called once by FaceUnlock.create(). */
  open(): Promise<void>;
  /** The AES-GCM key records are encrypted with; the same key on every call and every load. Prefer a non-extractable key. */
  getKey(): Promise<CryptoKey>;
  getAll(): Promise<StoredUserRecord[]>;
  /** Adds or replaces the record with this id, atomically. */
  put(record: StoredUserRecord): Promise<void>;
  /** Resolves whether the record existed. */
  delete(id: string): Promise<boolean>;
  /** Replaces every record at once (all or nothing). */
  replaceAll(records: StoredUserRecord[]): Promise<void>;
  close(): void | Promise<void>;
  /**
   * Optional, with putMeta: a small value the library keeps beside the users (now only
   * 'lockout', the lockout state, a plain object). Resolve undefined when absent. Without these
   * two methods the lockout lasts only as long as the page; a rejection or a malformed value is
   * ignored (the lockout starts unlocked), never an error.
   */
  getMeta?(name: string): Promise<unknown>;
  /** Optional, with getMeta: stores `value` (structured-cloneable) under `name`. */
  putMeta?(name: string, value: unknown): Promise<void>;
}

/**
 * IndexedDB database `name` (default 'faceunlock'), schema 1: object store 'users' (key path
 * 'id', StoredUserRecord values) and 'keys' (the non-extractable CryptoKey under 'store-key';
 * meta values under 'meta:<name>', e.g. 'meta:lockout').
 */
export declare class IndexedDBStore implements TemplateStore {
  constructor(options?: { name?: string; indexedDB?: IDBFactory });
  readonly name: string;
  open(): Promise<void>;
  getKey(): Promise<CryptoKey>;
  getAll(): Promise<StoredUserRecord[]>;
  put(record: StoredUserRecord): Promise<void>;
  delete(id: string): Promise<boolean>;
  replaceAll(records: StoredUserRecord[]): Promise<void>;
  getMeta(name: string): Promise<unknown>;
  putMeta(name: string, value: unknown): Promise<void>;
  close(): void;
}

/** Records in memory; pass `key` and `records` from an earlier one's getKey()/getAll() to restore them. */
export declare class MemoryStore implements TemplateStore {
  constructor(options?: { key?: CryptoKey; records?: StoredUserRecord[] });
  open(): Promise<void>;
  getKey(): Promise<CryptoKey>;
  getAll(): Promise<StoredUserRecord[]>;
  put(record: StoredUserRecord): Promise<void>;
  delete(id: string): Promise<boolean>;
  replaceAll(records: StoredUserRecord[]): Promise<void>;
  getMeta(name: string): Promise<unknown>;
  putMeta(name: string, value: unknown): Promise<void>;
  close(): void;
}
