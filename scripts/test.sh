#!/usr/bin/env bash
# The test command: set-up, native build, WebAssembly build, then every test
# (GoogleTest through CTest, then the Node tests of the CLI and the WebAssembly module).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh

echo "== native tests (GoogleTest via CTest)"
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== Node tests (CLI, install, converters, WebAssembly module, JavaScript library, package, static server, browser, bundlers)"
node --test tests/cli/ tests/install/ tests/wasm/ tests/convert/ tests/web/ tests/package/ \
  tests/scripts/ tests/browser/ tests/bundlers/
