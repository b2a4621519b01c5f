#!/usr/bin/env bash
# Builds the libFuzzer harness with clang (ASan+UBSan) and runs it for N
# seconds (default 60), seeded with the spec suite's .wasm files and
# test/fuzz/regressions/. The harness decodes, validates and compiles each
# input, then instantiates it with stub imports, runs its start function and
# calls every export under a watchdog (test/fuzz/fuzz_module.c).
# Every crash it finds is saved to fuzz-crashes/ and must become a regression
# input in test/fuzz/regressions/ (replayed by the C tests).
#
# Build time: the fuzz build is -O1 (coverage-guided fuzzing needs speed less
# than it needs the sanitizers), with the interpreter at -O0 (CMakeLists.txt
# says why); it prints how long the build and the fuzzing took.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
JOBS=$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
t0=$(date +%s)
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DTOVA_BUILD_FUZZ=ON -DTOVA_BUILD_ADDON=OFF -DTOVA_SANITIZE=address,undefined >/dev/null
cmake --build build-fuzz --target fuzz_module -j"$JOBS" >/dev/null
t1=$(date +%s)
echo "fuzz: build took $((t1 - t0)) s"
rm -rf fuzz-corpus && mkdir -p fuzz-corpus fuzz-crashes
SEEDS=(fuzz-corpus)
[ -d ../shared/wasm-spec-2.0/json ] && SEEDS+=(../shared/wasm-spec-2.0/json)
[ -d test/fuzz/regressions ] && SEEDS+=(test/fuzz/regressions)
./build-fuzz/fuzz_module -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix=fuzz-crashes/ -print_final_stats=1 "${SEEDS[@]}" 2>&1 | tail -n 15
echo "fuzz: fuzzed for $(($(date +%s) - t1)) s"
