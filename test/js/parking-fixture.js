// The bytes of fixtures/parking.wat, assembled with wabt's wat2wasm at test
// time (scripts/setup.sh installs wabt).
'use strict';
const { execFileSync } = require('child_process');
const { mkdtempSync, readFileSync, writeFileSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

function parkingModule() {
  const dir = mkdtempSync(join(tmpdir(), 'tova-parking-'));
  const out = join(dir, 'parking.wasm');
  execFileSync('wat2wasm', [join(__dirname, 'fixtures', 'parking.wat'), '-o', out]);
  return readFileSync(out);
}

// The bytes of a module given as WAT text.
function watModule(text) {
  const dir = mkdtempSync(join(tmpdir(), 'tova-wat-'));
  const src = join(dir, 'm.wat'), out = join(dir, 'm.wasm');
  writeFileSync(src, text);
  execFileSync('wat2wasm', [src, '-o', out]);
  return readFileSync(out);
}

module.exports = { parkingModule, watModule };
