// Exit test script: process.exit() returns promptly while a WASI program
// waits to read a stdin nobody writes (a FIFO held open for reading and
// writing: it never reaches end of input).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tova = require('../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tova-exit-stdin-'));
const fifo = path.join(dir, 'in');
execFileSync('mkfifo', [fifo]);
execFileSync('wat2wasm', [path.join(__dirname, 'fixtures', 'wasi-read.wat'), '-o', path.join(dir, 'r.wasm')]);
const fd = fs.openSync(fifo, 'r+');
tova.runWasi(fs.readFileSync(path.join(dir, 'r.wasm')), { stdin: fd }).catch(() => {});
setTimeout(() => {
  console.log('done');
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}, 100);
