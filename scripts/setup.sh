#!/usr/bin/env bash
# Installs what tova_runtime needs on a fresh Debian machine (as root, or with
# sudo), then builds the addon through `npm install`. Safe to run again: it
# installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v clang >/dev/null || need+=(clang)
# libFuzzer and the sanitizer runtimes for clang.
[ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] || \
  ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# wabt assembles the WAT fixtures of the JS tests; clang + lld + wasi-libc +
# the wasm32 compiler runtime build the C programs and CoreMark for WASI.
command -v wat2wasm >/dev/null || need+=(wabt)
# binaryen's wasm-opt -ttf makes the differential fuzzer's modules.
command -v wasm-opt >/dev/null || need+=(binaryen)
# LLVM 19 for the native tier (the build works without it: interpreter only).
# (Only 19+ counts: clang may have brought an older LLVM that CMake would skip.)
command -v llvm-config-19 >/dev/null || [ -e /usr/lib/llvm-19/lib/cmake/llvm/LLVMConfig.cmake ] || need+=(llvm-19-dev)
# libzstd.a: LLVM's static libraries need it when the prebuilt addon links
# LLVM in (scripts/prebuild.js, run by the install test).
[ -e /usr/lib/x86_64-linux-gnu/libzstd.a ] || [ -e /usr/lib/aarch64-linux-gnu/libzstd.a ] || need+=(libzstd-dev)
command -v wasm-ld >/dev/null || command -v wasm-ld-14 >/dev/null || need+=(lld)
[ -e /usr/include/wasm32-wasi/stdio.h ] || need+=(wasi-libc)
ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev-wasm32)
if [ "${TOVA_SETUP_BENCH:-0}" = 1 ]; then
  command -v go >/dev/null || need+=(golang-go)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# npm install brings the pinned node-api-headers and Bun, then builds the C
# core and the addon (scripts/build-addon.js) into build/.
npm install --no-audit --no-fund
