/**
 * @file A template store that lives only as long as the page: for tests, and for applications
 * that keep templates elsewhere (they read records out with getAll() and seed a new store with
 * the `records` option). Same interface and same encryption as the IndexedDB store.
 */

import { generateStoreKey } from './crypto.js';

/** @typedef {import('./store-indexeddb.js').StoredUserRecord} StoredUserRecord */

/**
 * Copies so that a caller mutating what it got (or gave) cannot change what is stored, which is
 * what a real database guarantees too.
 * @param {StoredUserRecord} r
 * @returns {StoredUserRecord}
 */
function copyRecord(r) {
  return { ...r, iv: new Uint8Array(r.iv), ciphertext: new Uint8Array(r.ciphertext) };
}

export class MemoryStore {
  /**
   * @param {{key?: CryptoKey, records?: StoredUserRecord[]}} [options] an existing key and
   *     records, to restore what an earlier MemoryStore's getKey()/getAll() handed out
   */
  constructor(options = {}) {
    /** @type {Promise<CryptoKey> | null} */
    this._key = options.key ? Promise.resolve(options.key) : null;
    /** @type {Map<string, StoredUserRecord>} */
    this._records = new Map((options.records ?? []).map((r) => [r.id, copyRecord(r)]));
    /** @type {Map<string, unknown>} */
    this._meta = new Map();
  }

  async open() {}

  /** @returns {Promise<CryptoKey>} */
  getKey() {
    // One promise, so concurrent first calls share one key.
    this._key ??= generateStoreKey();
    return this._key;
  }

  /** @returns {Promise<StoredUserRecord[]>} */
  async getAll() {
    return [...this._records.values()].map(copyRecord);
  }

  /** @param {StoredUserRecord} record */
  async put(record) {
    this._records.set(record.id, copyRecord(record));
  }

  /**
   * @param {string} id
   * @returns {Promise<boolean>} whether the user was stored
   */
  async delete(id) {
    return this._records.delete(id);
  }

  /** @param {StoredUserRecord[]} records */
  async replaceAll(records) {
    this._records = new Map(records.map((r) => [r.id, copyRecord(r)]));
  }

  /**
   * @param {string} name
   * @returns {Promise<unknown>} the value last put, or undefined
   */
  async getMeta(name) {
    // Cloned both ways, as IndexedDB would, so callers cannot edit the stored value in place.
    return structuredClone(this._meta.get(name));
  }

  /**
   * @param {string} name
   * @param {unknown} value
   */
  async putMeta(name, value) {
    this._meta.set(name, structuredClone(value));
  }

  close() {}
}
