#!/usr/bin/env bash
# Installs what faceunlock needs on Debian bookworm: apt packages and the npm devDependencies.
# Idempotent: when everything is present it only checks and returns within a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  cmake make g++ pkg-config
  emscripten binaryen
  libxnnpack-dev libpthreadpool-dev
  libgtest-dev libbenchmark-dev libstb-dev nlohmann-json3-dev libopenblas-dev
  chromium chromium-driver ffmpeg
  python3-torch python3-numpy
)
# Node.js may come from another packaging (with npm bundled): only ask apt when the command is
# missing.
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)

missing=()
for pkg in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
else
  echo "setup: apt packages present"
fi

# npm devDependencies (none is fetched at run time; only at set-up).
if [ -f package.json ] && grep -q '"devDependencies"' package.json; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules ] ||
    { [ -f package-lock.json ] && [ package-lock.json -nt node_modules ]; }; then
    echo "setup: installing npm devDependencies"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
    touch node_modules
  else
    echo "setup: npm devDependencies present"
  fi
fi
