#!/usr/bin/env bash
# test/js's tests of the runtime under the sanitizers, as JS drives them: the
# addon built with -fsanitize (gcc) and loaded into Node with gcc's sanitizer
# runtime preloaded, through test/js/node/run.js (a bun:test shim; Bun cannot
# host the sanitizers: its own threads trip TSan's interceptors).
#   ASan+UBSan: parking, channels, random-channels, tasks, wasi, workers,
#               wasm, hardening, exit and api-fuzz (whose children run under
#               ASan too: they inherit the preload)
#   TSan:       the concurrent ones (parking, channels, random-channels,
#               tasks, wasi, workers, wasm)
# each with every function interpreted and then every function native (TSan)
# or in the default tier (ASan). Node's own code is not instrumented:
# ignore_noninstrumented_modules keeps TSan to the addon's code, and leak
# checking is off (Node does not free everything at exit; the C tests check
# leaks). Any report fails the run.
#   bash scripts/sanitize-js.sh [asan|tsan]   (after scripts/setup.sh; Linux, gcc)
set -euo pipefail
cd "$(dirname "$0")/.."
# No code cache here (the addon keeps one in the user's cache directory by
# default): under ASan the compiler thread is several times slower, and
# hashing each module and storing each unit kept dropped 8 MiB modules
# queued long enough for hardening.test.js's bound on resident memory to
# fail now and then (280-333 MiB against 256; the release build grows the
# same with and without the cache). The cache's code is checked by
# test/js/native-cache.test.js and the C programs and fuzzed modules run
# twice over one cache.
export TOVA_CACHE_DIR=
JOBS=$(nproc 2>/dev/null || echo 2)
which=${1:-all}
if [ "$(uname)" != Linux ]; then
  echo "sanitize-js.sh: needs Linux (gcc's sanitizer runtimes preloaded into node): skipped"
  exit 0
fi
SYM=$(command -v llvm-symbolizer || ls /usr/bin/llvm-symbolizer-* 2>/dev/null | head -1 || true)

# build_copy SANITIZE DIR: a scratch copy of the package in DIR whose build/
# holds the addon built with -fsanitize=SANITIZE (index.js loads
# build/tova_runtime.node first), with the tests beside it.
build_copy() {
  local san=$1 dir=$2 bdir=build-js-${1//,/-}
  cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DTOVA_SANITIZE="$san" >/dev/null
  local targets=(--target tova_addon)
  cmake --build "$bdir" --target help 2>/dev/null | grep -q ' tova_llvm$' && targets+=(--target tova_llvm)
  cmake --build "$bdir" -j"$JOBS" "${targets[@]}" >/dev/null
  mkdir -p "$dir/build" "$dir/test"
  cp -r index.js index.d.ts package.json lib "$dir/"
  [ -d node_modules ] && ln -s "$PWD/node_modules" "$dir/node_modules"
  cp -r test/js "$dir/test/"
  cp "$bdir/tova_runtime.node" "$dir/build/"
  if [ -f "$bdir/tova_llvm.so" ]; then cp "$bdir/tova_llvm.so" "$dir/build/"; fi
}

# run RUNTIME_LIB LABEL TIER TESTS...: the tests under node, the library preloaded.
run() {
  local lib=$1 label=$2 tier=$3
  shift 3
  echo "--- $label, TOVA_TIER=$tier"
  (cd "$WORK/$label" && TOVA_TIER=$tier LD_PRELOAD="$lib" node --expose-gc test/js/node/run.js "$@") |
    grep -v '^(pass)' || { echo "sanitize-js.sh: failed under $label, TOVA_TIER=$tier"; exit 1; }
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tova-sanitize-js-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CONCURRENT=(parking channels random-channels tasks wasi workers wasm)

if [ "$which" = all ] || [ "$which" = asan ]; then
  ASAN_RT=$(gcc -print-file-name=libasan.so)
  if [ -f "$ASAN_RT" ]; then
    build_copy address,undefined "$WORK/asan"
    # quarantine_size_mb: the default (256 MiB of freed memory kept resident)
    # would fail hardening.test.js's bound on resident memory by itself.
    export ASAN_OPTIONS="detect_leaks=0 allocator_may_return_null=1 quarantine_size_mb=32${SYM:+ external_symbolizer_path=$SYM}"
    export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
    run "$ASAN_RT" asan tiered "${CONCURRENT[@]}" hardening exit api-fuzz
    run "$ASAN_RT" asan interp "${CONCURRENT[@]}"
  else
    echo "sanitize-js.sh: no libasan.so from gcc: ASan pass skipped"
  fi
fi
if [ "$which" = all ] || [ "$which" = tsan ]; then
  TSAN_RT=$(gcc -print-file-name=libtsan.so)
  if [ -f "$TSAN_RT" ]; then
    build_copy thread "$WORK/tsan"
    export TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1${SYM:+ external_symbolizer_path=$SYM}"
    run "$TSAN_RT" tsan interp "${CONCURRENT[@]}"
    run "$TSAN_RT" tsan native "${CONCURRENT[@]}"
  else
    echo "sanitize-js.sh: no libtsan.so from gcc: TSan pass skipped"
  fi
fi
