/**
 * @file A template store in a file, for Node scripts and servers (`import { FileStore } from
 * 'faceunlock/file-store'`; browsers use IndexedDBStore). The records are the same encrypted
 * records as in IndexedDB, kept in one JSON file that is replaced atomically on every change; the
 * AES-GCM key lives in a second file beside it (created with mode 0600), so copying the store
 * file alone does not copy the templates. Layout: docs/store-format.md.
 *
 * Not imported by index.js: it needs node:fs, which browsers and bundlers for them do not have.
 */

import { randomBytes } from 'node:crypto';
import { open as openFile, readFile, rename, rm } from 'node:fs/promises';

import { FaceUnlockError, messageOf } from './errors.js';

/** @typedef {import('./store-indexeddb.js').StoredUserRecord} StoredUserRecord */

const FORMAT = 'faceunlock-file-store';
const VERSION = 1;
const KEY_BYTES = 32;

/**
 * @param {string} what
 * @param {unknown} e
 */
function fail(what, e) {
  return new FaceUnlockError('store', `${what}: ${messageOf(e)}`, { cause: e });
}

/**
 * @param {string} path
 * @returns {Promise<Buffer | null>} the file's bytes, or null when it does not exist
 */
async function readIfExists(path) {
  try {
    return await readFile(path);
  } catch (e) {
    if (/** @type {{code?: string}} */ (e)?.code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Writes `bytes` to `path` through a temporary file and a rename, so a reader (or a crash)
 * sees the old content or the new, never half of it.
 * @param {string} path
 * @param {Uint8Array | string} bytes
 * @param {number} mode
 */
async function writeAtomically(path, bytes, mode) {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await openFile(tmp, 'w', mode);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * @param {StoredUserRecord} r
 */
function recordToJson(r) {
  return {
    id: r.id, version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt,
    iv: Buffer.from(r.iv).toString('base64'),
    ciphertext: Buffer.from(r.ciphertext).toString('base64'),
  };
}

/**
 * @param {any} j
 * @param {string} path
 * @returns {StoredUserRecord}
 */
function recordFromJson(j, path) {
  if (!j || typeof j.id !== 'string' || typeof j.iv !== 'string' || typeof j.ciphertext !== 'string' ||
      !Number.isInteger(j.version) || typeof j.createdAt !== 'number' || typeof j.updatedAt !== 'number') {
    throw new FaceUnlockError('store', `cannot read the template store (${path}): a record is ` +
        'malformed (it needs id, version, iv, ciphertext, createdAt, updatedAt)');
  }
  return {
    id: j.id, version: j.version, createdAt: j.createdAt, updatedAt: j.updatedAt,
    iv: new Uint8Array(Buffer.from(j.iv, 'base64')),
    ciphertext: new Uint8Array(Buffer.from(j.ciphertext, 'base64')),
  };
}

export class FileStore {
  /**
   * @param {{path: string, keyPath?: string}} options `path`: the store file (created on the
   *     first change); `keyPath`: its key file, default `path + '.key'` (created when missing)
   */
  constructor(options) {
    if (!options || typeof options.path !== 'string' || options.path === '') {
      throw new FaceUnlockError('invalid-argument', 'new FileStore({ path }): path must name the ' +
          'store file, e.g. "faceunlock-users.json"');
    }
    this.path = options.path;
    this.keyPath = options.keyPath ?? `${options.path}.key`;
    /** @type {Map<string, StoredUserRecord>} */
    this._records = new Map();
    /** @type {Record<string, unknown>} */
    this._meta = {};
    /** @type {CryptoKey | null} */
    this._key = null;
    this._opened = false;
    // Changes are written one after another, each a whole new file.
    /** @type {Promise<void>} */
    this._writes = Promise.resolve();
  }

  async open() {
    let bytes;
    try {
      bytes = await readIfExists(this.path);
    } catch (e) {
      throw fail(`cannot read the template store (${this.path})`, e);
    }
    if (bytes) {
      let json;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw fail(`cannot read the template store (${this.path}): it is not JSON`, e);
      }
      if (json?.format !== FORMAT) {
        throw new FaceUnlockError('store', `cannot read the template store (${this.path}): it ` +
            `is not a ${FORMAT} file`);
      }
      if (json.version !== VERSION) {
        throw new FaceUnlockError('store', `cannot read the template store (${this.path}): ` +
            `version ${json.version}, this library reads version ${VERSION}; use a newer faceunlock`);
      }
      const records = Array.isArray(json.records) ? json.records : [];
      this._records = new Map(records.map((/** @type {any} */ r) => {
        const record = recordFromJson(r, this.path);
        return [record.id, record];
      }));
      this._meta = json.meta && typeof json.meta === 'object' ? json.meta : {};
    }
    this._key = await this._loadKey();
    this._opened = true;
  }

  /** @returns {Promise<CryptoKey>} */
  async _loadKey() {
    let raw;
    try {
      raw = await readIfExists(this.keyPath);
      if (!raw) {
        if (this._records.size > 0) {
          throw new Error('the key file is missing, so the stored users cannot be decrypted; ' +
              'restore it, or delete the store file to start empty');
        }
        raw = randomBytes(KEY_BYTES);
        // 'wx': never overwrite a key another process created meanwhile; read that one instead.
        try {
          const handle = await openFile(this.keyPath, 'wx', 0o600);
          try {
            await handle.writeFile(raw);
          } finally {
            await handle.close();
          }
        } catch (e) {
          if (/** @type {{code?: string}} */ (e)?.code !== 'EEXIST') throw e;
          raw = await readFile(this.keyPath);
        }
      }
    } catch (e) {
      throw fail(`cannot open the key of the template store (${this.keyPath})`, e);
    }
    if (raw.length !== KEY_BYTES) {
      throw new FaceUnlockError('store', `cannot open the key of the template store ` +
          `(${this.keyPath}): it holds ${raw.length} bytes, an AES-256 key is ${KEY_BYTES}`);
    }
    return globalThis.crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false,
        ['encrypt', 'decrypt']);
  }

  _checkOpen() {
    if (!this._opened) {
      throw new FaceUnlockError('store', 'the FileStore is not open (FaceUnlock.create opens it)');
    }
  }

  /** @returns {Promise<CryptoKey>} */
  async getKey() {
    this._checkOpen();
    return /** @type {CryptoKey} */ (this._key);
  }

  /** @returns {Promise<StoredUserRecord[]>} */
  async getAll() {
    this._checkOpen();
    return [...this._records.values()].map((r) => ({
      ...r, iv: new Uint8Array(r.iv), ciphertext: new Uint8Array(r.ciphertext),
    }));
  }

  /**
   * Applies `change` to a copy of the state and writes it; the state changes only once written.
   * @param {(records: Map<string, StoredUserRecord>, meta: Record<string, unknown>) => void} change
   */
  _commit(change) {
    this._checkOpen();
    const run = this._writes.then(async () => {
      const records = new Map(this._records);
      const meta = structuredClone(this._meta);
      change(records, meta);
      const text = JSON.stringify({
        format: FORMAT, version: VERSION, records: [...records.values()].map(recordToJson), meta,
      });
      try {
        await writeAtomically(this.path, text, 0o600);
      } catch (e) {
        throw fail(`cannot write the template store (${this.path})`, e);
      }
      this._records = records;
      this._meta = meta;
    });
    // A failed write must not block the ones after it.
    this._writes = run.catch(() => {});
    return run;
  }

  /** @param {StoredUserRecord} record */
  async put(record) {
    const copy = { ...record, iv: new Uint8Array(record.iv), ciphertext: new Uint8Array(record.ciphertext) };
    await this._commit((records) => { records.set(record.id, copy); });
  }

  /**
   * @param {string} id
   * @returns {Promise<boolean>} whether the user was stored
   */
  async delete(id) {
    this._checkOpen();
    let existed = false;
    await this._commit((records) => { existed = records.delete(id); });
    return existed;
  }

  /** @param {StoredUserRecord[]} records */
  async replaceAll(records) {
    const copies = records.map((r) => ({ ...r, iv: new Uint8Array(r.iv), ciphertext: new Uint8Array(r.ciphertext) }));
    await this._commit((map) => {
      map.clear();
      for (const r of copies) map.set(r.id, r);
    });
  }

  /**
   * @param {string} name
   * @returns {Promise<unknown>}
   */
  async getMeta(name) {
    this._checkOpen();
    return structuredClone(this._meta[name]);
  }

  /**
   * @param {string} name
   * @param {unknown} value JSON-serialisable
   */
  async putMeta(name, value) {
    const copy = structuredClone(value);
    await this._commit((_records, meta) => { meta[name] = copy; });
  }

  async close() {
    await this._writes;
    this._opened = false;
  }
}
