/**
 * @file Shared by the package and bundler tests (not a test itself): the library packed as npm
 * would publish it, and installed from that tarball into a new project the way users install it
 * (installing the folder instead would make a symlink and hide what `files` leaves out).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs a command, failing with its output.
 * @param {string} command
 * @param {string[]} args
 * @param {{cwd: string, env?: object, timeout?: number}} options
 * @returns {string} stdout
 */
export function run(command, args, options) {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: { ...process.env, npm_config_update_notifier: 'false', ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${r.status}\n` +
        `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

/**
 * What `npm pack` would put in the tarball, without writing it.
 * @returns {{filename: string, size: number, unpackedSize: number, files: {path: string,
 *   size: number}[]}}
 */
export function packDryRun() {
  return JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot }))[0];
}

/**
 * Packs the library into `dir`.
 * @param {string} dir
 * @returns {string} the tarball's path
 */
export function pack(dir) {
  mkdirSync(dir, { recursive: true });
  const out = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
      { cwd: repoRoot }));
  return path.join(dir, out[0].filename);
}

/**
 * A new project in `dir` with the tarball installed as its one dependency. The library has no
 * dependencies, so this needs no network.
 * @param {string} dir
 * @param {string} tarball
 * @param {object} [packageJson] fields of the project's package.json
 */
export function installInto(dir, tarball, packageJson = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'faceunlock-consumer', version: '1.0.0', private: true, ...packageJson,
  }, null, 2));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock',
    '--ignore-scripts', tarball], { cwd: dir });
}
