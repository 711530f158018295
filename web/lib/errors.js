/**
 * @file The one Error type the library throws, so callers can branch on `code` instead of parsing
 * messages, while the message itself stays the thing a developer reads.
 */

/**
 * Stable codes (part of the API; messages may be reworded, codes may not):
 * - `invalid-argument`  a call was given something it cannot use
 * - `unsupported-source` a frame source the library cannot read pixels from
 * - `load-failed`       the WebAssembly module or a model could not be fetched or instantiated
 * - `engine`            the WebAssembly engine rejected an operation (its message is kept)
 * - `busy`              an enroll or unlock is already running on this instance
 * - `timeout`           enroll did not collect enough good frames in time
 * - `aborted`           the caller's AbortSignal fired
 * - `quota-exceeded`    the browser refused to store more data
 * - `store`             the template store failed for another reason
 * - `corrupt-record`    a stored user could not be decrypted or was rejected by the engine
 * - `embedder-mismatch` templates (a stored user, a backup) were made by another embedder than
 *                       the one this instance runs; `embedders` says which two
 * - `keypoints-mismatch` templates were made by this embedder on faces aligned on other
 *                       keypoints (with or without the 68-point landmark model) than this
 *                       instance aligns on; `keypoints` says which two
 * - `backup`            a backup could not be read (wrong passphrase, damaged, not a backup)
 * - `disposed`          the instance was disposed
 * - `worker`            the Web Worker failed to start or died
 * @typedef {'invalid-argument'|'unsupported-source'|'load-failed'|'engine'|'busy'|'timeout'|
 *   'aborted'|'quota-exceeded'|'store'|'corrupt-record'|'embedder-mismatch'|'keypoints-mismatch'|
 *   'backup'|'disposed'|'worker'} ErrorCode
 */

export class FaceUnlockError extends Error {
  /**
   * @param {ErrorCode} code
   * @param {string} message
   * @param {{cause?: unknown, userId?: string, embedders?: {stored: string, running: string},
   *   keypoints?: {stored: string, running: string}}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'FaceUnlockError';
    /** @type {ErrorCode} */
    this.code = code;
    /** @type {string | undefined} the user a store error concerns */
    this.userId = extra.userId;
    /**
     * For `embedder-mismatch`: the identities ("<model name>@<weights CRC>") of the embedder that
     * made the templates ('' when unknown) and of the one this instance runs.
     * @type {{stored: string, running: string} | undefined}
     */
    this.embedders = extra.embedders;
    /**
     * For `keypoints-mismatch`: the keypoints the templates' faces were aligned on and those this
     * instance aligns on, 'detector' or 'landmarks-68'.
     * @type {{stored: string, running: string} | undefined}
     */
    this.keypoints = extra.keypoints;
  }
}

/**
 * The message of anything thrown, including non-Errors that wasm glue or stores may throw.
 * @param {unknown} e
 * @returns {string}
 */
export function messageOf(e) {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * True for the browser's "storage is full" failure. Browsers disagree on how it looks: a
 * DOMException named QuotaExceededError (code 22), Firefox's legacy NS_ERROR_DOM_QUOTA_REACHED,
 * or an IDB transaction aborted with such an error as its cause.
 * @param {unknown} e
 * @returns {boolean}
 */
export function isQuotaError(e) {
  for (let x = e, depth = 0; x && typeof x === 'object' && depth < 4; depth++) {
    const name = /** @type {{name?: unknown}} */ (x).name;
    const code = /** @type {{code?: unknown}} */ (x).code;
    if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22) {
      return true;
    }
    x = /** @type {{cause?: unknown}} */ (x).cause;
  }
  return false;
}

/**
 * Wraps a store failure: quota problems get their own code because the fix (free space, ask for
 * persistent storage) differs from every other store failure.
 * @param {string} what e.g. "cannot save user 'alice'"
 * @param {unknown} e
 * @param {string} [userId]
 * @returns {FaceUnlockError}
 */
export function storeError(what, e, userId) {
  if (e instanceof FaceUnlockError) return e;
  if (isQuotaError(e)) {
    return new FaceUnlockError('quota-exceeded',
        `${what}: the browser's storage quota for this site is exhausted. Free space (remove ` +
        'users or other site data) or ask for more with navigator.storage.persist()',
        { cause: e, userId });
  }
  return new FaceUnlockError('store', `${what}: ${messageOf(e)}`, { cause: e, userId });
}
