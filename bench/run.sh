#!/usr/bin/env bash
# Runs every benchmark it can and prints their tables; what cannot run is
# skipped with a message saying why. Every program is time-bounded, so this
# script never hangs.
#
#   bash bench/run.sh              full sizes (a few minutes)
#   BENCH_QUICK=1 bash bench/run.sh   small sizes, to check that everything works
#
# Needs: Bun (node_modules/.bin/bun or on PATH), wabt's wat2wasm. Optional: go
# (Go peers), cmake + a C compiler (C instantiation benchmark and the CLI,
# built here into build-bench/), the tova addon (npm run build) for the tova side.
set -uo pipefail
# Every tova figure is a cold start (no code cache from earlier runs) unless
# the caller sets TOVA_CACHE_DIR; the columns that measure a program run
# again (bench/programs.sh, bench/kernels.js) use caches of their own.
export TOVA_CACHE_DIR="${TOVA_CACHE_DIR-}"
cd "$(dirname "$0")/.."
ROOT=$PWD
LIMIT=${BENCH_LIMIT_SECONDS:-900}   # per benchmark program

say() { printf '\n=== %s ===\n' "$*"; }

# timeout(1) where it exists (GNU coreutils, or gtimeout on macOS), else perl.
bounded() {
  local secs=$1; shift
  if command -v timeout >/dev/null; then timeout -k 10 "$secs" "$@"
  elif command -v gtimeout >/dev/null; then gtimeout -k 10 "$secs" "$@"
  else perl -e 'alarm shift; exec @ARGV or die "exec: $!"' "$secs" "$@"
  fi
  local rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 142 ] || [ $rc -eq 137 ]; then
    echo "  stopped after ${secs}s: $*"
  fi
  return $rc
}

BUN=""
if [ -x node_modules/.bin/bun ]; then BUN=$ROOT/node_modules/.bin/bun
elif command -v bun >/dev/null; then BUN=$(command -v bun)
fi
if [ -z "$BUN" ]; then
  echo "bench: Bun not found (npm install brings it into node_modules/.bin): nothing to run"
  exit 1
fi
if ! command -v wat2wasm >/dev/null; then
  echo "bench: wat2wasm not found (install wabt): the benchmark modules cannot be built"
  exit 1
fi

say "Setup"
echo "bun $("$BUN" --version), $(wat2wasm --version | head -1 | sed 's/^/wabt /')"
if command -v go >/dev/null; then go version; else echo "go: not found, Go peers will be skipped"; fi
# Bring the addon up to date with the sources first: a stale build/ would
# measure old code.
if [ -f build/CMakeCache.txt ] && command -v cmake >/dev/null; then
  cmake --build build --target tova_addon -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
if [ -e build/tova_runtime.node ] || ls build*/tova_runtime.node >/dev/null 2>&1; then
  echo "addon: $(ls -t build*/tova_runtime.node | head -1)"
else
  echo "addon: not built (npm run build); tova sides that need the JS API will be skipped"
fi

# The C instantiation benchmark and the CLI, from bench/CMakeLists.txt into
# build-bench/ (its own build directory, Release).
if command -v cmake >/dev/null; then
  if bounded 120 cmake -S bench -B build-bench -DCMAKE_BUILD_TYPE=Release >build-bench.log 2>&1 &&
     bounded 600 cmake --build build-bench --target bench_instantiate bench_parked bench_channels tova_cli -j2 >>build-bench.log 2>&1; then
    echo "built build-bench/bench_instantiate and build-bench/project/tova"
  else
    echo "could not build bench_instantiate / the CLI (tova side of those rows skipped); last lines of the log:"
    tail -5 build-bench.log | sed 's/^/  | /'
  fi
  mv -f build-bench.log build-bench/build.log 2>/dev/null || rm -f build-bench.log
else
  echo "cmake: not found, the C instantiation benchmark is skipped"
fi

status=0
say "Engine: bun bench/engine.js"
bounded "$LIMIT" "$BUN" bench/engine.js || status=1
say "Concurrency: bun bench/concurrency.js"
bounded "$LIMIT" "$BUN" bench/concurrency.js || status=1
say "Start-up: whole short processes with and without tova_runtime: bun bench/startup.js"
bounded "$LIMIT" "$BUN" bench/startup.js || status=1
say "C kernels no other benchmark has (clang for wasm32) beside Bun and gcc -O2: bun bench/kernels.js"
bounded "$LIMIT" "$BUN" bench/kernels.js || status=1
if [ -f bench/tasks-channels.js ]; then
  say "Tasks and channels: bun bench/tasks-channels.js"
  bounded "$LIMIT" "$BUN" bench/tasks-channels.js || status=1
fi
if [ -x build-bench/bench_instantiate ]; then
  say "Instantiation, C API: without a memory, with a one-page memory, 100K live: build-bench/bench_instantiate --cases"
  bounded "$LIMIT" build-bench/bench_instantiate --cases 1000000 100000 || status=1
fi
if [ -x build-bench/bench_parked ]; then
  say "Parked WebAssembly tasks, C API (100K and 1M): build-bench/bench_parked"
  bounded "$LIMIT" build-bench/bench_parked 100000 || status=1
  bounded "$LIMIT" build-bench/bench_parked 1000000 || status=1
fi
say "Tasks that park (WebAssembly on channels) beside Go: bun bench/parking.js"
bounded "$LIMIT" "$BUN" bench/parking.js || status=1
# (parking.js has built bench/wasm/out/parking.wasm)
if [ -x build-bench/bench_channels ] && [ -f bench/wasm/out/parking.wasm ]; then
  say "The same channel programs through the C API alone, 1 and 2 workers: build-bench/bench_channels"
  bounded "$LIMIT" build-bench/bench_channels bench/wasm/out/parking.wasm 1 || status=1
  bounded "$LIMIT" build-bench/bench_channels bench/wasm/out/parking.wasm 2 || status=1
fi
say "Real C programs (test/programs), whole processes, beside node:wasi and gcc: bash bench/programs.sh"
bounded "$LIMIT" bash bench/programs.sh || status=1
say "A C program whose main runs the loops itself (on-stack replacement): bash bench/long-main.sh"
bounded "$LIMIT" bash bench/long-main.sh || status=1
say "A big program whose functions call each other through one table: bash bench/big-module.sh"
bounded "$LIMIT" bash bench/big-module.sh || status=1
if [ -f bench/coremark.sh ]; then
  say "CoreMark: bash bench/coremark.sh"
  bounded "$LIMIT" bash bench/coremark.sh || status=1
fi
exit $status
