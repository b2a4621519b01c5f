#!/usr/bin/env bash
# Checks that the package installs and works as a dependency, the way users get
# it: `npm run prebuild` (this platform's addon and CLI into prebuilds/), then
# `npm pack`, then, in fresh temp projects, install the tarball
#   1. with npm (install scripts run: they find the prebuild and build nothing)
#   2. with npm --ignore-scripts
#   3. with bun add (Bun does not run an untrusted dependency's scripts)
#   4. with npm and TOVA_BUILD_FROM_SOURCE=1 (the path of a platform without a
#      prebuild: cmake + C compiler in the consumer's node_modules); skipped
#      with PACK_TEST_SKIP_SOURCE=1
# and run a script using tasks, channels, execWasm and compile under Node and
# under Bun, plus the `tova` bin. Exits non-zero on the first failure.
# Works offline once the npm/bun caches hold node-api-headers (--prefer-offline).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUN=${BUN:-$ROOT/node_modules/.bin/bun}
[ -x "$BUN" ] || BUN=$(command -v bun)
unset TOVA_RUNTIME_PATH

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tova-pack-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n=== pack-test: %s ===\n' "$*"; }
now() { date +%s; }
T0=$(now)

step "npm run prebuild"
npm run --silent prebuild
PLATFORM_DIR=prebuilds/$(node -p 'process.platform + "-" + process.arch')
ls "$PLATFORM_DIR"
# Whether the prebuilt addon carries the native tier (LLVM linked in): then
# every install must have it, and it runs the smoke test forced native too.
EXPECT_NATIVE=$(node -e "console.log(/native/.test(require('./$PLATFORM_DIR/' + require('./lib/prebuilds.js').addonFileName()).runtimeInfo()) ? 1 : 0)")
echo "prebuilt addon has the native tier: $EXPECT_NATIVE"

step "npm pack"
TGZ=$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -n 1)
tar tzf "$TGZ" > "$WORK/contents.txt"
for f in package/index.js package/lib/prebuilds.js package/bin/tova.js package/scripts/build-addon.js \
         package/CMakeLists.txt package/include/tova.h "package/$PLATFORM_DIR/tova"; do
  grep -qx "$f" "$WORK/contents.txt" || { echo "pack-test: $f is missing from the tarball"; exit 1; }
done
grep -q "^package/$PLATFORM_DIR/tova_runtime\.napi.*\.node$" "$WORK/contents.txt" ||
  { echo "pack-test: no prebuilt addon for $PLATFORM_DIR in the tarball"; exit 1; }
if grep -q '^package/build/' "$WORK/contents.txt"; then echo "pack-test: build/ leaked into the tarball"; exit 1; fi
echo "$(basename "$TGZ"): $(wc -l < "$WORK/contents.txt") files, $(du -k "$TGZ" | cut -f1) KiB"

# What a user's script does: tasks, channels, WebAssembly, and where the addon
# came from (expected: the package's prebuilds/, or build/ for a source build).
cat > "$WORK/smoke.js" <<'JS'
'use strict';
const assert = require('assert');
const path = require('path');
const tova = require('tova_runtime');
const expectFrom = process.argv[2]; // 'prebuilds' or 'build'
(async () => {
  assert.strictEqual(tova.isRuntimeAvailable(), true, String(tova.runtimeLoadError()));
  const from = path.relative(path.dirname(require.resolve('tova_runtime')), tova.runtimePath());
  assert.strictEqual(from.split(path.sep)[0], expectFrom, `addon loaded from ${tova.runtimePath()}`);
  assert.strictEqual(tova.healthCheck(), 'tova_runtime ok');
  if (process.env.EXPECT_NATIVE === '1' && expectFrom === 'prebuilds')
    assert.match(tova.runtimeInfo(), /native \(LLVM/, 'the prebuilt addon lost its native tier');
  assert.strictEqual(await tova.spawnTask(41), 41);
  assert.deepStrictEqual(await tova.concurrentAll([1, 2, 3]), [1, 2, 3]);
  const ch = tova.channelCreate(2);
  tova.channelSend(ch, 5);
  const later = tova.channelRecv(ch);
  assert.strictEqual(await later, 5);
  tova.channelClose(ch);
  assert.strictEqual(tova.channelReceive(ch), null);
  // (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
  const add = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2, 1, 0,
    7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11]);
  assert.strictEqual(await tova.execWasm(add, 'add', [2, 3]), 5);
  assert.deepStrictEqual(await tova.concurrentWasm([{ wasm: add, func: 'add', args: [1, 1] }]), [2]);
  assert.deepStrictEqual(tova.compile(add).exports.map((e) => e.name), ['add']);
  console.log(`ok (${typeof Bun === 'undefined' ? 'node ' + process.version : 'bun ' + Bun.version}, ${from})`);
})().catch((e) => { console.error(e); process.exit(1); });
JS
printf '\x00asm\x01\x00\x00\x00' > "$WORK/empty.wasm"

# project NAME EXPECT_FROM INSTALL-COMMAND...: a fresh project, the tarball
# installed by the command, the smoke script under Node and Bun, the tova bin.
project() {
  local name=$1 from=$2
  shift 2
  local dir=$WORK/$name t=$(now)
  step "$name: $*"
  mkdir -p "$dir"
  printf '{ "name": "pack-test-%s", "version": "1.0.0", "private": true }\n' "$name" > "$dir/package.json"
  (cd "$dir" && "$@")
  cp "$WORK/smoke.js" "$dir/smoke.js"
  (cd "$dir" && export EXPECT_NATIVE && node smoke.js "$from" && "$BUN" smoke.js "$from")
  if [ "$EXPECT_NATIVE" = 1 ] && [ "$from" = prebuilds ]; then
    (cd "$dir" && EXPECT_NATIVE=1 TOVA_TIER=native node smoke.js "$from")
  fi
  [ "$(cd "$dir" && node_modules/.bin/tova validate "$WORK/empty.wasm")" = ok ] ||
    { echo "pack-test: the tova bin does not work in $name"; exit 1; }
  # The prebuilt CLI loads the same LLVM backend as the addon.
  if [ "$EXPECT_NATIVE" = 1 ] && [ "$from" = prebuilds ]; then
    (cd "$dir" && node_modules/.bin/tova --version | grep -q 'native (LLVM') ||
      { echo "pack-test: the prebuilt tova CLI lost its native tier in $name"; exit 1; }
  fi
  echo "$name: passed in $(( $(now) - t )) s"
}

NPM_FLAGS=(--no-audit --no-fund --prefer-offline --loglevel=error)
project npm prebuilds npm install "${NPM_FLAGS[@]}" "$TGZ"
project npm-ignore-scripts prebuilds npm install "${NPM_FLAGS[@]}" --ignore-scripts "$TGZ"
project bun prebuilds "$BUN" add --prefer-offline "$TGZ"

# A platform without a prebuild and without cmake: the install must fail and
# say what is missing (never "succeed" without an addon).
step "npm install without a usable prebuild and without cmake fails loudly"
mkdir -p "$WORK/nocmake/bin" "$WORK/nocmake/project"
for tool in node npm sh; do ln -s "$(command -v "$tool")" "$WORK/nocmake/bin/$tool"; done
printf '{ "name": "pack-test-nocmake", "version": "1.0.0", "private": true }\n' > "$WORK/nocmake/project/package.json"
if (cd "$WORK/nocmake/project" && env PATH="$WORK/nocmake/bin" TOVA_BUILD_FROM_SOURCE=1 \
      npm install "${NPM_FLAGS[@]}" "$TGZ" > "$WORK/nocmake/log" 2>&1); then
  echo "pack-test: the install succeeded without cmake"; exit 1
fi
grep -q 'cmake is not installed' "$WORK/nocmake/log" ||
  { echo "pack-test: the failed install does not say cmake is missing:"; cat "$WORK/nocmake/log"; exit 1; }
echo "failed as it should: $(grep -m1 'cannot build the native addon' "$WORK/nocmake/log")"

if [ "${PACK_TEST_SKIP_SOURCE:-0}" != 1 ]; then
  project npm-from-source build env TOVA_BUILD_FROM_SOURCE=1 npm install "${NPM_FLAGS[@]}" --foreground-scripts "$TGZ"
fi
echo
echo "pack-test: all passed in $(( $(now) - T0 )) s"
