#!/usr/bin/env bash
# Builds the native tree (build/), the WebAssembly tree (build-wasm/) and the multi-threaded
# WebAssembly core (build-wasm-mt/, wasm/README.md).
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
# Only the core: every object is compiled again with -pthread, the benchmarks are not needed.
emcmake cmake -S . -B build-wasm-mt -DCMAKE_BUILD_TYPE=Release -DFACEUNLOCK_WASM_THREADS=ON \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node;--no-experimental-fetch" >/dev/null
cmake --build build-wasm-mt -j"$jobs" --target faceunlock_core

# The browser library (web/) imports the core from web/dist/ (docs/engine-api.md).
mkdir -p web/dist
cp build-wasm/wasm/faceunlock_core.mjs build-wasm/wasm/faceunlock_core.wasm web/dist/
cp build-wasm-mt/wasm/faceunlock_core_mt.mjs build-wasm-mt/wasm/faceunlock_core_mt.wasm \
  build-wasm-mt/wasm/faceunlock_core_mt.worker.js web/dist/

# The browser library loads its shipped models gzipped (web/lib/assets.js: most hosts send model
# weights uncompressed): every .fum.gz the package lists, from its .fum. -n leaves the name and
# time out, so the same .fum gives the same bytes.
for gz in $(node -p "require('./package.json').files.filter((f) => f.endsWith('.fum.gz')).join(' ')"); do
  gzip -9 -n -c "${gz%.gz}" > "$gz"
done
