# bench/lib/processes.sh: what the benchmarks of whole processes
# (programs.sh, long-main.sh) share. Sourced after `cd` to the project
# root, with NAME (the script's name, for messages) set.
#   TOVA (default build/tova), RUNS (BENCH_RUNS, default 3), WORK (a
#   directory removed at exit); the script exits 0, saying why, when clang,
#   gcc, node or the tova CLI is missing.
TOVA=${TOVA:-$PWD/build/tova}
RUNS=${BENCH_RUNS:-3}
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
