#!/usr/bin/env node
// `npm run prebuild`: builds the addon and the CLI for the platform it runs on
// and puts them where the package looks for prebuilt binaries
// (lib/prebuilds.js): prebuilds/<platform>-<arch>/tova_runtime.napi[.libc].node
// and prebuilds/<platform>-<arch>/tova, with their native tier (both load it)
// tova_llvm[.libc].so. Run it on each platform to ship, then
// `npm pack` / `npm publish` with every platform's prebuilds/ folder in place.
// The addon is Node-API (version 8), so one file serves every Node >= 12.22
// and Bun.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const { join } = require('path');
const prebuilds = require('../lib/prebuilds.js');

const root = join(__dirname, '..');

function buildInto(dir, targets, env) {
  const r = spawnSync(process.execPath, [join(__dirname, 'build-addon.js'), '--targets', targets],
    { cwd: root, stdio: 'inherit',
      env: { ...process.env, TOVA_BUILD_FROM_SOURCE: '1', TOVA_BUILD_DIR: dir, ...env } });
  return r.status === 0;
}

// The addon carries the native tier with LLVM linked statically, so it needs
// no LLVM where it is installed (a from-source build uses the machine's
// LLVM 19+ instead). Without LLVM 19 and libzstd.a here, the prebuild is the
// interpreter alone, and says so (TOVA_PREBUILD_NATIVE=0 asks for that).
// The CLI is built with the addon: both small, both loading the one LLVM
// backend file beside them (tova_llvm.<libc>.so) when they first compile.
let addonDir = 'build-prebuild';
let native = process.env.TOVA_PREBUILD_NATIVE !== '0' &&
  buildInto(addonDir, 'tova_addon,tova_cli', { TOVA_NATIVE: 'ON', TOVA_LLVM_STATIC: '1' });
if (!native) {
  console.error('prebuild: no native tier in this prebuild (needs LLVM 19 static libraries and libzstd.a)');
  addonDir = 'build-prebuild-interp';
  if (!buildInto(addonDir, 'tova_addon,tova_cli', { TOVA_NATIVE: 'OFF' })) process.exit(1);
}

const dir = prebuilds.prebuildDir(root);
fs.mkdirSync(dir, { recursive: true });
const outputs = [
  [join(root, addonDir, 'tova_runtime.node'), join(dir, prebuilds.addonFileName())],
  [join(root, addonDir, 'tova'), prebuilds.cliPath(root)],
];
// The native tier is a file of its own beside the addon (LLVM, loaded on
// first use: src/engine/native/backend.h). A stale one from another build
// would be refused at load; remove it with an interpreter-only prebuild.
const backendTo = join(dir, prebuilds.backendFileName());
if (native) outputs.push([join(root, addonDir, 'tova_llvm.so'), backendTo]);
else fs.rmSync(backendTo, { force: true });
for (const [from, to] of outputs) {
  fs.copyFileSync(from, to);
  // Symbols are for debugging the build, not for users: smaller package.
  // -x keeps the dynamic symbols a .node needs; skipped where strip is absent.
  spawnSync('strip', ['-x', to], { stdio: 'ignore' });
  fs.chmodSync(to, 0o755);
}

// The prebuild must load on its own (no build/ beside it).
const addon = outputs[0][1];
const check = spawnSync(process.execPath,
  ['-e', `const a = require(${JSON.stringify(addon)}); console.log(a.healthCheck()); console.log(a.runtimeInfo())`],
  { encoding: 'utf8' });
if (check.status !== 0 || check.stdout.split('\n')[0].trim() !== 'tova_runtime ok') {
  console.error(`prebuild: ${addon} does not load: ${check.stderr || check.stdout}`);
  process.exit(1);
}
for (const [, to] of outputs) console.log(`prebuild: ${to} (${fs.statSync(to).size} bytes)`);
console.log(`prebuild: addon ${check.stdout.split('\n')[1]}`);
