'use strict';
// Builds bench/wasm/*.wat into bench/wasm/out/*.wasm with wabt's wat2wasm
// (rebuilt only when the .wat is newer) and returns the bytes. The .wasm
// files are build products: only the .wat sources are kept in git.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const WAT_DIR = path.join(__dirname, '..', 'wasm');
const OUT_DIR = path.join(WAT_DIR, 'out');

function wat2wasmPath() {
  const r = spawnSync('wat2wasm', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'wat2wasm' : null;
}

// Returns the path of the built module; throws with wat2wasm's message on error.
function buildWasm(name) {
  const src = path.join(WAT_DIR, name + '.wat');
  const out = path.join(OUT_DIR, name + '.wasm');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs) return out;
  if (!wat2wasmPath()) {
    throw new Error('wat2wasm not found: install wabt (apt-get install wabt, brew install wabt)');
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const r = spawnSync('wat2wasm', [src, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wat2wasm ${name}.wat failed:\n${r.stderr}`);
  return out;
}

function loadWasm(name) {
  return fs.readFileSync(buildWasm(name));
}

module.exports = { buildWasm, loadWasm, WAT_DIR, OUT_DIR };
