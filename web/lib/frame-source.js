/**
 * @file Turns whatever the page has (a playing <video>, a canvas, an ImageBitmap, ImageData, or a
 * plain {width, height, data} RGBA object) into one RGBA frame the engine can read, scaled down
 * so its long side is at most `maxSide` pixels. Detection cost grows with the frame, while the
 * quality checks are tuned for 640x480 webcam frames, so larger frames only cost time.
 */

import { FaceUnlockError } from './errors.js';

export const DEFAULT_MAX_SIDE = 640;
// Buffers kept for reuse: one frame in the engine while the next is read.
const POOL_SIZE = 2;

/**
 * @typedef {object} Frame
 * @property {number} width
 * @property {number} height
 * @property {Uint8Array | Uint8ClampedArray} data width * height * 4 bytes, RGBA
 * @property {number} scale frame pixels per source pixel (<= 1); divide frame coordinates by it
 * @property {boolean} owned true when `data` is ours, so its buffer may be transferred to a
 *     worker; false when it is the caller's own pixels, which must not be detached
 */

/**
 * @param {unknown} x
 * @param {string} name a global constructor that may not exist (Node, workers)
 * @returns {boolean}
 */
function isA(x, name) {
  const C = /** @type {any} */ (globalThis)[name];
  return typeof C === 'function' && x instanceof C;
}

/**
 * @param {any} source
 * @returns {boolean}
 */
function isRawRgba(source) {
  return source !== null && typeof source === 'object' && !isA(source, 'HTMLElement') &&
      typeof source.width === 'number' && typeof source.height === 'number' &&
      source.data !== undefined && typeof source.data.length === 'number';
}

/**
 * The drawable size of a source, 0x0 when it has no picture yet.
 * @param {any} source
 * @returns {{width: number, height: number} | null} null when it is not drawable
 */
function drawableSize(source) {
  if (isA(source, 'HTMLVideoElement')) {
    // HAVE_CURRENT_DATA (2): before it, drawImage draws nothing and we would analyse a blank.
    if (source.readyState < 2) return { width: 0, height: 0 };
    return { width: source.videoWidth, height: source.videoHeight };
  }
  if (isA(source, 'HTMLImageElement')) {
    if (!source.complete) return { width: 0, height: 0 };
    return { width: source.naturalWidth, height: source.naturalHeight };
  }
  if (isA(source, 'VideoFrame')) return { width: source.displayWidth, height: source.displayHeight };
  if (isA(source, 'HTMLCanvasElement') || isA(source, 'OffscreenCanvas') ||
      isA(source, 'ImageBitmap') || isA(source, 'SVGImageElement')) {
    return { width: source.width, height: source.height };
  }
  return null;
}

/**
 * @param {number} width
 * @param {number} height
 * @param {number} maxSide
 * @returns {{width: number, height: number, scale: number}}
 */
function fitted(width, height, maxSide) {
  const long = Math.max(width, height);
  if (long <= maxSide) return { width, height, scale: 1 };
  const scale = maxSide / long;
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    scale,
  };
}

/**
 * Box-filter downscale of RGBA pixels, for raw sources where no canvas exists (Node) or was
 * not wanted. Averaging (rather than picking pixels) avoids aliasing that the blur check would
 * read as sharpness.
 * @param {ArrayLike<number>} src
 * @param {number} sw
 * @param {number} sh
 * @param {number} dw
 * @param {number} dh
 * @returns {Uint8ClampedArray}
 */
function downscaleRgba(src, sw, sh, dw, dh) {
  const out = new Uint8ClampedArray(dw * dh * 4);
  const acc = new Float64Array(4);
  for (let y = 0; y < dh; y++) {
    const y0 = Math.floor((y * sh) / dh);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * sh) / dh));
    for (let x = 0; x < dw; x++) {
      const x0 = Math.floor((x * sw) / dw);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * sw) / dw));
      acc.fill(0);
      for (let yy = y0; yy < y1; yy++) {
        let i = (yy * sw + x0) * 4;
        for (let xx = x0; xx < x1; xx++, i += 4) {
          acc[0] += src[i]; acc[1] += src[i + 1]; acc[2] += src[i + 2]; acc[3] += src[i + 3];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * dw + x) * 4;
      out[o] = acc[0] / n; out[o + 1] = acc[1] / n; out[o + 2] = acc[2] / n; out[o + 3] = acc[3] / n;
    }
  }
  return out;
}

/**
 * @param {unknown} cause what the browser threw for a tainted source
 * @returns {FaceUnlockError}
 */
function crossOrigin(cause) {
  return new FaceUnlockError('unsupported-source',
      'cannot read the pixels of this source: it is cross-origin. Serve the image or video ' +
      "from the page's origin or with CORS (crossOrigin='anonymous')", { cause });
}

/** Reads frames from sources; keeps one scratch canvas so a camera loop does not allocate one per frame. */
export class FrameReader {
  /** @param {number} [maxSide] */
  constructor(maxSide = DEFAULT_MAX_SIDE) {
    if (!(maxSide >= 32)) {
      throw new FaceUnlockError('invalid-argument', `maxFrameSide must be at least 32, got ${maxSide}`);
    }
    this.maxSide = maxSide;
    /** @type {OffscreenCanvas | HTMLCanvasElement | null} */
    this._canvas = null;
    /** @type {OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null} */
    this._context = null;
    /** false once copying through a VideoFrame has failed here: the canvas reads from then on */
    this._videoFrames = true;
    /** @type {Uint8ClampedArray[]} released buffers for the next reads (see _take) */
    this._pool = [];
  }

  /**
   * @param {unknown} source
   * @returns {Promise<Frame | null>} null when the source has no picture yet (a video still
   *     loading)
   */
  async read(source) {
    if (isRawRgba(source)) return this._readRaw(/** @type {any} */ (source));
    const size = drawableSize(source);
    if (!size) {
      throw new FaceUnlockError('unsupported-source',
          'cannot read a frame from this source: pass an HTMLVideoElement, HTMLCanvasElement, ' +
          'HTMLImageElement, ImageBitmap, OffscreenCanvas, VideoFrame, ImageData or a ' +
          '{width, height, data} object with RGBA bytes');
    }
    if (size.width === 0 || size.height === 0) return null;
    const fit = fitted(size.width, size.height, this.maxSide);
    if (fit.scale === 1 && this._videoFrames) {
      const data = await this._copyOut(source, fit.width, fit.height);
      if (data) return { width: fit.width, height: fit.height, data, scale: 1, owned: true };
    }
    const ctx = this._contextOfSize(fit.width, fit.height);
    ctx.drawImage(/** @type {CanvasImageSource} */ (source), 0, 0, fit.width, fit.height);
    let data;
    try {
      data = ctx.getImageData(0, 0, fit.width, fit.height).data;
    } catch (e) {
      throw crossOrigin(e);
    }
    return { width: fit.width, height: fit.height, data, scale: fit.scale, owned: true };
  }

  /**
   * The source's pixels through a WebCodecs VideoFrame, which copies them (converting a camera's
   * YUV) straight into a reused buffer: in headless Chromium 156 a 640x480 frame took 0.2-0.5 ms
   * this way against 4-15 ms for drawImage + getImageData, which returns a new buffer every time
   * (web/bench/browser-bench.mjs times both). Browsers without VideoFrame, or without RGBA
   * conversion in copyTo, give null once and the canvas path from then on.
   * @param {unknown} source
   * @param {number} width the source's size, which fits maxSide
   * @param {number} height
   * @returns {Promise<Uint8ClampedArray | null>}
   */
  async _copyOut(source, width, height) {
    const VideoFrameClass = /** @type {any} */ (globalThis).VideoFrame;
    if (typeof VideoFrameClass !== 'function') {
      this._videoFrames = false;
      return null;
    }
    const given = isA(source, 'VideoFrame');
    /** @type {any} */
    let frame;
    try {
      frame = given ? source : new VideoFrameClass(source, { timestamp: 0 });
    } catch (e) {
      if (/** @type {any} */ (e)?.name === 'SecurityError') throw crossOrigin(e);
      // Some sources (an image still decoding, a canvas of another kind) cannot be wrapped;
      // the canvas reads them.
      return null;
    }
    try {
      // A rotated or cropped frame would need its own geometry; the canvas applies it for us.
      if (frame.rotation || frame.flip || frame.displayWidth !== width ||
          frame.displayHeight !== height || frame.visibleRect?.width !== width ||
          frame.visibleRect?.height !== height) {
        return null;
      }
      const data = this._take(width * height * 4);
      try {
        await frame.copyTo(data, { format: 'RGBA' });
      } catch (e) {
        this._pool.push(data);
        throw e;
      }
      return data;
    } catch {
      this._videoFrames = false;
      return null;
    } finally {
      if (!given) frame.close();
    }
  }

  /**
   * A buffer of `bytes` from the pool, or a new one. Reusing matters: the first writes to a fresh
   * 1.2 MB buffer cost 5-8 ms in Chromium (the pages are mapped on touch), far more than the copy.
   * @param {number} bytes
   * @returns {Uint8ClampedArray}
   */
  _take(bytes) {
    while (this._pool.length > 0) {
      const data = /** @type {Uint8ClampedArray} */ (this._pool.pop());
      if (data.byteLength === bytes) return data;
    }
    return new Uint8ClampedArray(bytes);
  }

  /**
   * Hands a frame's buffer back once the engine has copied its pixels, so the next read reuses
   * it. Frames whose buffer went to a worker (detached) or is the caller's are ignored.
   * @param {Frame | null} frame
   */
  release(frame) {
    const data = frame?.owned ? frame.data : null;
    if (!(data instanceof Uint8ClampedArray) || data.byteLength === 0) return;
    if (this._pool.length < POOL_SIZE && !this._pool.includes(data)) this._pool.push(data);
  }

  /**
   * @param {{width: number, height: number, data: ArrayLike<number>}} source
   * @returns {Frame}
   */
  _readRaw(source) {
    const { width, height, data } = source;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new FaceUnlockError('invalid-argument',
          `cannot read a frame of ${width}x${height}: width and height must be positive integers`);
    }
    if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
      throw new FaceUnlockError('invalid-argument', `cannot read a ${width}x${height} frame: ` +
          `data must be a Uint8Array, Uint8ClampedArray or array of RGBA bytes, got ${typeof data}`);
    }
    if (data.length !== width * height * 4) {
      // A view whose buffer was transferred (postMessage) reads as empty; say so, as that is
      // not what the caller thinks they passed.
      const detached = data.length === 0 && ArrayBuffer.isView(data) && data.buffer.byteLength === 0 ?
        ' (its ArrayBuffer is empty: was it transferred to a worker or otherwise detached?)' : '';
      throw new FaceUnlockError('invalid-argument',
          `cannot read a ${width}x${height} frame from ${data.length} bytes${detached}: RGBA ` +
          `needs width * height * 4 = ${width * height * 4}`);
    }
    const fit = fitted(width, height, this.maxSide);
    if (fit.scale === 1) {
      const bytes = data instanceof Uint8Array || data instanceof Uint8ClampedArray ?
        data : Uint8ClampedArray.from(data);
      return { width, height, data: bytes, scale: 1, owned: bytes !== data };
    }
    return {
      width: fit.width, height: fit.height, scale: fit.scale, owned: true,
      data: downscaleRgba(data, width, height, fit.width, fit.height),
    };
  }

  /**
   * @param {number} width
   * @param {number} height
   */
  _contextOfSize(width, height) {
    if (!this._canvas) {
      if (typeof OffscreenCanvas === 'function') {
        this._canvas = new OffscreenCanvas(width, height);
      } else if (typeof document !== 'undefined') {
        this._canvas = document.createElement('canvas');
      } else {
        throw new FaceUnlockError('unsupported-source', 'no canvas is available here to read ' +
            'pixels with; pass ImageData or a {width, height, data} RGBA object instead');
      }
      // willReadFrequently keeps the canvas on the CPU, where getImageData every frame is cheap.
      this._context = /** @type {any} */ (this._canvas).getContext('2d', { willReadFrequently: true });
    }
    if (this._canvas.width !== width) this._canvas.width = width;
    if (this._canvas.height !== height) this._canvas.height = height;
    return /** @type {any} */ (this._context);
  }
}

/**
 * Waits until the source may show a new picture: the next decoded video frame for a <video>
 * (so enroll does not collect five copies of one frame), otherwise one macrotask, so a loop over
 * a still image stays responsive to timeouts and aborts.
 * @param {unknown} source
 * @returns {Promise<void>}
 */
export function nextFrame(source) {
  return new Promise((resolve) => {
    const video = /** @type {any} */ (source);
    const isVideo = isA(source, 'HTMLVideoElement');
    const hasCallback = isVideo && typeof video.requestVideoFrameCallback === 'function';
    // Hidden tabs stop video frame callbacks; the timer keeps the loop (and its timeout) alive.
    // Without the callback, poll at about the camera's frame rate.
    const fallback = setTimeout(resolve, hasCallback ? 250 : isVideo ? 33 : 0);
    if (hasCallback) {
      video.requestVideoFrameCallback(() => {
        clearTimeout(fallback);
        resolve();
      });
    }
  });
}
