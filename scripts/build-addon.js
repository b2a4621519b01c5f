#!/usr/bin/env node
// Builds the C core, the CLI and the N-API addon from source with CMake
// (Release) into build/. Nothing built is committed.
//
//   node scripts/build-addon.js            build from source (`npm run build`)
//   node scripts/build-addon.js --install  the package's install script: when a
//       prebuilt addon in prebuilds/ fits this platform and loads, and nothing
//       was built from source here before, there is nothing to do; otherwise
//       build. Set TOVA_BUILD_FROM_SOURCE=1 (or `npm install --build-from-source`)
//       to build anyway.
//   --targets a,b   build only these CMake targets (default: all)
//
// A build that cannot produce the addon fails loudly, saying what is missing:
// an install must never "succeed" without a working addon.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const { join, dirname } = require('path');
const os = require('os');
const prebuilds = require('../lib/prebuilds.js');

const root = join(__dirname, '..');
// TOVA_BUILD_DIR: another build folder (the prebuild uses its own, so the
// development build/ keeps its configuration).
const build = process.env.TOVA_BUILD_DIR ? join(root, process.env.TOVA_BUILD_DIR) : join(root, 'build');
const addon = join(build, 'tova_runtime.node');
const args = process.argv.slice(2);
const installing = args.includes('--install');
const targetsAt = args.indexOf('--targets');
const targets = targetsAt >= 0 ? args[targetsAt + 1].split(',') : [];

function fail(why) {
  console.error(`tova_runtime: cannot build the native addon from source: ${why}`);
  process.exit(1);
}

function truthy(v) {
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

/** Does this addon file load in a fresh Node process and answer healthCheck? */
function loads(file) {
  const r = spawnSync(process.execPath, ['-e', `process.exit(require(${JSON.stringify(file)}).healthCheck() === 'tova_runtime ok' ? 0 : 1)`],
    { stdio: 'ignore', timeout: 30000 });
  return r.status === 0;
}

function forced() {
  return truthy(process.env.TOVA_BUILD_FROM_SOURCE) || truthy(process.env.npm_config_build_from_source);
}

function usablePrebuild() {
  if (forced()) return null;
  if (fs.existsSync(addon)) return null; /* a from-source checkout: keep it current */
  return prebuilds.matchingAddons(root).find(loads) || null;
}

function napiInclude() {
  try {
    return join(dirname(require.resolve('node-api-headers/package.json', { paths: [root] })), 'include');
  } catch (_) {
    return fail('the node-api-headers package is missing (it is a dependency of tova_runtime; ' +
      'reinstall the package, or run `npm install` in ' + root + ')');
  }
}

function have(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error;
}

function run(cmd, argv) {
  execFileSync(cmd, argv, { cwd: root, stdio: 'inherit' });
}

if (installing) {
  const pre = usablePrebuild();
  if (pre) {
    console.log(`tova_runtime: using the prebuilt addon ${pre}`);
    process.exit(0);
  }
}

const include = napiInclude();
if (!fs.existsSync(join(include, 'node_api.h'))) fail(`${include}/node_api.h is missing`);
if (!have('cmake')) {
  fail('cmake is not installed (needs cmake >= 3.18 and a C11 compiler: e.g. ' +
    '`apt-get install cmake gcc`, `brew install cmake` with the Xcode command line tools); ' +
    (forced() ? 'TOVA_BUILD_FROM_SOURCE is set' : `no prebuilt addon fits ${process.platform}-${process.arch}`));
}
const jobs = String(Math.max(1, Math.min(os.cpus().length, 8)));
try {
  // TOVA_NATIVE=AUTO|ON|OFF: the LLVM native tier (AUTO: when LLVM 19+ is found).
  // TOVA_LLVM_STATIC=1: link LLVM statically (a prebuild carries the tier).
  const native = process.env.TOVA_NATIVE ? [`-DTOVA_NATIVE=${process.env.TOVA_NATIVE}`] : [];
  if (process.env.TOVA_LLVM_STATIC) native.push(`-DTOVA_LLVM_STATIC=${process.env.TOVA_LLVM_STATIC === '1' ? 'ON' : 'OFF'}`);
  run('cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release', `-DTOVA_NAPI_INCLUDE=${include}`, ...native]);
  const which = targets.length ? ['--target', ...targets] : [];
  run('cmake', ['--build', build, '--parallel', jobs, ...which]);
} catch (e) {
  fail(`${e.message.split('\n')[0]} (needs cmake >= 3.18 and a C11 compiler; see the output above)`);
}
if ((!targets.length || targets.includes("tova_addon")) && !fs.existsSync(addon))
  fail(`the build finished but produced no ${addon} (see the CMake output above)`);
