'use strict';
// The Tova-shaped workload of issue 9 (the Tova language's example
// 09_wasm_concurrent.tova): recursive fib calls as WebAssembly tasks through
// concurrentWasmShared, with the interpreter and with the native tier, beside
// the same calls run one after another by this JS engine's own WebAssembly on
// its main thread.
//
//   bun bench/engine-native.js      (or node; BENCH_QUICK=1 for small sizes)
//
// The tier is chosen per process (TOVA_TIER), so each tova configuration runs
// in a child process; the time is from the call to all results in hand,
// module compile (and, native, the LLVM compile) included, best of RUNS.
// Then one long call per kernel as the first of a fresh process, in each
// tier and in this JS engine (firstCalls below).
const { spawnSync } = require('child_process');
const { loadWasm } = require('./lib/wasm');
require('./lib/report'); // a cold start: no code cache unless TOVA_CACHE_DIR is set (lib/report.js)

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS || 3);
const ARGS = QUICK ? [20, 22, 20, 22] : [30, 35, 30, 35];
const now = () => Number(process.hrtime.bigint()) / 1e6;

function fibRef(n) {
  let a = 0n, b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}
const expected = ARGS.map(fibRef);

function check(results, who) {
  for (let i = 0; i < ARGS.length; i++) {
    if (BigInt(results[i]) !== expected[i]) {
      throw new Error(`${who}: fib(${ARGS[i]}) = ${results[i]}, expected ${expected[i]}`);
    }
  }
}

async function child() {
  const tova = require('..');
  const wasm = loadWasm('fib');
  let best = Infinity, first = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = now();
    const res = await tova.concurrentWasmShared(ARGS.map((n) => ({ wasm, func: 'fib', args: [BigInt(n)] })));
    const t = now() - t0;
    check(res, `tova ${process.env.TOVA_TIER}`);
    if (r === 0) first = t;
    best = Math.min(best, t);
  }
  console.log(`${best.toFixed(1)} ${first.toFixed(1)}`);
}

function main() {
  const wasm = loadWasm('fib');
  let best = Infinity, first = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = now();
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm));
    const res = ARGS.map((n) => instance.exports.fib(BigInt(n)));
    const t = now() - t0;
    check(res, 'js engine');
    if (r === 0) first = t;
    best = Math.min(best, t);
  }
  const host = typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : `Node ${process.version}`;
  const row = (name, ms, firstMs) =>
    console.log(`${name.padEnd(44)} ${ms.padStart(9)} ms   (first run ${firstMs} ms)`);
  console.log(`fib(${ARGS.join(', ')}) as ${ARGS.length} tasks, best of ${RUNS}; the first run ` +
    'includes compiling the module (and its LLVM compile when native)');
  for (const tier of ['interp', 'native', 'auto (default)']) {
    const env = { ...process.env, TOVA_TIER: tier };
    if (tier.startsWith('auto')) delete env.TOVA_TIER; // the default policy
    const r = spawnSync(process.execPath, [__filename, '--child'], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`child ${tier} failed: ${r.stderr}`);
    const [b, f] = r.stdout.trim().split(' ');
    row(`tova concurrentWasmShared, TOVA_TIER=${tier}`, b, f);
  }
  row(`${host} WebAssembly, main thread, one by one`, best.toFixed(1), first.toFixed(1));
}

// One long call, the first of a fresh process (on-stack replacement, issue
// 9): a Tova program that calls a heavy @wasm function once. The call starts
// interpreted and, in the default tier, moves to native code inside its loop
// once the function is compiled; Bun's time includes its module compile too.
const FIRST = [
  { wasm: 'sieve', func: 'sieve', arg: QUICK ? 100000 : 10000000 },
  { wasm: 'loop', func: 'mix', arg: QUICK ? 1000000 : 100000000 },
  { wasm: 'matmul', func: 'matmul', arg: QUICK ? 32 : 256 },
];

async function firstCallChild(k) {
  const { wasm, func, arg } = FIRST[k];
  const bytes = loadWasm(wasm);
  const js = process.argv.includes('--js-engine');
  const tova = js ? null : require('..'); // loaded at a program's start, as Tova's bridge does
  const t0 = now();
  let v;
  if (js) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    v = instance.exports[func](BigInt(arg));
  } else {
    v = await tova.execWasm(bytes, func, [BigInt(arg)]);
  }
  console.log(`${(now() - t0).toFixed(1)} ${v}`);
}

function firstCalls() {
  const host = typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : `Node ${process.version}`;
  console.log(`\none call, the first of a fresh process (module compile included), best of ${RUNS} processes:`);
  for (let k = 0; k < FIRST.length; k++) {
    const cols = [];
    let answer = null;
    for (const [name, tier, extra] of [['tova auto (default)', null, []], ['tova interp', 'interp', []],
      ['tova native', 'native', []], [host, null, ['--js-engine']]]) {
      const env = { ...process.env };
      if (tier) env.TOVA_TIER = tier; else delete env.TOVA_TIER;
      let best = Infinity;
      for (let r = 0; r < RUNS; r++) {
        const c = spawnSync(process.execPath, [__filename, '--first', String(k), ...extra], { env, encoding: 'utf8' });
        if (c.status !== 0) throw new Error(`first-call child ${name} failed: ${c.stderr}`);
        const [ms, v] = c.stdout.trim().split(' ');
        if (answer === null) answer = v;
        else if (v !== answer) throw new Error(`${name}: ${FIRST[k].func}(${FIRST[k].arg}) = ${v}, others ${answer}`);
        best = Math.min(best, Number(ms));
      }
      cols.push(`${name} ${best.toFixed(1)} ms`);
    }
    console.log(`  ${`${FIRST[k].func}(${FIRST[k].arg})`.padEnd(16)} ${cols.join('   ')}`);
  }
}

if (process.argv.includes('--child')) {
  child().catch((e) => { console.error(e); process.exit(1); });
} else if (process.argv.includes('--first')) {
  firstCallChild(Number(process.argv[process.argv.indexOf('--first') + 1]))
    .catch((e) => { console.error(e); process.exit(1); });
} else {
  main();
  firstCalls();
}
