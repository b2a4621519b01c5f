'use strict';
// Builds the Go peers (bench/go/*.go) with `go build` into a temporary
// directory, removed when the process exits, and runs them with a time limit.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const GO_DIR = path.join(__dirname, '..', 'go');
let tmp = null;

function goVersion() {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// Path of the built program, or throws with the reason (no go, build error).
function buildGo(name) {
  if (!goVersion()) throw new Error('go not found (install Go, e.g. apt-get install golang-go)');
  if (!tmp) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tova-bench-go-'));
    process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  }
  const out = path.join(tmp, name);
  if (fs.existsSync(out)) return out;
  const r = spawnSync('go', ['build', '-o', out, path.join(GO_DIR, name + '.go')],
    { encoding: 'utf8', timeout: 180000, env: { ...process.env, GO111MODULE: 'off' } });
  if (r.status !== 0) throw new Error(`go build ${name}.go failed: ${(r.stderr || String(r.error)).trim()}`);
  return out;
}

// Runs a built program; parses its "key=value ..." output line into an object.
function runGo(name, args, timeoutMs) {
  const exe = buildGo(name);
  const r = spawnSync(exe, args.map(String), { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${r.error ? r.error.message : (r.stderr || 'exit ' + r.status).trim()}`);
  const line = r.stdout.trim().split('\n').pop();
  return Object.fromEntries(line.split(/\s+/).map((kv) => kv.split('=')));
}

module.exports = { buildGo, runGo, goVersion };
