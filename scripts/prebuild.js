#!/usr/bin/env node
// `npm run prebuild`: builds the addon and the CLI for the platform it runs on
// and puts them where the package looks for prebuilt binaries
// (lib/prebuilds.js): prebuilds/<platform>-<arch>/tova_runtime.napi[.libc].node
// and prebuilds/<platform>-<arch>/tova. Run it on each platform to ship, then
// `npm pack` / `npm publish` with every platform's prebuilds/ folder in place.
// The addon is Node-API (version 8), so one file serves every Node >= 12.22
// and Bun.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const { join } = require('path');
const prebuilds = require('../lib/prebuilds.js');

const root = join(__dirname, '..');
// Its own build folder, without the LLVM native tier: a prebuilt addon must
// load on machines without LLVM's shared library (a from-source build gets
// the native tier wherever LLVM 19+ is installed).
const build = join(root, 'build-prebuild');

execFileSync(process.execPath, [join(__dirname, 'build-addon.js'), '--targets', 'tova_addon,tova_cli'],
  { cwd: root, stdio: 'inherit',
    env: { ...process.env, TOVA_BUILD_FROM_SOURCE: '1', TOVA_BUILD_DIR: 'build-prebuild', TOVA_NATIVE: 'OFF' } });

const dir = prebuilds.prebuildDir(root);
fs.mkdirSync(dir, { recursive: true });
const outputs = [
  [join(build, 'tova_runtime.node'), join(dir, prebuilds.addonFileName())],
  [join(build, 'tova'), prebuilds.cliPath(root)],
];
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
  ['-e', `console.log(require(${JSON.stringify(addon)}).healthCheck())`], { encoding: 'utf8' });
if (check.status !== 0 || check.stdout.trim() !== 'tova_runtime ok') {
  console.error(`prebuild: ${addon} does not load: ${check.stderr || check.stdout}`);
  process.exit(1);
}
for (const [, to] of outputs) console.log(`prebuild: ${to} (${fs.statSync(to).size} bytes)`);
