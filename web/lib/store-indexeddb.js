/**
 * @file The default template store: IndexedDB, one record per user.
 *
 * Database `faceunlock` (configurable), schema version 1:
 * - object store `users`, key path `id`; each value is a StoredUserRecord:
 *   `{ id, version, iv, ciphertext, createdAt, updatedAt }`, where ciphertext is AES-GCM-256 over
 *   the engine's exportUser bytes (a one-user gallery file, docs/gallery-format.md) with the id
 *   and version as authenticated data (see crypto.js). No images are ever stored.
 * - object store `keys`, out-of-line keys; `store-key` holds the non-extractable CryptoKey, and
 *   `meta:<name>` entries hold the library's small bookkeeping values (getMeta/putMeta), e.g.
 *   `meta:lockout`. They share the store so adding them needed no schema change.
 *
 * Every change is a single transaction, so a crash or a full disk leaves either the old or the new
 * state. Quota failures surface as FaceUnlockError code `quota-exceeded`.
 */

import { generateStoreKey } from './crypto.js';
import { FaceUnlockError, storeError } from './errors.js';

/**
 * @typedef {object} StoredUserRecord
 * @property {string} id the user id given to enroll()
 * @property {number} version record layout version (crypto.js RECORD_VERSION)
 * @property {Uint8Array} iv 12 bytes
 * @property {Uint8Array} ciphertext AES-GCM ciphertext and 16-byte tag
 * @property {number} createdAt milliseconds since the epoch
 * @property {number} updatedAt milliseconds since the epoch
 */

export const SCHEMA_VERSION = 1;
const USERS = 'users';
const KEYS = 'keys';
const KEY_NAME = 'store-key';
/** Meta names are prefixed so no name can ever overwrite the encryption key. */
const META_PREFIX = 'meta:';

/**
 * Brings a database from any older schema to SCHEMA_VERSION. Each step runs only for databases
 * older than it, so a version-0 (new) database walks through every step in order. A future
 * schema adds `if (oldVersion < 2) { ... }` below; it must never edit an earlier step.
 * @param {IDBDatabase} db
 * @param {number} oldVersion
 */
function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore(USERS, { keyPath: 'id' });
    db.createObjectStore(KEYS);
  }
}

/**
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
function requestResult(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Resolves once the transaction committed: a request's success does not mean the data is on
 * disk, and a quota failure often shows up only as the transaction aborting.
 * @param {IDBTransaction} tx
 * @returns {Promise<void>}
 */
function transactionDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = (event) => {
      // Keep the abort handler in charge of rejecting, with the transaction's own error.
      event.preventDefault?.();
    };
    tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
  });
}

/**
 * Values read back may be ArrayBuffers or views of other types depending on who wrote them
 * (older code, other stores, devtools edits): normalise so the crypto code sees Uint8Arrays.
 * @param {unknown} x
 * @returns {Uint8Array}
 */
function bytesOf(x) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  return new Uint8Array(0); // decrypting this fails, which reports the record as damaged
}

export class IndexedDBStore {
  /**
   * @param {{name?: string, indexedDB?: IDBFactory}} [options] `indexedDB` injects a factory
   *     (e.g. fake-indexeddb in Node tests); the default is the global one
   */
  constructor(options = {}) {
    this.name = options.name ?? 'faceunlock';
    this._factory = options.indexedDB ?? globalThis.indexedDB;
    /** @type {IDBDatabase | null} */
    this._db = null;
    /** @type {Promise<CryptoKey> | null} */
    this._key = null;
  }

  /** @returns {Promise<void>} */
  async open() {
    if (this._db) return;
    if (!this._factory) {
      throw new FaceUnlockError('store', 'IndexedDB is not available here (private browsing in ' +
          "some browsers, or Node): use store: 'memory' or pass your own store");
    }
    const request = this._factory.open(this.name, SCHEMA_VERSION);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onblocked = () => {
      // Another tab has the database open with an older schema and has not closed it yet; the
      // open continues once it does (our onversionchange below closes ours promptly).
      console.warn(`faceunlock: waiting for other tabs to close IndexedDB '${this.name}'`);
    };
    try {
      this._db = await requestResult(request);
    } catch (e) {
      if (/** @type {{name?: string}} */ (e)?.name === 'VersionError') {
        throw new FaceUnlockError('store', `cannot open IndexedDB '${this.name}': it was created ` +
            `by a newer faceunlock (schema newer than ${SCHEMA_VERSION}); update the library`,
            { cause: e });
      }
      throw storeError(`cannot open IndexedDB '${this.name}'`, e);
    }
    // Let a newer version of the page in another tab upgrade the schema instead of blocking it.
    this._db.onversionchange = () => this.close();
  }

  /** @returns {IDBDatabase} */
  _database() {
    if (!this._db) {
      throw new FaceUnlockError('store', `IndexedDB '${this.name}' is closed (open() not called, ` +
          'or another tab upgraded it: reload the page)');
    }
    return this._db;
  }

  /** @returns {Promise<CryptoKey>} */
  getKey() {
    this._key ??= this._loadOrCreateKey().catch((e) => {
      this._key = null;
      throw e;
    });
    return this._key;
  }

  /** @returns {Promise<CryptoKey>} */
  async _loadOrCreateKey() {
    try {
      const db = this._database();
      const existing = await requestResult(
          db.transaction(KEYS, 'readonly').objectStore(KEYS).get(KEY_NAME));
      if (existing) return existing;
      // generateKey cannot run inside an IDB transaction (the transaction would auto-commit
      // while we await it), so create first, then insert only if no other tab beat us to it.
      const fresh = await generateStoreKey();
      const tx = db.transaction(KEYS, 'readwrite');
      const keys = tx.objectStore(KEYS);
      let chosen = fresh;
      const raced = keys.get(KEY_NAME);
      raced.onsuccess = () => {
        if (raced.result) chosen = raced.result;
        else keys.put(fresh, KEY_NAME);
      };
      await transactionDone(tx);
      return chosen;
    } catch (e) {
      throw storeError(`cannot load the encryption key from IndexedDB '${this.name}'`, e);
    }
  }

  /** @returns {Promise<StoredUserRecord[]>} */
  async getAll() {
    try {
      const rows = await requestResult(
          this._database().transaction(USERS, 'readonly').objectStore(USERS).getAll());
      return rows.map((r) => ({ ...r, iv: bytesOf(r.iv), ciphertext: bytesOf(r.ciphertext) }));
    } catch (e) {
      throw storeError(`cannot read users from IndexedDB '${this.name}'`, e);
    }
  }

  /** @param {StoredUserRecord} record */
  async put(record) {
    try {
      const tx = this._database().transaction(USERS, 'readwrite');
      tx.objectStore(USERS).put(record);
      await transactionDone(tx);
    } catch (e) {
      throw storeError(`cannot save user '${record.id}' to IndexedDB '${this.name}'`, e, record.id);
    }
  }

  /**
   * @param {string} id
   * @returns {Promise<boolean>} whether the user was stored
   */
  async delete(id) {
    try {
      const tx = this._database().transaction(USERS, 'readwrite');
      const users = tx.objectStore(USERS);
      let existed = false;
      const count = users.count(id);
      count.onsuccess = () => {
        existed = count.result > 0;
        if (existed) users.delete(id);
      };
      await transactionDone(tx);
      return existed;
    } catch (e) {
      throw storeError(`cannot remove user '${id}' from IndexedDB '${this.name}'`, e, id);
    }
  }

  /**
   * Replaces every user in one transaction (backup import): all or nothing.
   * @param {StoredUserRecord[]} records
   */
  async replaceAll(records) {
    try {
      const tx = this._database().transaction(USERS, 'readwrite');
      const users = tx.objectStore(USERS);
      users.clear();
      for (const r of records) users.put(r);
      await transactionDone(tx);
    } catch (e) {
      throw storeError(`cannot replace the users in IndexedDB '${this.name}'`, e);
    }
  }

  /**
   * @param {string} name e.g. 'lockout'
   * @returns {Promise<unknown>} the value last put, or undefined
   */
  async getMeta(name) {
    try {
      return await requestResult(this._database().transaction(KEYS, 'readonly').objectStore(KEYS)
          .get(META_PREFIX + name));
    } catch (e) {
      throw storeError(`cannot read '${name}' from IndexedDB '${this.name}'`, e);
    }
  }

  /**
   * @param {string} name
   * @param {unknown} value anything structured-cloneable
   */
  async putMeta(name, value) {
    try {
      const tx = this._database().transaction(KEYS, 'readwrite');
      tx.objectStore(KEYS).put(value, META_PREFIX + name);
      await transactionDone(tx);
    } catch (e) {
      throw storeError(`cannot save '${name}' to IndexedDB '${this.name}'`, e);
    }
  }

  close() {
    this._db?.close();
    this._db = null;
  }
}
