#!/usr/bin/env bash
# Fuzzes every input surface of the C++ core (tests/fuzz/fuzz_targets.h) with libFuzzer, ASan and
# UBSan: builds the targets in build-fuzz/ with Clang, makes the seed corpora with the project's
# own writers, then runs each target for SECONDS of wall time (default 60), one after another,
# and prints its CPU time and executions.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: image_decode model_file gallery_file user_record
#
# The corpus of each target grows in build-fuzz/corpus/<target>/ across runs. A crash stops that
# target's run, leaves its input in build-fuzz/artifacts/<target>/ and makes the script exit 1:
# fix it in src/, then keep the input as tests/fuzz/regressions/<target>/<name> (replayed by the
# fuzz_replay_tests in every normal build).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]  (SECONDS a whole number, got '$seconds')" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
all_targets=(image_decode model_file gallery_file user_record)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " =~ " $t " ]]; then
    echo "fuzz: unknown target '$t' (known: ${all_targets[*]})" >&2
    exit 2
  fi
done

# A Clang whose runtime has libFuzzer: Debian's clang 14 with libclang-rt-14-dev, or clang-15 with
# libfuzzer-15-dev (installed when neither works). CI does not fuzz, so setup.sh does not install it.
links_fuzzer() {
  local probe
  probe=$(mktemp -d)
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
    >"$probe/probe.cc"
  "$1" -fsanitize=fuzzer,address,undefined "$probe/probe.cc" -o "$probe/probe" >/dev/null 2>&1
  local ok=$?
  rm -rf "$probe"
  return $ok
}
cxx=""
for candidate in clang++-15 clang++; do
  if command -v "$candidate" >/dev/null 2>&1 && links_fuzzer "$candidate"; then
    cxx=$candidate
    break
  fi
done
if [ -z "$cxx" ]; then
  echo "fuzz: installing clang-15 and libfuzzer-15-dev"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    clang-15 libfuzzer-15-dev
  cxx=clang++-15
fi
cc=${cxx/clang++/clang}

echo "== building the fuzz targets in build-fuzz/ ($cxx, -fsanitize=fuzzer,address,undefined)"
# XNNPACK is a prebuilt library that no fuzzer would see into; the targets run the reference and
# the own SIMD backends.
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_C_COMPILER="$cc" -DFACEUNLOCK_FUZZ=ON -DFACEUNLOCK_SANITIZE=address,undefined \
  -DFACEUNLOCK_TESTS=OFF -DFACEUNLOCK_XNNPACK=OFF >/dev/null
cmake --build build-fuzz -j2 --target make_fuzz_seeds "${targets[@]/#/fuzz_}"

build-fuzz/tests/fuzz/make_fuzz_seeds build-fuzz/seeds >/dev/null

# OpenBLAS (linked for training, unused here) would otherwise start a spinning thread per core.
export OPENBLAS_NUM_THREADS=1
status=0
summary=()
TIMEFORMAT='%U %S'
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  artifacts=build-fuzz/artifacts/$t
  log=build-fuzz/logs/$t.log
  mkdir -p "$corpus" "$artifacts" build-fuzz/logs
  echo "== fuzzing $t for ${seconds} s (log: $log)"
  # One input running longer than 60 s is a hang (wall time: less catches a loaded machine's
  # stalls; every seed takes milliseconds); one allocation over 512 MB, or growth past 2 GB, is
  # a size that a hostile input could force (no target's valid input needs more than a few MB).
  set +e
  { time build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=60 \
      -malloc_limit_mb=512 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "build-fuzz/seeds/$t" \
      >"$log" 2>&1; } 2>build-fuzz/logs/$t.time
  rc=$?
  set -e
  read -r user sys <build-fuzz/logs/$t.time
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  corpus_size=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    found="no crash"
  else
    status=1
    found="CRASH (exit $rc): $(grep -m1 -E '^==[0-9]+==ERROR|runtime error|broken promise|deadly signal|timeout' "$log" || echo 'see log')"
    found+="; input in $artifacts/"
  fi
  summary+=("$(printf '%-13s cpu %6s s  executions %10s  corpus %5s  %s' "$t" "$cpu" "${execs:-?}" \
    "$corpus_size" "$found")")
  echo "${summary[-1]}"
done

echo "== summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
exit $status
