#!/usr/bin/env bash
# Sets everything up and runs every test of the project:
#   C unit tests (ctest), ASan+UBSan and TSan builds of the C tests, the JS
#   tests under Node with ASan+UBSan and TSan builds of the addon,
#   the WebAssembly conformance suite (when ../shared/wasm-spec-2.0 exists),
#   the Bun tests of the JS API and a Node smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

bash scripts/setup.sh

# Each heading carries the seconds since this script started, so a slow CI
# run shows where its time went.
step() { printf '\n=== %s === [%ds]\n' "$*" "$SECONDS"; }

step "C tests (Release)"
ctest --test-dir build --output-on-failure -j"$JOBS"

step "C tests under ASan+UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTOVA_BUILD_ADDON=OFF \
  -DTOVA_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$JOBS" >/dev/null
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j"$JOBS"

step "C tests of the pool, channels and cross-thread executions under TSan"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DTOVA_BUILD_ADDON=OFF \
  -DTOVA_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$JOBS" >/dev/null
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -j"$JOBS" -R 'test_(pool|chan|rt_|exec|wasm_task|memory_pool|native|parked_task_state|wasi_park|stencil)'

step "test/js under ASan+UBSan and TSan (Node, the addon built with -fsanitize)"
bash scripts/sanitize-js.sh

step "WebAssembly conformance"
node scripts/conformance.js --baseline test/conformance/baseline.txt
# The interpreter policy runs every function in the stencil tier's code
# (src/engine/stencil/stencil.h), with nothing native; TOVA_STENCIL=off is
# the interpreter's own loop alone.
step "Stencil tier: conformance with the interpreter's code compiled by copy-and-patch, and without it"
TOVA_TIER=interp node scripts/conformance.js --baseline test/conformance/baseline.txt
TOVA_STENCIL=off TOVA_TIER=interp node scripts/conformance.js --baseline test/conformance/baseline.txt

if [ -d build/CMakeFiles/tova_native.dir ]; then  # built with LLVM: the native tier exists
  step "Native tier: C tests and conformance with every function native"
  TOVA_TIER=native ctest --test-dir build --output-on-failure -j"$JOBS"
  TOVA_TIER=native node scripts/conformance.js --baseline test/conformance/baseline.txt
  step "On-stack replacement: conformance with every loop continued in native code"
  TOVA_TIER=osr node scripts/conformance.js --baseline test/conformance/baseline.txt
  step "Tiered (background compiles): C tests"
  TOVA_TIER=tiered ctest --test-dir build --output-on-failure -j"$JOBS"
  # The quick tier's code (no IR passes, level-0 code generation) for
  # every function it takes (tier.c pending_quick), then every module quick
  # first and optimised mid-run.
  # Under TOVA_TIER=osr with QUICK=0, every loop is entered through a quick
  # OSR entry that hands its call to the optimised entry mid-loop.
  step "Quick tier: conformance with quick code only, and tiering up from it (calls and loops)"
  TOVA_TIER=native TOVA_NATIVE_QUICK=only node scripts/conformance.js --baseline test/conformance/baseline.txt
  TOVA_TIER=tiered TOVA_NATIVE_QUICK=0 node scripts/conformance.js --baseline test/conformance/baseline.txt
  TOVA_TIER=osr TOVA_NATIVE_QUICK=0 node scripts/conformance.js --baseline test/conformance/baseline.txt
  # Optimised units that call through stubs and slots, as a closure too big
  # to compile whole is compiled (tier.c W_SPLIT): every module so.
  step "Optimised units compiled apart: conformance with every module over TOVA_NATIVE_MAX_CLOSURE"
  TOVA_TIER=native TOVA_NATIVE_MAX_CLOSURE=0 node scripts/conformance.js --baseline test/conformance/baseline.txt
fi

step "Without LLVM: the interpreter-only build and its C tests"
cmake -S . -B build-nollvm -DTOVA_NATIVE=OFF -DTOVA_BUILD_ADDON=OFF >/dev/null
cmake --build build-nollvm -j"$JOBS" >/dev/null
ctest --test-dir build-nollvm --output-on-failure -j"$JOBS"

step "C programs: native vs node:wasi vs tova run, and tova run again linking what the first run compiled"
# (TOVA_CACHE_DIR: the second process replays the first one's units from
# the cache, docs/native-tier.md "Keeping compiled code between processes")
programs_cache=$(mktemp -d "${TMPDIR:-/tmp}/tova-programs-cache-XXXXXX")
TOVA_CACHE_DIR=$programs_cache TOVA_AGAIN=1 bash test/programs/run.sh
rm -rf "$programs_cache"
step "C programs in the stencil tier alone (interpreter policy)"
TOVA_TIER=interp bash test/programs/run.sh
if [ -d build/CMakeFiles/tova_native.dir ]; then
  # The default tier leaves most of a short program interpreted: the same
  # programs with every function native, with every loop entered through
  # on-stack replacement, and clang's other code shapes native.
  # (optimised units compiled apart, TOVA_NATIVE_MAX_CLOSURE=0: the same
  # programs through the differential fuzzer's --c-programs in .ci/run)
  # (Quick code tiered up by calls, TOVA_NATIVE_QUICK=0: the conformance
  # runs above and the differential fuzzer's modules; clang -Os code shapes:
  # the fuzzer's C programs; every loop entered straight into optimised
  # code, TOVA_TIER=osr: the conformance run above and the fuzzer's osr
  # steps, .ci/run. Here OSR goes through quick code, then optimised.)
  # (clang -O0's code shapes native: the differential fuzzer's C programs,
  # which it builds at -O0, -O1, -O2 and -Os, every tier, .ci/run)
  step "C programs under the native tier, under OSR (quick then optimised), in quick code, and at clang -O3 native"
  TOVA_TIER=native bash test/programs/run.sh
  TOVA_TIER=osr TOVA_NATIVE_QUICK=0 bash test/programs/run.sh
  TOVA_TIER=native TOVA_NATIVE_QUICK=only bash test/programs/run.sh
  WASM_OPT=-O3 TOVA_TIER=native bash test/programs/run.sh
fi

step "CoreMark correctness under tova, Node and Bun"
bash bench/coremark.sh --check
if [ -d build/CMakeFiles/tova_native.dir ]; then
  step "CoreMark correctness with every function native"
  TOVA_TIER=native COREMARK_RUNNERS="native tova" bash bench/coremark.sh --check
fi

step "C kernels (bench/kernels): tova, Bun's WebAssembly and gcc -O2 give the same answers"
BENCH_QUICK=1 BENCH_RUNS=1 node_modules/.bin/bun bench/kernels.js

step "Bun tests"
node_modules/.bin/bun test test/js
if [ -d build/CMakeFiles/tova_native.dir ]; then
  # Every task's function native from its first call: channel loops leave
  # native code for the interpreter at each park (docs/native-tier.md).
  step "Bun tests of tasks and channels with every function native"
  TOVA_TIER=native node_modules/.bin/bun test test/js/parking.test.js test/js/channels.test.js \
    test/js/random-channels.test.js test/js/tasks.test.js test/js/wasi.test.js
fi

step "Node smoke test"
node test/node/smoke.js
