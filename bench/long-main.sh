#!/usr/bin/env bash
# bench/long-main.sh: one C program whose work is its main's own loops
# (bench/long/main_loops.c), at sizes where it runs about 0.1, 1 and 10 s
# interpreted, as whole processes: tova run in its default tier (main
# reaches native code through on-stack replacement: a quick OSR entry, then
# the optimised one mid-loop), tova run interpreted, Node's WebAssembly
# (node:wasi) and the gcc -O2 build; each output checked against gcc's.
#
#   bash bench/long-main.sh             (BENCH_RUNS=N, default 3: best of N;
#                                        BENCH_QUICK=1: the smallest size)
#   bash bench/long-main.sh 20000000    (some sizes only)
#
# Needs clang with the wasm32-wasi target, gcc, node and build/tova.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SRC=$ROOT/bench/long/main_loops.c
NAME=long-main.sh
. bench/lib/processes.sh
gcc -O2 -std=c11 -o "$WORK/native" "$SRC"
clang --target=wasm32-wasi -O2 -ffp-contract=off -o "$WORK/main.wasm" "$SRC"
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
  if [ -n "${BENCH_QUICK:-}" ]; then sizes=(2000000); else sizes=(2000000 20000000 200000000); fi
fi

compare_header N
for n in "${sizes[@]}"; do
  compare_row "$n" "$WORK/native" "$WORK/main.wasm" "$n"
done
exit $status
