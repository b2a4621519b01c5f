#!/usr/bin/env bash
# bench/big-module.sh: a big program in the default tier. bench/big/gen_calls.js
# writes a C program of N small functions calling each other through one
# table of function pointers (N = 300 and 3,000: 40 and 400 KB of
# WebAssembly), all of them hot or only the first HOT; each is run as a
# whole process, R rounds: tova run in its default tier, tova run
# interpreted, Node's WebAssembly (node:wasi) and the gcc -O2 build, each
# output checked against gcc's. What it watches: that a module whose call
# graph is one big cycle through its table is neither slowed down by the
# tiering's bookkeeping nor compiled whole, and that its hot functions get
# optimised code (docs/native-tier.md "Big modules").
#
#   bash bench/big-module.sh               (BENCH_RUNS=N, default 3: best of N;
#                                           BENCH_QUICK=1: the smallest case)
#   bash bench/big-module.sh 3000 2000 [HOT] (N functions, R rounds)
#
# Needs clang with the wasm32-wasi target, gcc, node and build/tova.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=big-module.sh
. bench/lib/processes.sh
cases=()
if [ $# -ge 2 ]; then cases=("$1:$2:${3:-$1}")
elif [ -n "${BENCH_QUICK:-}" ]; then cases=("300:2000:300")
else cases=("300:20000:300" "3000:2000:3000" "3000:10000:3000" "3000:200000:50"); fi

compare_header "N rounds hot"
for c in "${cases[@]}"; do
  IFS=: read -r n r hot <<<"$c"
  p=$WORK/calls$n-$hot
  if [ ! -f "$p.wasm" ]; then
    node bench/big/gen_calls.js "$n" "$hot" >"$p.c"
    gcc -O2 -std=c11 -o "$p" "$p.c"
    clang --target=wasm32-wasi -O2 -o "$p.wasm" "$p.c"
  fi
  compare_row "$n $r $hot" "$p" "$p.wasm" "$r"
done
exit $status
