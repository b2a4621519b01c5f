# bench/lib/processes.sh: what the benchmarks of whole processes
# (programs.sh, long-main.sh) share. Sourced after `cd` to the project
# root, with NAME (the script's name, for messages) set.
#   TOVA (default build/tova), RUNS (BENCH_RUNS, default 3), WORK (a
#   directory removed at exit); the script exits 0, saying why, when clang,
#   gcc, node or the tova CLI is missing.
TOVA=${TOVA:-$PWD/build/tova}
RUNS=${BENCH_RUNS:-3}
# A process's first run, as on a machine that never ran the program: no
# code cache unless the caller names one (the columns that measure a
# program run again use their own, filled by earlier runs).
export TOVA_CACHE_DIR="${TOVA_CACHE_DIR-}"
for tool in clang gcc node; do
  command -v "$tool" >/dev/null || { echo "$NAME: $tool not found, skipped"; exit 0; }
done
[ -x "$TOVA" ] || { echo "$NAME: $TOVA is not built, skipped"; exit 0; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tova-bench-${NAME%.sh}-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# best_ms OUT CMD...: best wall time of RUNS runs (ms), stdout of the last
# in OUT. Each run is preceded by before_run (define it to reset state;
# none by default), reads BENCH_STDIN (default /dev/null) and runs in
# BENCH_CWD (default the current directory).
before_run() { :; }
best_ms() {
  local out=$1 best='' t s
  shift
  for _ in $(seq "$RUNS"); do
    before_run
    s=$(date +%s%N)
    (cd "${BENCH_CWD:-.}" && "$@") <"${BENCH_STDIN:-/dev/null}" >"$out" 2>/dev/null
    t=$(( ($(date +%s%N) - s) / 1000000 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  echo "$best"
}

# compare_header LABEL, compare_row LABEL NATIVE WASM ARGS...: a table of
# one program per row: the gcc -O2 build NATIVE, `tova run WASM` in its
# default tier and interpreted, and Node's WebAssembly (node:wasi), each
# given ARGS, best of RUNS (ms), and whether each output is gcc's
# (status=1 when one is not).
status=0
compare_header() {
  printf '%-16s | %12s | %12s | %12s | %9s | %s\n' "$1" "tova default" "tova interp" "node:wasi" "gcc -O2" check
  printf -- '-----------------|--------------|--------------|--------------|-----------|------\n'
}
compare_row() {
  local label=$1 native=$2 wasm=$3 g d i o check who
  shift 3
  g=$(best_ms "$WORK/gcc.out" "$native" "$@")
  d=$(best_ms "$WORK/default.out" "$TOVA" run "$wasm" "$@")
  i=$(TOVA_TIER=interp best_ms "$WORK/interp.out" "$TOVA" run "$wasm" "$@")
  o=$(best_ms "$WORK/node.out" node --no-warnings "$PWD/test/programs/node_wasi.mjs" "$wasm" "$@")
  check="ok $(cat "$WORK/gcc.out")"
  for who in default interp node; do
    cmp -s "$WORK/gcc.out" "$WORK/$who.out" || { check="DIFFERS ($who)"; status=1; }
  done
  printf '%-16s | %9s ms | %9s ms | %9s ms | %6s ms | %s\n' "$label" "$d" "$i" "$o" "$g" "$check"
}
