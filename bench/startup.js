'use strict';
// What a short program pays for tova_runtime: whole processes, from exec to
// exit, beside the same program on this JS engine's own WebAssembly.
//
//   bun bench/startup.js        (or node; BENCH_RUNS=N processes per row, default 15)
//
// Rows (each a fresh process, median and best wall time of BENCH_RUNS):
//   - the JS engine alone, loading node:fs as the other programs do: the floor;
//   - loading tova_runtime and calling healthCheck() (what Tova's bridge
//     does when a program starts, whether it uses the runtime or not);
//   - a small `concurrent` block: four fib tasks (fib(20), fib(22), fib(20),
//     fib(22)) through concurrentWasmShared, as Tova's compiler emits it,
//     beside the same four calls on this engine's WebAssembly instance.
// TOVA_RUNTIME_PATH-style overrides: BENCH_TOVA_MODULE names what to require
// for the tova side (default: this checkout's package root).
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadWasm } = require('./lib/wasm');

const RUNS = Number(process.env.BENCH_RUNS || 15);
const TOVA = process.env.BENCH_TOVA_MODULE || path.join(__dirname, '..');
const ARGS = [20, 22, 20, 22];
const now = () => Number(process.hrtime.bigint()) / 1e6;

function fibRef(n) {
  let a = 0n, b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

// The child programs, one per row: each prints its answer, checked below.
const programs = {
  empty: `require('fs');`, // every program here loads node:fs (Bun builds it on first use: ~4 ms)
  load: `const t = require(${JSON.stringify(TOVA)}); console.log(t.healthCheck());`,
  tova: `const t = require(${JSON.stringify(TOVA)});
    const wasm = require('fs').readFileSync(process.argv[2]);
    t.concurrentWasmShared(${JSON.stringify(ARGS)}.map((n) => ({ wasm, func: 'fib', args: [BigInt(n)] })))
      .then((r) => console.log(r.map(String).join(',')));`,
  engine: `const wasm = require('fs').readFileSync(process.argv[2]);
    const i = new WebAssembly.Instance(new WebAssembly.Module(wasm));
    console.log(${JSON.stringify(ARGS)}.map((n) => String(i.exports.fib(BigInt(n)))).join(','));`,
};

// Each program is a file (`bun -e` and `node -e` take arguments differently).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tova-startup-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function measure(name, expect, wasmPath) {
  const file = path.join(dir, `${name}.js`);
  fs.writeFileSync(file, programs[name]);
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = now();
    const c = spawnSync(process.execPath, [file, wasmPath], { encoding: 'utf8', timeout: 60000 });
    const t = now() - t0;
    if (c.status !== 0) throw new Error(`${name}: exit ${c.status} ${c.signal || ''}: ${c.stderr}`);
    if (expect !== null && c.stdout.trim() !== expect) {
      throw new Error(`${name}: printed ${JSON.stringify(c.stdout.trim())}, expected ${JSON.stringify(expect)}`);
    }
    times.push(t);
  }
  times.sort((a, b) => a - b);
  return { median: times[times.length >> 1], best: times[0] };
}

function main() {
  const host = typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : `Node ${process.version}`;
  const fib = path.join(__dirname, 'wasm', 'out', 'fib.wasm');
  loadWasm('fib'); // builds fib.wasm from its .wat if needed
  const answer = ARGS.map((n) => String(fibRef(n))).join(',');
  const info = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(TOVA)}).runtimeInfo())`],
    { encoding: 'utf8' }).stdout.trim();
  console.log(`\nWhole processes (${host}; tova: ${info}), ${RUNS} each, wall time from spawn to exit:`);
  const rows = [
    ['the JS engine alone (a program loading node:fs)', 'empty', null],
    ['load tova_runtime, healthCheck()', 'load', 'tova_runtime ok'],
    [`concurrentWasmShared fib(${ARGS.join(', ')}), tova`, 'tova', answer],
    [`the same calls, ${host} WebAssembly`, 'engine', answer],
  ];
  for (const [label, name, expect] of rows) {
    const m = measure(name, expect, fib);
    console.log(`  ${label.padEnd(48)} median ${m.median.toFixed(1).padStart(6)} ms   best ${m.best.toFixed(1).padStart(6)} ms`);
  }
}

main();
