/**
 * @file Encryption of stored templates and of passphrase-protected backups (WebCrypto only).
 *
 * Stored users: AES-GCM with a 256-bit key that is created non-extractable, so script running in
 * the page can use it but never read it out; the key object itself is persisted by the store
 * (IndexedDB can structured-clone a CryptoKey without exposing its bits). Each record binds its
 * user id and record version as additional authenticated data, so a ciphertext moved from one
 * user's record to another's fails to decrypt instead of silently unlocking as the other user.
 *
 * Backups: AES-GCM under a key derived from a passphrase with PBKDF2-SHA-256.
 */

import { FaceUnlockError } from './errors.js';

/** Version of the per-user record layout; also part of the record's authenticated data. */
export const RECORD_VERSION = 1;

const IV_BYTES = 12; // the size AES-GCM is specified for; other sizes get hashed down
const SALT_BYTES = 16;
// OWASP's 2023 figure for PBKDF2-HMAC-SHA256; stored in each backup, so it can rise later
// without breaking old backups.
export const PBKDF2_ITERATIONS = 600000;

const BACKUP_MAGIC = 'FUBACKUP';
const BACKUP_VERSION = 1;
const BACKUP_HEADER_BYTES = 8 + 4 + 4 + SALT_BYTES + IV_BYTES;

const encoder = new TextEncoder();

/** @returns {SubtleCrypto} */
function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    throw new FaceUnlockError('invalid-argument',
        'WebCrypto (crypto.subtle) is not available: it exists only in secure contexts, so serve ' +
        'the page over https:// or from http://localhost');
  }
  return s;
}

/**
 * @param {number} n
 * @returns {Uint8Array}
 */
function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/**
 * A fresh key for stored users; `extractable: false` is the point (see the file comment).
 * @returns {Promise<CryptoKey>}
 */
export function generateStoreKey() {
  return subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/**
 * @param {string} id
 * @param {number} version
 * @returns {Uint8Array}
 */
function recordAad(id, version) {
  return encoder.encode(`faceunlock-user\u0000${version}\u0000${id}`);
}

/**
 * @param {CryptoKey} key
 * @param {string} id
 * @param {Uint8Array} plaintext the engine's exportUser bytes
 * @returns {Promise<{version: number, iv: Uint8Array, ciphertext: Uint8Array}>}
 */
export async function encryptRecord(key, id, plaintext) {
  const iv = randomBytes(IV_BYTES);
  const ciphertext = await subtle().encrypt(
      { name: 'AES-GCM', iv, additionalData: recordAad(id, RECORD_VERSION) }, key, plaintext);
  return { version: RECORD_VERSION, iv, ciphertext: new Uint8Array(ciphertext) };
}

/**
 * Throws a `corrupt-record` error when the record was modified, belongs to another id, or was
 * encrypted under another key (e.g. the key was deleted with site data but records survived).
 * @param {CryptoKey} key
 * @param {{id: string, version: number, iv: Uint8Array, ciphertext: Uint8Array}} record
 * @returns {Promise<Uint8Array>}
 */
export async function decryptRecord(key, record) {
  if (record.version !== RECORD_VERSION) {
    throw new FaceUnlockError('corrupt-record',
        `cannot read stored user '${record.id}': record version ${record.version} is not ` +
        `${RECORD_VERSION}; it was written by a newer faceunlock`, { userId: record.id });
  }
  try {
    const plain = await subtle().decrypt(
        { name: 'AES-GCM', iv: record.iv, additionalData: recordAad(record.id, record.version) },
        key, record.ciphertext);
    return new Uint8Array(plain);
  } catch (e) {
    throw new FaceUnlockError('corrupt-record',
        `cannot decrypt stored user '${record.id}': the record was modified or damaged, or was ` +
        'written under a different key. Remove the user and enroll again',
        { cause: e, userId: record.id });
  }
}

/**
 * @param {string} passphrase
 * @param {Uint8Array} salt
 * @param {number} iterations
 * @returns {Promise<CryptoKey>}
 */
async function passphraseKey(passphrase, salt, iterations) {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new FaceUnlockError('invalid-argument', 'the backup passphrase must be a non-empty string');
  }
  const base = await subtle().importKey('raw', encoder.encode(passphrase), 'PBKDF2', false,
      ['deriveKey']);
  return subtle().deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base,
      { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/**
 * Layout (little-endian): "FUBACKUP", u32 version 1, u32 PBKDF2 iterations, 16-byte salt,
 * 12-byte IV, then AES-GCM ciphertext+tag of the gallery bytes with the 44 header bytes as
 * authenticated data (so the iteration count cannot be lowered unnoticed).
 * @param {Uint8Array} gallery
 * @param {string} passphrase
 * @param {number} [iterations]
 * @returns {Promise<Uint8Array>}
 */
export async function encryptBackup(gallery, passphrase, iterations = PBKDF2_ITERATIONS) {
  const header = new Uint8Array(BACKUP_HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(encoder.encode(BACKUP_MAGIC), 0);
  view.setUint32(8, BACKUP_VERSION, true);
  view.setUint32(12, iterations, true);
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  header.set(salt, 16);
  header.set(iv, 16 + SALT_BYTES);
  const key = await passphraseKey(passphrase, salt, iterations);
  const ct = new Uint8Array(await subtle().encrypt(
      { name: 'AES-GCM', iv, additionalData: header }, key, gallery));
  const out = new Uint8Array(header.length + ct.length);
  out.set(header, 0);
  out.set(ct, header.length);
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @returns {boolean}
 */
export function isEncryptedBackup(bytes) {
  if (bytes.length < BACKUP_MAGIC.length) return false;
  for (let i = 0; i < BACKUP_MAGIC.length; i++) {
    if (bytes[i] !== BACKUP_MAGIC.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * @param {Uint8Array} bytes
 * @param {string} passphrase
 * @returns {Promise<Uint8Array>} the gallery bytes
 */
export async function decryptBackup(bytes, passphrase) {
  if (!isEncryptedBackup(bytes) || bytes.length < BACKUP_HEADER_BYTES + 16) {
    throw new FaceUnlockError('backup', 'cannot read the backup: it is not an encrypted ' +
        'faceunlock backup or it is truncated');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== BACKUP_VERSION) {
    throw new FaceUnlockError('backup', `cannot read the backup: format version ${version} is ` +
        `not ${BACKUP_VERSION}; it was written by a newer faceunlock`);
  }
  const iterations = view.getUint32(12, true);
  // A forged header must not make us spin for minutes, nor accept a trivially weak derivation.
  if (iterations < 100000 || iterations > 10000000) {
    throw new FaceUnlockError('backup', `cannot read the backup: PBKDF2 iteration count ` +
        `${iterations} is outside 100000..10000000; the file is damaged`);
  }
  const header = bytes.subarray(0, BACKUP_HEADER_BYTES);
  const salt = bytes.slice(16, 16 + SALT_BYTES);
  const iv = bytes.slice(16 + SALT_BYTES, BACKUP_HEADER_BYTES);
  const key = await passphraseKey(passphrase, salt, iterations);
  try {
    return new Uint8Array(await subtle().decrypt(
        { name: 'AES-GCM', iv, additionalData: header }, key, bytes.subarray(BACKUP_HEADER_BYTES)));
  } catch (e) {
    throw new FaceUnlockError('backup',
        'cannot decrypt the backup: wrong passphrase, or the file was modified', { cause: e });
  }
}
