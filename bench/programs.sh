#!/usr/bin/env bash
# bench/programs.sh: the real C programs of test/programs (JSON, LZ77 +
# Huffman, bignums, a Forth, a regex engine, a ray tracer, hashes, sorting,
# ...) as whole processes: tova run in its default tier, the same again with
# a TOVA_CACHE_DIR that earlier runs of the program filled (a program run
# again: its last run's units are linked from the cache at the start,
# docs/native-tier.md), the same after `tova compile` of the program (its
# code compiled ahead into the cache: every run links all of it at once),
# tova run with every
# function native and its code already compiled (TOVA_TIER=native with a warm
# TOVA_CACHE_DIR: what the program's code costs once LLVM is out of the way),
# tova run interpreted, Node's WebAssembly (node:wasi) and the gcc -O2 build,
# each program's output checked against gcc's.
#
#   bash bench/programs.sh                  (BENCH_RUNS=N, default 3: best of N)
#   bash bench/programs.sh hashmap bigint   (some programs only)
#
# Needs clang with the wasm32-wasi target, gcc, node and build/tova
# (scripts/setup.sh, cmake --build build); says what is missing and exits 0.
# Times are wall times of whole processes (Node's include its start-up,
# about 40 ms here), best of BENCH_RUNS.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/test/programs
NAME=programs.sh
. bench/lib/processes.sh
ARGS=(alpha "two words" 3)

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for src in "$HERE"/*.c; do names+=("$(basename "$src" .c)"); done
fi

# Each run: a fresh data directory, in WORK, input.txt on stdin.
before_run() { rm -rf "$WORK/data" && mkdir -p "$WORK/data"; }
BENCH_CWD=$WORK
BENCH_STDIN=$HERE/input.txt

printf '%-10s | %12s | %13s | %14s | %22s | %12s | %12s | %8s | %s\n' program "tova default" "default again" "compiled ahead" "tova native, compiled" "tova interp" "node:wasi" "gcc -O2" check
printf -- '-----------|--------------|---------------|----------------|------------------------|--------------|--------------|----------|------\n'
status=0
for name in "${names[@]}"; do
  src=$HERE/$name.c
  if ! gcc -O2 -std=c11 -D_DEFAULT_SOURCE -ffp-contract=off -o "$WORK/$name.native" "$src" -lm 2>/dev/null ||
     ! clang --target=wasm32-wasi -O2 -ffp-contract=off -Wl,-z,stack-size=8388608 -o "$WORK/$name.wasm" "$src" 2>/dev/null; then
    echo "$name: cannot build (clang for wasm32-wasi and gcc are needed)"; status=1; continue
  fi
  w=$WORK/$name.wasm
  g=$(best_ms "$WORK/gcc.out" env -i GREETING=hello "$WORK/$name.native" "$WORK/data" "${ARGS[@]}")
  run_tova=("$TOVA" run --dir "$WORK/data::/data" --env GREETING=hello "$w" /data "${ARGS[@]}")
  d=$(best_ms "$WORK/default.out" "${run_tova[@]}")
  # Three runs fill the cache (each lists what it compiled after what it
  # linked); the timed runs are later runs of the program.
  for k in 1 2 3; do TOVA_CACHE_DIR="$WORK/again" "${run_tova[@]}" <"$HERE/input.txt" >/dev/null 2>&1; done
  a=$(TOVA_CACHE_DIR="$WORK/again" best_ms "$WORK/again.out" "${run_tova[@]}")
  TOVA_CACHE_DIR="$WORK/ahead" "$TOVA" compile "$w" >/dev/null
  p=$(TOVA_CACHE_DIR="$WORK/ahead" best_ms "$WORK/ahead.out" "${run_tova[@]}")
  # The first run fills the cache; the timed runs find every unit there.
  TOVA_TIER=native TOVA_CACHE_DIR="$WORK/cache" "${run_tova[@]}" <"$HERE/input.txt" >/dev/null 2>&1
  n=$(TOVA_TIER=native TOVA_CACHE_DIR="$WORK/cache" best_ms "$WORK/native.out" "${run_tova[@]}")
  i=$(TOVA_TIER=interp best_ms "$WORK/interp.out" "${run_tova[@]}")
  o=$(best_ms "$WORK/node.out" node --no-warnings "$HERE/node_wasi.mjs" --dir "$WORK/data::/data" --env GREETING=hello "$w" /data "${ARGS[@]}")
  check=ok
  for who in default again ahead native interp node; do
    cmp -s "$WORK/gcc.out" "$WORK/$who.out" || { check="DIFFERS ($who)"; status=1; }
  done
  printf '%-10s | %9s ms | %10s ms | %11s ms | %19s ms | %9s ms | %9s ms | %5s ms | %s\n' "$name" "$d" "$a" "$p" "$n" "$i" "$o" "$g" "$check"
done
exit $status
