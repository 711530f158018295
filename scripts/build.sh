#!/usr/bin/env bash
# Builds the native tree (build/) and the WebAssembly tree (build-wasm/).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

# Debian's emscripten needs Debian's acorn on NODE_PATH, and its default CTest emulator flag is
# one that Node 20 rejects (see ../shared/TOOLCHAIN.md).
export NODE_PATH=/usr/share/nodejs
emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node;--no-experimental-fetch" >/dev/null
cmake --build build-wasm -j"$jobs"

# The browser library (web/) imports the core from web/dist/ (docs/engine-api.md).
mkdir -p web/dist
cp build-wasm/wasm/faceunlock_core.mjs build-wasm/wasm/faceunlock_core.wasm web/dist/
