#!/usr/bin/env bash
# run.sh: the C programs of test/programs, each built natively (gcc -O2) and
# for wasm32-wasi (clang -O2), then run three ways: natively, under Node's
# node:wasi and under `tova run`. Standard output, standard error, the exit
# status and the files each run leaves in its data directory must be
# identical. Prints one line per program and "N passed, M failed"; exits
# non-zero on any difference.
#   bash test/programs/run.sh [NAME...]      (default: every *.c here)
# Environment: TOVA (default build/tova), WASM_OPT (clang's optimisation level
# for the .wasm, default -O2: other levels give other code shapes), KEEP=1
# keeps the work directory, TOVA_AGAIN=1 runs `tova run` a second time
# (compared the same way: with TOVA_CACHE_DIR set, the second process links
# what the first compiled, docs/native-tier.md).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/test/programs
TOVA=${TOVA:-$ROOT/build/tova}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tova-programs-XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$TOVA" ]; then echo "run.sh: $TOVA is not built" >&2; exit 2; fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for src in "$HERE"/*.c; do names+=("$(basename "$src" .c)"); done
fi

# Every program gets the same arguments, environment and standard input.
ARGS=(alpha "two words" 3)
INPUT=$HERE/input.txt

passed=0
failed=0
for name in "${names[@]}"; do
  src=$HERE/$name.c
  w=$WORK/$name
  mkdir -p "$w"
  # -ffp-contract=off: a compiler may otherwise fuse a*b+c into one rounding
  # (clang does when it folds constants), and the runs would differ by design.
  # The wasm stack (in linear memory) gets the 8 MiB a native main thread has.
  if ! gcc -O2 -std=c11 -D_DEFAULT_SOURCE -ffp-contract=off -o "$w/native" "$src" -lm 2>"$w/build.log" ||
     ! clang --target=wasm32-wasi "${WASM_OPT:--O2}" -ffp-contract=off -Wl,-z,stack-size=8388608 -o "$w/prog.wasm" "$src" 2>>"$w/build.log"; then
    echo "FAIL $name (build)"; sed 's/^/    /' "$w/build.log"; failed=$((failed + 1)); continue
  fi
  hows="native node tova"
  [ "${TOVA_AGAIN:-0}" = 1 ] && hows="$hows tova2"
  for how in $hows; do
    mkdir -p "$w/$how.data"
    case $how in
      native) (cd "$w" && env -i GREETING=hello "$w/native" "$w/$how.data" "${ARGS[@]}") ;;
      node) node --no-warnings "$HERE/node_wasi.mjs" --dir "$w/$how.data::/data" --env GREETING=hello \
              "$w/prog.wasm" /data "${ARGS[@]}" ;;
      tova|tova2) "$TOVA" run --dir "$w/$how.data::/data" --env GREETING=hello --timeout 120000 \
              "$w/prog.wasm" /data "${ARGS[@]}" ;;
    esac <"$INPUT" >"$w/$how.out" 2>"$w/$how.err"
    echo $? >"$w/$how.status"
    (cd "$w/$how.data" && find . -type f -exec cksum {} + | sort) >"$w/$how.files"
  done
  diffs=""
  for how in ${hows#native }; do
    for part in out err status files; do
      cmp -s "$w/native.$part" "$w/$how.$part" || diffs="$diffs $how.$part"
    done
  done
  if [ -z "$diffs" ]; then
    echo "ok   $name (exit $(cat "$w/native.status"))"; passed=$((passed + 1))
  else
    echo "FAIL $name:$diffs differ from the native run"; failed=$((failed + 1))
    for d in $diffs; do
      echo "  --- native.${d#*.} vs $d"
      diff "$w/native.${d#*.}" "$w/$d" | head -20 | sed 's/^/    /'
    done
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
