#!/usr/bin/env node
// The package's `tova` command: runs the native CLI (src/cli), from a
// from-source build (build/tova) or the platform's prebuild
// (prebuilds/<platform>-<arch>/tova), with the arguments, stdio and exit
// status passed through.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const { join } = require('path');
const prebuilds = require('../lib/prebuilds.js');

const root = join(__dirname, '..');
const exe = [join(root, 'build', 'tova'), prebuilds.cliPath(root)].find((f) => fs.existsSync(f));
if (!exe) {
  console.error(`tova: the tova CLI is not built for ${process.platform}-${process.arch}: ` +
    `run \`npm rebuild tova_runtime\` or \`npm run build\` in ${root} (needs cmake and a C11 compiler)`);
  process.exit(127);
}
try {
  fs.accessSync(exe, fs.constants.X_OK);
} catch (_) {
  try { fs.chmodSync(exe, 0o755); } catch (_) { /* spawn reports it */ }
}
const r = spawnSync(exe, process.argv.slice(2), { stdio: 'inherit' });
if (r.error) {
  console.error(`tova: cannot run ${exe}: ${r.error.message}`);
  process.exit(126);
}
if (r.signal) process.kill(process.pid, r.signal);
process.exit(r.status === null ? 1 : r.status);
