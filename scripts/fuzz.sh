#!/usr/bin/env bash
# Builds the libFuzzer harness with clang and runs it for N seconds (default
# 60), seeded with the spec suite's .wasm files and test/fuzz/regressions/.
# Every crash it finds is saved to fuzz-crashes/ and must become a regression
# input in test/fuzz/regressions/ (replayed by the C tests).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOVA_BUILD_FUZZ=ON \
  -DTOVA_BUILD_ADDON=OFF -DTOVA_SANITIZE=address,undefined >/dev/null
cmake --build build-fuzz --target fuzz_module -j"$(nproc)" >/dev/null
rm -rf fuzz-corpus && mkdir -p fuzz-corpus fuzz-crashes
SEEDS=(fuzz-corpus)
[ -d ../shared/wasm-spec-2.0/json ] && SEEDS+=(../shared/wasm-spec-2.0/json)
[ -d test/fuzz/regressions ] && SEEDS+=(test/fuzz/regressions)
./build-fuzz/fuzz_module -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix=fuzz-crashes/ -print_final_stats=1 "${SEEDS[@]}" 2>&1 | tail -n 15
