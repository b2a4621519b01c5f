#!/usr/bin/env bash
# The runtime's concurrency tests of test/js (parking, channels, tasks, wasi,
# workers, wasm, random-channels) under ThreadSanitizer, as JS drives them: the addon
# built with -fsanitize=thread (gcc) and loaded into Node with gcc's TSan
# runtime preloaded, every function interpreted and then every function
# native. Bun cannot host TSan (its own threads trip TSan's interceptors);
# Node's code is not instrumented and ignore_noninstrumented_modules keeps
# TSan to the addon's code, whose every race report fails the run.
#   bash scripts/tsan-js.sh   (after scripts/setup.sh; Linux with gcc's libtsan)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)
TSAN_RT=$(gcc -print-file-name=libtsan.so 2>/dev/null || true)
if [ "$(uname)" != Linux ] || [ ! -f "$TSAN_RT" ]; then
  echo "tsan-js.sh: needs Linux and gcc's libtsan.so (preloaded into node): skipped"
  exit 0
fi
cmake -S . -B build-tsan-addon -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
  -DTOVA_SANITIZE=thread >/dev/null
targets=(--target tova_addon)
grep -q '^tova_llvm' <(cmake --build build-tsan-addon --target help 2>/dev/null | sed 's/^\.\.\. //') && targets+=(--target tova_llvm)
cmake --build build-tsan-addon -j"$JOBS" "${targets[@]}" >/dev/null
# A scratch copy of the package whose build/ holds the TSan addon (index.js
# loads build/tova_runtime.node first), with the tests beside it.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tova-tsan-js-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/build" "$WORK/test"
cp -r index.js package.json lib "$WORK/"
cp -r test/js "$WORK/test/"
cp build-tsan-addon/tova_runtime.node "$WORK/build/"
[ -f build-tsan-addon/tova_llvm.so ] && cp build-tsan-addon/tova_llvm.so "$WORK/build/"
SYM=$(command -v llvm-symbolizer || ls /usr/bin/llvm-symbolizer-* 2>/dev/null | head -1 || true)
export TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1${SYM:+ external_symbolizer_path=$SYM}"
for tier in interp native; do
  echo "--- TOVA_TIER=$tier"
  (cd "$WORK" && TOVA_TIER=$tier LD_PRELOAD="$TSAN_RT" node test/js/node/run.js parking channels random-channels tasks wasi workers wasm) |
    grep -v '^(pass)' || { echo "tsan-js.sh: failed under TOVA_TIER=$tier"; exit 1; }
done
