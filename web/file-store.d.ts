// Types of 'faceunlock/file-store' (web/lib/store-file.js): a TemplateStore in a file, for Node.
import type { StoredUserRecord, TemplateStore } from './index.js';

/**
 * Users in one JSON file (`path`), replaced atomically on every change, with the AES-GCM key in a
 * second file (`keyPath`, default `path + '.key'`, mode 0600, created on first use). Node only.
 * Errors have code 'store' (unreadable, malformed, a newer version, or the key file missing while
 * users are stored). Layout: docs/store-format.md.
 */
export declare class FileStore implements TemplateStore {
  constructor(options: { path: string; keyPath?: string });
  readonly path: string;
  readonly keyPath: string;
  open(): Promise<void>;
  getKey(): Promise<CryptoKey>;
  getAll(): Promise<StoredUserRecord[]>;
  put(record: StoredUserRecord): Promise<void>;
  delete(id: string): Promise<boolean>;
  replaceAll(records: StoredUserRecord[]): Promise<void>;
  getMeta(name: string): Promise<unknown>;
  putMeta(name: string, value: unknown): Promise<void>;
  /** Waits for pending writes. */
  close(): Promise<void>;
}
