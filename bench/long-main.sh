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


printf '%-10s | %12s | %12s | %12s | %9s | %s\n' N "tova default" "tova interp" "node:wasi" "gcc -O2" check
printf -- '-----------|--------------|--------------|--------------|-----------|------\n'
status=0
for n in "${sizes[@]}"; do
  g=$(best_ms "$WORK/gcc.out" "$WORK/native" "$n")
  d=$(best_ms "$WORK/default.out" "$TOVA" run "$WORK/main.wasm" "$n")
  i=$(TOVA_TIER=interp best_ms "$WORK/interp.out" "$TOVA" run "$WORK/main.wasm" "$n")
  o=$(best_ms "$WORK/node.out" node --no-warnings "$ROOT/test/programs/node_wasi.mjs" "$WORK/main.wasm" "$n")
  check="ok $(cat "$WORK/gcc.out")"
  for who in default interp node; do
    cmp -s "$WORK/gcc.out" "$WORK/$who.out" || { check="DIFFERS ($who)"; status=1; }
  done
  printf '%-10s | %9s ms | %9s ms | %9s ms | %6s ms | %s\n' "$n" "$d" "$i" "$o" "$g" "$check"
done
exit $status
