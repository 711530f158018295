/**
 * @file The native CLI and C++ core as users install them: `cmake --install build --prefix P`
 * (cmake/install.cmake), the installed CLI finding its own models from anywhere, and another
 * CMake project building the README's C++ example against the install with find_package.
 *
 *   node --test tests/install/
 *
 * Needs the native build tree build/ (bash scripts/build.sh); skips without it, fails on CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = path.join(repoRoot, 'build');
const lfwPhoto = path.resolve(repoRoot, '..', 'shared', 'data', 'lfw', 'Colin_Powell',
    'Colin_Powell_0001.jpg');
const version = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;

const skip = existsSync(path.join(buildDir, 'faceunlock')) ? false :
  `${buildDir}/faceunlock is missing (bash scripts/build.sh)`;
if (skip && process.env.CI === 'true') throw new Error(`CI=true but ${skip}`);

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{cwd?: string, env?: object}} [options]
 */
function exec(command, args, options = {}) {
  const env = { ...process.env, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const r = spawnSync(command, args, { cwd: options.cwd ?? repoRoot, env, encoding: 'utf8',
    timeout: 300_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r, what) {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

let work;
let prefix;
// Not in any folder with a models/ above it, and without FACEUNLOCK_MODELS: only the models
// installed with the program can be found.
let elsewhere;
const noModelsEnv = { FACEUNLOCK_MODELS: undefined };

before(() => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), 'faceunlock-install-'));
  prefix = path.join(work, 'prefix');
  elsewhere = path.join(work, 'elsewhere');
  mkdirSync(elsewhere);
  ok(exec('cmake', ['--install', buildDir, '--prefix', prefix]), 'cmake --install');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('cmake --install puts the CLI, models, headers, libraries and CMake package in place',
    { skip }, () => {
      for (const file of [
        'bin/faceunlock',
        'share/faceunlock/models/blazeface-short.fum',
        'share/faceunlock/models/dlib-resnet.fum',
        'share/faceunlock/models/README.md',
        'include/faceunlock/nn/model.h',
        'include/faceunlock/nn/network.h',
        'include/faceunlock/base/error.h',
        'lib/libfaceunlock_nn.a',
        'lib/cmake/faceunlock/faceunlockConfig.cmake',
        'lib/cmake/faceunlock/faceunlockConfigVersion.cmake',
        'lib/cmake/faceunlock/faceunlockTargets.cmake',
      ]) {
        assert.ok(existsSync(path.join(prefix, file)), `${file} is installed`);
      }
      assert.ok(!existsSync(path.join(prefix, 'include', 'faceunlock', 'nn', 'model.cc')));
    });

test('the installed CLI: --version, exit codes in --help, its own models from anywhere',
    { skip }, () => {
      const bin = path.join(prefix, 'bin', 'faceunlock');
      assert.equal(ok(exec(bin, ['--version']), '--version').stdout, `faceunlock ${version}\n`);
      const help = ok(exec(bin, ['--help']), '--help').stdout;
      assert.match(help, /exit status:\n\s+0 .*\n\s+1 .*\n\s+2 .*command line.*\n\s+3 .*did not match/);
      assert.match(help, /FACEUNLOCK_MODELS/);

      // A moved prefix still finds its models: they are looked up relative to the program.
      const moved = path.join(work, 'moved');
      cpSync(prefix, moved, { recursive: true });
      const movedBin = path.join(moved, 'bin', 'faceunlock');
      const image = existsSync(lfwPhoto) ? lfwPhoto : path.join(elsewhere, 'grey.pgm');
      if (!existsSync(lfwPhoto)) {
        writeFileSync(image, Buffer.concat([Buffer.from('P5\n64 64\n255\n'), Buffer.alloc(64 * 64, 128)]));
      }
      const r = ok(exec(movedBin, ['detect', image, '--json'], { cwd: elsewhere, env: noModelsEnv }),
          'detect with the installed models');
      assert.equal(JSON.parse(r.stdout).images[0].faces.length, existsSync(lfwPhoto) ? 1 : 0,
          r.stdout);

      // Without them it says where it looked and what to do.
      renameSync(path.join(moved, 'share'), path.join(moved, 'share-gone'));
      const lost = exec(movedBin, ['detect', image], { cwd: elsewhere, env: noModelsEnv });
      assert.equal(lost.code, 1, lost.stderr);
      assert.match(lost.stderr, /cannot find model \(blazeface-short\.fum\).*FACEUNLOCK_MODELS/s);

      // FACEUNLOCK_MODELS and --detector override the installed models.
      const env = { FACEUNLOCK_MODELS: path.join(moved, 'share-gone', 'faceunlock', 'models') };
      ok(exec(movedBin, ['detect', image, '--json'], { cwd: elsewhere, env }), 'FACEUNLOCK_MODELS');
      const wrong = exec(bin, ['detect', image], { cwd: elsewhere, env: { FACEUNLOCK_MODELS: elsewhere } });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /FACEUNLOCK_MODELS is '.*elsewhere' and holds no blazeface-short\.fum/);
      const flag = exec(bin, ['detect', image, '--detector', path.join(elsewhere, 'none.fum')],
          { cwd: elsewhere, env: noModelsEnv });
      assert.equal(flag.code, 1);
      assert.match(flag.stderr, /none\.fum/);
    });

/** The README's C++ example: the indented block after its heading, as tests/CMakeLists.txt reads it. */
function readmeExample() {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const m = readme.match(/## Using the runtime from C\+\+\n\n((?: {4}[^\n]*\n|\n)+)/);
  assert.ok(m, "README.md lost its '## Using the runtime from C++' example");
  const lines = m[1].split('\n').map((l) => l.replace(/^ {4}/, ''));
  return {
    includes: lines.filter((l) => l.startsWith('#include')).join('\n'),
    body: lines.filter((l) => !l.startsWith('#include')).join('\n'),
  };
}

test("another CMake project builds the README's C++ example with find_package(faceunlock)",
    { skip, timeout: 300_000 }, () => {
      const project = path.join(work, 'consumer');
      mkdirSync(project);
      const { includes, body } = readmeExample();
      writeFileSync(path.join(project, 'main.cc'), `${includes}

#include <cstdio>

int main() {
${body}
  std::printf("%zu outputs\\n", outputs.size());
  return outputs.empty() ? 1 : 0;
}
`);
      writeFileSync(path.join(project, 'CMakeLists.txt'), `cmake_minimum_required(VERSION 3.18)
project(readme_example LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(faceunlock ${version} REQUIRED)
add_executable(readme_example main.cc)
target_link_libraries(readme_example PRIVATE faceunlock::nn)
if(NOT EXISTS "\${faceunlock_MODELS_DIR}/dlib-resnet.fum")
  message(FATAL_ERROR "faceunlock_MODELS_DIR is wrong: \${faceunlock_MODELS_DIR}")
endif()
`);
      const build = path.join(project, 'build');
      ok(exec('cmake', ['-S', project, '-B', build, `-DCMAKE_PREFIX_PATH=${prefix}`,
        '-DCMAKE_BUILD_TYPE=Release'], { cwd: project }), 'configure against the install');
      ok(exec('cmake', ['--build', build], { cwd: project }), 'build the example');
      // The example loads net.fum from the working directory; the installed CLI makes one.
      ok(exec(path.join(prefix, 'bin', 'faceunlock'), ['sample', 'conv1x1', '--out', 'net.fum'],
          { cwd: project }), 'faceunlock sample');
      const r = ok(exec(path.join(build, 'readme_example'), [], { cwd: project }), 'the example');
      assert.equal(r.stdout, '1 outputs\n');
    });
