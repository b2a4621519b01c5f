#!/usr/bin/env bash
# Native tier vs interpreter vs Node's WebAssembly on the bench/wasm kernels.
#   bench/native.sh [BUILD_DIR]     (default build/, needs build/tova built with LLVM)
#   QUICK=1 bench/native.sh         (small inputs, for a smoke run)
# Each kernel file is compiled with wat2wasm and run three ways, one process
# each, best of RUNS (default 3) wall-clock times:
#   interp  TOVA_TIER=interp tova run K.wasm --invoke F N
#   native  TOVA_TIER=native tova run K.wasm --invoke F N   (includes LLVM compile)
#   node    node: WebAssembly.instantiate + the same call (includes node startup)
# plus "compile" = TOVA_TIER=native tova run with a trivial argument (process
# start + LLVM compile of the module, ~no execution) and "node-call" = the
# call alone timed inside node. All results must agree or the script fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
tova="$build/tova"
runs="${RUNS:-3}"
[ -x "$tova" ] || { echo "no $tova (build the tova_cli target)"; exit 1; }
command -v wat2wasm > /dev/null || { echo "wat2wasm (wabt) is needed"; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ -n "${QUICK:-}" ]; then
  kernels=("fib fib 25 1" "loop sum_sq_mod 1000000 1" "loop mix 1000000 1" "sieve sieve 100000 2"
           "matmul matmul 32 1")
else
  kernels=("fib fib 35 1" "loop sum_sq_mod 100000000 1" "loop mix 100000000 1"
           "sieve sieve 10000000 2" "matmul matmul 256 1")
fi

now_ms() { date +%s%N | awk '{printf "%.1f", $1 / 1e6}'; }
# best_of CMD...: prints "ms output" of the fastest of $runs runs.
best_of() {
  local best="" out=""
  for _ in $(seq "$runs"); do
    local t0 t1 o
    t0=$(now_ms)
    o=$("$@")
    t1=$(now_ms)
    local d
    d=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}')
    if [ -z "$best" ] || awk -v d="$d" -v b="$best" 'BEGIN{exit !(d < b)}'; then
      best=$d
      out=$o
    fi
  done
  echo "$best $out"
}

cat > "$tmp/run.js" << 'EOF'
const fs = require('fs');
const [file, fn, arg] = process.argv.slice(2);
const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(file)));
const t0 = process.hrtime.bigint();
const r = instance.exports[fn](BigInt(arg));
const t1 = process.hrtime.bigint();
console.log(`${r} ${(Number(t1 - t0) / 1e6).toFixed(1)}`);
EOF

printf "%-22s %10s %10s %10s %10s %10s %8s\n" kernel interp_ms native_ms compile_ms node_ms node_call interp/nat
for k in "${kernels[@]}"; do
  set -- $k
  file=$1 fn=$2 n=$3 small=$4
  wasm="$tmp/$file.wasm"
  [ -f "$wasm" ] || wat2wasm "$root/bench/wasm/$file.wat" -o "$wasm"
  read -r ti ri < <(best_of env TOVA_TIER=interp "$tova" run "$wasm" --invoke "$fn" "$n")
  read -r tn rn < <(best_of env TOVA_TIER=native "$tova" run "$wasm" --invoke "$fn" "$n")
  read -r tc _ < <(best_of env TOVA_TIER=native "$tova" run "$wasm" --invoke "$fn" "$small")
  read -r tj rj tcall < <(best_of node "$tmp/run.js" "$wasm" "$fn" "$n")
  if [ "$ri" != "$rn" ] || [ "$ri" != "$rj" ]; then
    echo "MISMATCH $fn($n): interp $ri, native $rn, node $rj"
    exit 1
  fi
  ratio=$(awk -v a="$ti" -v b="$tn" 'BEGIN{printf "%.1fx", a / b}')
  printf "%-22s %10s %10s %10s %10s %10s %8s\n" "$fn($n)" "$ti" "$tn" "$tc" "$tj" "$tcall" "$ratio"
done

# CoreMark (../shared/programs/coremark, when present): the barebones port
# built for wasm32-wasi with no imports (its output goes to a buffer; "run"
# returns an FNV-1a hash of the text, which must be the same on every engine).
# Timing: the native run is (full run) - (instantiate + compile only).
cm_src="$root/../shared/programs/coremark"
if [ -d "$cm_src/barebones" ] && clang --target=wasm32-wasi -x c -c /dev/null -o /dev/null 2> /dev/null; then
  iters="${CM_ITERATIONS:-30000}"
  [ -n "${QUICK:-}" ] && iters=300
  cm="$tmp/coremark"
  mkdir -p "$cm"
  cp "$cm_src"/*.c "$cm_src"/*.h "$cm_src"/barebones/* "$cm"/
  # The port's three hooks: an output sink, a clock, no board init.
  sed -i 's|#error "You must implement the method uart_send_char to use this file!\\n";|extern void out_char(char c); out_char(c);|' "$cm/ee_printf.c"
  perl -0pi -e 's/#error \\\n\s*"You must implement a method to measure time[^\n]*\n/static CORETIMETYPE t = 0; return t += 1000;\n/; s/#error \\\n\s*"Call board initialization[^\n]*\n//' "$cm/core_portme.c"
  cat > "$cm/glue.c" << 'GLUE'
static char out[8192];
static unsigned out_n;
void out_char(char c) { if (out_n < sizeof out) out[out_n++] = c; }
int main(void);
__attribute__((export_name("run"))) long long run(long long unused) {
  (void)unused;
  out_n = 0;
  main();
  unsigned long long h = 1469598103934665603ull;
  for (unsigned i = 0; i < out_n; i++) h = (h ^ (unsigned char)out[i]) * 1099511628211ull;
  return (long long)h;
}
__attribute__((export_name("idle"))) long long idle(long long x) { return x; }
GLUE
  (cd "$cm" && clang --target=wasm32-wasi -O2 -nostartfiles -include stddef.h -Wno-macro-redefined \
    -Wl,--no-entry -DCLOCKS_PER_SEC=1000 -DITERATIONS="$iters" -DPERFORMANCE_RUN=1 \
    -DMAIN_HAS_NOARGC=1 -DFLAGS_STR='"-O2"' -I. core_list_join.c core_main.c core_matrix.c \
    core_state.c core_util.c core_portme.c cvt.c ee_printf.c glue.c -o coremark.wasm)
  cat > "$tmp/cm.js" << 'CMJS'
const fs = require('fs');
const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.argv[2])));
const t0 = process.hrtime.bigint();
const h = inst.exports.run(0n);
console.log(`${h} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)}`);
CMJS
  wasm="$cm/coremark.wasm"
  kb=$(awk -v b="$(stat -c %s "$wasm")" 'BEGIN{printf "%.1f", b / 1024}')
  read -r tn rn < <(best_of env TOVA_TIER=native "$tova" run "$wasm" --invoke run 0)
  read -r tc _ < <(best_of env TOVA_TIER=native "$tova" run "$wasm" --invoke idle 0)
  read -r tj rj tcall < <(best_of node "$tmp/cm.js" "$wasm")
  [ "$rn" = "$rj" ] || { echo "MISMATCH coremark: native $rn, node $rj"; exit 1; }
  run_ms=$(awk -v a="$tn" -v b="$tc" 'BEGIN{printf "%.1f", a - b}')
  echo
  echo "coremark ($iters iterations, ${kb} KB of wasm; output hash $rn on both):"
  echo "  native: ${tn} ms total, ${tc} ms start + compile ($(awk -v c="$tc" -v k="$kb" 'BEGIN{printf "%.0f", c / k}') ms/KB), ${run_ms} ms run = $(awk -v n="$iters" -v t="$run_ms" 'BEGIN{printf "%.0f", n / t * 1000}') iterations/s"
  echo "  node:   ${tj} ms total, ${tcall} ms run = $(awk -v n="$iters" -v t="$tcall" 'BEGIN{printf "%.0f", n / t * 1000}') iterations/s"
fi
