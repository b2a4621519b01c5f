#!/usr/bin/env node
// Builds the C core and the N-API addon from source with CMake (Release) into
// build/. Runs on `npm install` / `bun install`; nothing built is committed.
'use strict';
const { execFileSync } = require('child_process');
const { join } = require('path');
const os = require('os');

const root = join(__dirname, '..');
const build = join(root, 'build');
const jobs = String(Math.max(1, os.cpus().length));
function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}
try {
  run('cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release']);
  run('cmake', ['--build', build, '--parallel', jobs]);
} catch (e) {
  console.error('tova_runtime: building the addon failed (needs cmake and a C11 compiler): ' + e.message);
  process.exit(1);
}
