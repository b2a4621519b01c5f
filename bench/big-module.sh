#!/usr/bin/env bash
# bench/big-module.sh: a big program in the default tier. bench/big/gen_calls.js
# writes a C program of N small functions calling each other through one
# table of function pointers (N = 300 and 3,000: 40 and 400 KB of
# WebAssembly); each is run as a whole process, R rounds: tova run in its
# default tier, tova run interpreted, Node's WebAssembly (node:wasi) and
# the gcc -O2 build, each output checked against gcc's. What it watches:
# that a module whose call graph is one big cycle through its table is
# neither slowed down by the tiering's bookkeeping nor compiled whole
# (docs/native-tier.md "Big modules").
#
#   bash bench/big-module.sh               (BENCH_RUNS=N, default 3: best of N;
#                                           BENCH_QUICK=1: the smallest case)
#   bash bench/big-module.sh 3000 2000     (N functions, R rounds)
#
# Needs clang with the wasm32-wasi target, gcc, node and build/tova.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NAME=big-module.sh
. bench/lib/processes.sh
cases=()
if [ $# -ge 2 ]; then cases=("$1:$2")
elif [ -n "${BENCH_QUICK:-}" ]; then cases=("300:2000")
else cases=("300:20000" "3000:2000" "3000:10000"); fi

printf '%-6s %-6s | %12s | %12s | %12s | %9s | %s\n' N rounds "tova default" "tova interp" "node:wasi" "gcc -O2" check
printf -- '--------------|--------------|--------------|--------------|-----------|------\n'
status=0
for c in "${cases[@]}"; do
  n=${c%%:*} r=${c##*:}
  if [ ! -f "$WORK/calls$n.wasm" ]; then
    node bench/big/gen_calls.js "$n" >"$WORK/calls$n.c"
    gcc -O2 -std=c11 -o "$WORK/calls$n" "$WORK/calls$n.c"
    clang --target=wasm32-wasi -O2 -o "$WORK/calls$n.wasm" "$WORK/calls$n.c"
  fi
  g=$(best_ms "$WORK/gcc.out" "$WORK/calls$n" "$r")
  d=$(best_ms "$WORK/default.out" "$TOVA" run "$WORK/calls$n.wasm" "$r")
  i=$(TOVA_TIER=interp best_ms "$WORK/interp.out" "$TOVA" run "$WORK/calls$n.wasm" "$r")
  o=$(best_ms "$WORK/node.out" node --no-warnings "$ROOT/test/programs/node_wasi.mjs" "$WORK/calls$n.wasm" "$r")
  check="ok $(cat "$WORK/gcc.out")"
  for who in default interp node; do
    cmp -s "$WORK/gcc.out" "$WORK/$who.out" || { check="DIFFERS ($who)"; status=1; }
  done
  printf '%-6s %-6s | %9s ms | %9s ms | %9s ms | %6s ms | %s\n' "$n" "$r" "$d" "$i" "$o" "$g" "$check"
done
exit $status
