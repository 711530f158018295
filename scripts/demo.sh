#!/usr/bin/env bash
# The demo command: set-up, build (which also puts the WebAssembly engine in web/dist/), then
# serve the repository on localhost and print the webcam demo's URL. Browsers allow the camera on
# http://localhost without HTTPS. PORT picks the port (default 8080, or the next free one).
# ISOLATE=1 serves the page with COOP/COEP headers, so the demo's ?threads=N runs the
# multi-threaded core.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh

if [ ! -f web/dist/faceunlock_core.wasm ]; then
  echo "demo: web/dist/faceunlock_core.wasm is missing after the build, so the demo cannot run" >&2
  exit 1
fi

echo "demo: open the URL below in Chrome, Edge or Firefox on this machine and allow the camera;"
echo "      Ctrl-C stops the server."
exec node scripts/serve.mjs --port "${PORT:-8080}" --page web/demo/ ${ISOLATE:+--isolate}
