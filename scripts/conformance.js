#!/usr/bin/env node
// Runs the official WebAssembly 2.0 test suite against the engine:
//   npm run conformance [-- [options] [SUITE_DIR]]
// SUITE_DIR defaults to ../shared/wasm-spec-2.0/json beside the project. When
// it is absent there is nothing to run: say so and succeed. Options are passed
// to test/conformance's tova_conformance (--baseline FILE, --write-baseline
// FILE, --update-docs FILE, --verbose, --no-fork, --timeout SEC). The runner
// is built (or brought up to date) in build/ with CMake first;
// TOVA_CONFORMANCE_BIN=path runs that binary instead.
'use strict';
const { spawnSync } = require('child_process');
const { existsSync } = require('fs');
const { join, resolve } = require('path');
const os = require('os');

const root = join(__dirname, '..');
const build = join(root, 'build');
const pathOptions = new Set(['--baseline', '--write-baseline', '--update-docs']);

const options = [];
const dirs = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (pathOptions.has(a) && i + 1 < argv.length) options.push(a, resolve(argv[++i]));
  else if (a === '--timeout' && i + 1 < argv.length) options.push(a, argv[++i]);
  else if (a.startsWith('-')) options.push(a);
  else dirs.push(resolve(a));
}
if (dirs.length === 0) dirs.push(resolve(root, '..', 'shared', 'wasm-spec-2.0', 'json'));

const present = dirs.filter((d) => existsSync(d));
for (const d of dirs) if (!existsSync(d)) console.log(`conformance: ${d} is absent, nothing to run`);
if (present.length === 0) process.exit(0);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status === null ? 1 : r.status;
}

// Build (or bring up to date) the runner in build/ unless one is given.
let bin = process.env.TOVA_CONFORMANCE_BIN;
if (!bin) {
  const jobs = String(Math.min(2, os.cpus().length || 1));
  try {
    if (!existsSync(join(build, 'CMakeCache.txt')) &&
        run('cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release']) !== 0) {
      throw new Error('cmake configure failed');
    }
    if (run('cmake', ['--build', build, '--target', 'tova_conformance', '--parallel', jobs]) !== 0) {
      throw new Error('cmake build failed');
    }
  } catch (e) {
    console.error(`conformance: building tova_conformance failed: ${e.message}`);
    process.exit(1);
  }
  bin = join(build, 'tova_conformance');
}
process.exit(run(bin, [...options, ...present]));
