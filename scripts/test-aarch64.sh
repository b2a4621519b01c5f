#!/usr/bin/env bash
# The engine on Linux AArch64, from an x86-64 machine: cross-built with
# Debian's gcc-aarch64-linux-gnu (the stencils by clang for
# aarch64-unknown-linux-gnu, as an AArch64 machine makes them) and run under
# qemu-user. Without LLVM (the native tier is tested natively); what it
# checks is the interpreter and the stencil tier's AArch64 code:
#   test_stencil (the same programs with and without the tier, every trap,
#   parking, interrupts, reloc.c's patching), the C tests that qemu can run,
#   the spec suite with stencils and without, the differential fuzzer's C
#   programs and random modules (with parking and with interrupts) against
#   Node's WebAssembly.
# Installs what it needs (apt-get). On an AArch64 machine, scripts/test.sh
# does all of this natively.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${TOVA_AARCH64_BUILD:-$ROOT/build-aarch64}

need=()
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/include/stdio.h ] || need+=(libc6-dev-arm64-cross)
if [ ${#need[@]} -gt 0 ]; then
  echo "test-aarch64: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

step() { echo; echo "=== AArch64 (qemu): $* ==="; }

step "build"
cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DTOVA_NATIVE=OFF -DTOVA_BUILD_ADDON=OFF -DTOVA_STENCILS=ON >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)" >/dev/null

# The fuzzer and the conformance runner take one program path: wrappers
# that run the AArch64 binaries under qemu.
QEMU="qemu-aarch64 -L /usr/aarch64-linux-gnu"
for b in diff_run tova_conformance; do
  printf '#!/bin/sh\nexec %s %s/%s "$@"\n' "$QEMU" "$BUILD" "$b" > "$BUILD/$b.qemu"
  chmod +x "$BUILD/$b.qemu"
done

step "C tests"
# test_memory_pool asks the kernel for transparent huge pages, which qemu-user
# does not pass through; diff_regressions runs below through the wrapper.
(cd "$BUILD" && ctest --parallel "$(nproc)" --output-on-failure -E '^(test_memory_pool|diff_regressions)$')
$QEMU "$BUILD/tova" --version | grep -q 'stencils on' || { echo "the AArch64 build has no stencil tier"; exit 1; }

step "conformance, stencil tier and plain interpreter"
TOVA_CONFORMANCE_BIN="$BUILD/tova_conformance.qemu" TOVA_TIER=interp \
  node scripts/conformance.js --baseline test/conformance/baseline.txt | tail -1
TOVA_CONFORMANCE_BIN="$BUILD/tova_conformance.qemu" TOVA_STENCIL=off TOVA_TIER=interp \
  node scripts/conformance.js --baseline test/conformance/baseline.txt | tail -1

step "differential fuzzing against Node's WebAssembly"
export TOVA_TIER=interp
node scripts/difffuzz.js --regressions --bin "$BUILD/diff_run.qemu"
node scripts/difffuzz.js --c-programs --bin "$BUILD/diff_run.qemu"
TOVA_DIFF_PARK=3 node scripts/difffuzz.js "${TOVA_AARCH64_FUZZ:-25}" 31 --no-reduce --bin "$BUILD/diff_run.qemu"
node scripts/difffuzz.js "${TOVA_AARCH64_FUZZ:-25}" 32 --no-reduce --interrupt random --bin "$BUILD/diff_run.qemu"
echo
echo "test-aarch64: all passed"
