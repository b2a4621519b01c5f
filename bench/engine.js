'use strict';
// Engine benchmark: the same .wasm run by tova and by Bun's own WebAssembly
// (JavaScriptCore's JIT tiers) in one process, with Node's WebAssembly and
// the kernels in C built by gcc -O2 (wasm/engine_kernels.c) beside them.
//
//   bun bench/engine.js            (BENCH_QUICK=1 for small sizes)
//
// Each compute benchmark is ONE call that runs the whole workload inside
// WebAssembly (execWasm on the tova side), so the JS boundary does not count.
// The tova time includes compiling and instantiating the (tiny) module.
// Every result is checked against a value computed independently in JS.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { loadWasm, buildWasm } = require('./lib/wasm');
const { best, Table, check, withTimeout, now, JS_HOST, JS_HOST_VERSION } = require('./lib/report');
const tovaLib = require('./lib/tova');
const { firstLine } = tovaLib;

const QUICK = process.env.BENCH_QUICK === '1';
const PEER_RUNS = Number(process.env.BENCH_PEER_RUNS || 3);
const TOVA_RUNS = Number(process.env.BENCH_TOVA_RUNS || 2);
const TOVA_CALL_LIMIT_MS = Number(process.env.BENCH_CALL_LIMIT_MS || 120000);

// ---- expected values, computed without WebAssembly ------------------------

function fibRef(n) { // iterative, so it is not the algorithm being timed
  let a = 0n, b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

function sumSqModRef(n) { // (i*i) mod m == (r*r) mod m with r = i mod m; all exact in f64
  const M = 1000003;
  let acc = 0;
  for (let i = 0; i < n; i++) { const r = i % M; acc += (r * r) % M; }
  return BigInt(acc);
}

function mixRef(n) { // mirrors loop.wat's mix with i32 wrap-around
  let acc = 0;
  for (let i = 0; i < n; i++) acc = ((acc + (Math.imul(i, i) ^ (i >>> 3))) | 0) ^ (acc >>> 13);
  return BigInt(acc >>> 0);
}

function primesBelowRef(n) {
  const KNOWN = { 10000000: 664579, 1000000: 78498, 100000: 9592 };
  if (KNOWN[n] !== undefined) return BigInt(KNOWN[n]);
  const c = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (c[i]) continue;
    count++;
    for (let j = i * i; j < n; j += i) c[j] = 1;
  }
  return BigInt(count);
}

function matmulRef(n) { // same inputs and summation order as matmul.wat
  const A = new Float64Array(n * n), B = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      A[i * n + j] = ((3 * i + 5 * j) % 17) * 0.25 - 1.5;
      B[i * n + j] = ((7 * i + 2 * j) % 13) * 0.5 - 2.0;
    }
  }
  let total = 0;
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
      C[i * n + j] = s;
    }
  }
  for (let i = 0; i < n * n; i++) total += C[i];
  return BigInt(Math.trunc(total * 16));
}

const N = {
  fib: QUICK ? 25 : 35,
  loop: QUICK ? 1e6 : 1e8,
  mix: QUICK ? 1e6 : 1e8,
  sieve: QUICK ? 1e5 : 1e7,
  matmul: QUICK ? 32 : 256,
};
const millions = (n) => (n >= 1e6 ? n / 1e6 + 'M' : String(n));
const CASES = [
  { name: `fib(${N.fib}) recursive, i64`, wasm: 'fib', func: 'fib', arg: N.fib,
    ref: fibRef, label: 'fib', target: '<= 12x' },
  { name: `loop sum (i*i mod m), ${millions(N.loop)} iter, i64`, wasm: 'loop', func: 'sum_sq_mod', arg: N.loop,
    ref: sumSqModRef, label: 'sum', target: '<= 2.5x' },
  { name: `loop i32 add/mul/xor/shift, ${millions(N.mix)} iter`, wasm: 'loop', func: 'mix', arg: N.mix,
    ref: mixRef, label: 'acc', target: '' },
  { name: `sieve, primes below ${millions(N.sieve)}`, wasm: 'sieve', func: 'sieve', arg: N.sieve,
    ref: primesBelowRef, label: 'primes', target: '<= 4x' },
  { name: `matmul ${N.matmul}x${N.matmul} f64`, wasm: 'matmul', func: 'matmul', arg: N.matmul,
    ref: matmulRef, label: 'sum*16', target: '' },
];

// ---- the other peers: Node's WebAssembly and gcc -O2 -------------------------

// The same .wasm in Node (V8), in a child process: { ms, value } or { skip }.
function nodeRun(wasmName, func, arg) {
  const r = spawnSync('node', [path.join(__dirname, 'lib', 'node_call.js'), buildWasm(wasmName), func, String(arg),
    String(PEER_RUNS)], { encoding: 'utf8', timeout: TOVA_CALL_LIMIT_MS });
  if (r.error) return { skip: `node: ${r.error.code === 'ENOENT' ? 'not installed' : r.error.message}` };
  if (r.status !== 0) return { skip: `node exited ${r.status}: ${firstLine(r.stderr || r.stdout)}` };
  const [ms, value] = r.stdout.trim().split(/\s+/);
  return { ms: Number(ms), value: BigInt(value) };
}

// bench/wasm/engine_kernels.c, the kernels in C, built once by gcc -O2:
// the path of the binary or { skip }.
let gccBuilt = null;
function gccBinary() {
  if (gccBuilt) return gccBuilt;
  const src = path.join(__dirname, 'wasm', 'engine_kernels.c');
  const out = path.join(__dirname, 'wasm', 'out', 'engine_kernels');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // -ffp-contract=off: no fused multiply-add (arm64 has it), as in WebAssembly
  const r = spawnSync('gcc', ['-O2', '-ffp-contract=off', src, '-o', out], { encoding: 'utf8' });
  if (r.error) gccBuilt = { skip: `gcc: ${r.error.code === 'ENOENT' ? 'not installed' : r.error.message}` };
  else if (r.status !== 0) gccBuilt = { skip: `gcc failed: ${firstLine(r.stderr)}` };
  else gccBuilt = { path: out };
  return gccBuilt;
}

function gccRun(func, arg) {
  const bin = gccBinary();
  if (bin.skip) return bin;
  const r = spawnSync(bin.path, [func, String(arg), String(PEER_RUNS)], { encoding: 'utf8', timeout: TOVA_CALL_LIMIT_MS });
  if (r.error || r.status !== 0) return { skip: `engine_kernels: ${firstLine((r.error && r.error.message) || r.stderr)}` };
  const [ms, value] = r.stdout.trim().split(/\s+/);
  return { ms: Number(ms), value: BigInt(value) };
}

// ---- the two sides ---------------------------------------------------------

function bunSide(bytes, func, arg) {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const f = inst.exports[func];
  return () => f(BigInt(arg));
}

// tova through the JS API (preferred) or, failing that, the CLI.
// BENCH_TOVA_SIDE=cli forces the CLI (e.g. to measure a freshly built engine
// while the addon is older).
const FORCE_CLI = process.env.BENCH_TOVA_SIDE === 'cli';

function tovaSide(tova, cli, wasmName, bytes, func, arg) {
  if (!FORCE_CLI && tova.api && typeof tova.api.execWasm === 'function') {
    const buf = Buffer.from(bytes);
    return {
      how: 'execWasm',
      run: () => withTimeout(Promise.resolve(tova.api.execWasm(buf, func, [arg])), TOVA_CALL_LIMIT_MS, `execWasm ${func}`),
    };
  }
  if (cli.cli) {
    const file = buildWasm(wasmName);
    return {
      how: 'cli',
      run: () => {
        const r = spawnSync(cli.cli, ['run', file, '--invoke', func, String(arg)],
          { encoding: 'utf8', timeout: TOVA_CALL_LIMIT_MS });
        if (r.error) throw new Error(`${cli.cli}: ${r.error.message}`);
        if (r.status !== 0) throw new Error(`tova run exited ${r.status}: ${firstLine(r.stderr || r.stdout)}`);
        const m = (r.stdout || '').match(/-?\d+/g); // last integer printed is the result
        if (!m) throw new Error(`tova run printed no result: ${firstLine(r.stdout)}`);
        return BigInt(m[m.length - 1]);
      },
    };
  }
  return null;
}

async function computeRows(table, tova, cli) {
  let usedCli = false;
  for (const c of CASES) {
    const bytes = loadWasm(c.wasm);
    const expected = c.ref(c.arg);
    const row = { name: c.name, target: c.target };

    const bun = bunSide(bytes, c.func, c.arg);
    bun(); // warm the JIT tiers once before timing
    const p = await best(PEER_RUNS, bun);
    row.peer = { name: JS_HOST, ms: p.ms };
    let checks = [check(JS_HOST.toLowerCase() + ' ' + c.label, p.value, expected)];

    const side = tovaSide(tova, cli, c.wasm, bytes, c.func, c.arg);
    if (!side) {
      row.tova = { skip: `${tova.reason}; ${cli.reason}` };
    } else {
      try {
        const t = await best(TOVA_RUNS, side.run);
        row.tova = { ms: t.ms };
        checks.unshift(check('tova ' + c.label, t.value, expected));
        if (side.how === 'cli') usedCli = true;
      } catch (e) {
        row.tova = { skip: `${side.how} failed: ${firstLine(e.message)}` };
      }
    }
    // Node's WebAssembly and gcc -O2, each checked like the others
    row.others = [];
    for (const [name, label, r] of [['Node', 'node', nodeRun(c.wasm, c.func, c.arg)],
      ['gcc -O2', 'gcc', gccRun(c.func, c.arg)]]) {
      row.others.push(r.skip ? { name, skip: r.skip } : { name, ms: r.ms });
      if (!r.skip) checks.push(check(label + ' ' + c.label, r.value, expected));
    }
    row.check = checks.join(', ');
    table.add(row);
  }
  table.note('Node: the same .wasm in a child process (bench/lib/node_call.js), warmed by one call; gcc -O2: ' +
    'bench/wasm/engine_kernels.c, the same kernels in C; best of ' + PEER_RUNS + ' each.');
  if (!FORCE_CLI && tova.api && typeof tova.api.execWasm === 'function') {
    const where = typeof tova.api.runtimePath === 'function' ? tova.api.runtimePath() : null;
    table.note(`tova side: execWasm from the JS API${where ? ' (addon ' + where + ')' : ''}; its time includes compiling and instantiating the module.`);
  }
  if (usedCli) {
    table.note(`tova side ran through the CLI (${cli.cli} run ... --invoke): its time includes process start, compile and instantiate.`);
  }
}

// ---- instantiation ---------------------------------------------------------

function findInstantiateExe() {
  const candidates = [process.env.TOVA_BENCH_INSTANTIATE, path.join(tovaLib.ROOT, 'build-bench', 'bench_instantiate')];
  for (const p of candidates) if (p && fs.existsSync(p)) return p;
  return null;
}

async function instantiateRow(table) {
  const n = QUICK ? 500 : 5000;
  const bytes = loadWasm('instantiate');
  const row = { name: `instantiate x${n} (compiled once)`, count: n };

  const mod = new WebAssembly.Module(bytes);
  let last;
  const p = await best(PEER_RUNS, () => {
    for (let i = 0; i < n; i++) last = new WebAssembly.Instance(mod, {});
    return last;
  });
  row.peer = { name: JS_HOST, ms: p.ms };
  const bunAdd = last.exports.add(2n, 3n);
  const bunPeek = last.exports.peek();
  const checks = [check(JS_HOST.toLowerCase() + ' add', bunAdd, 5) + ' ' + check('peek', bunPeek, 116)];

  const exe = findInstantiateExe();
  if (!exe) {
    row.tova = { skip: 'build-bench/bench_instantiate not built (bench/run.sh builds it from bench/CMakeLists.txt; see build-bench/build.log)' };
  } else {
    let bestMs = Infinity;
    let fields = null;
    for (let r = 0; r < PEER_RUNS && !row.tova; r++) {
      const out = spawnSync(exe, [buildWasm('instantiate'), String(n)], { encoding: 'utf8', timeout: TOVA_CALL_LIMIT_MS });
      if (out.status !== 0) {
        row.tova = { skip: `bench_instantiate failed: ${firstLine(out.stderr || out.error || out.status)}` };
        break;
      }
      fields = Object.fromEntries(out.stdout.trim().split(/\s+/).map((kv) => kv.split('=')));
      bestMs = Math.min(bestMs, Number(fields.ms));
    }
    if (!row.tova) {
      row.tova = { ms: bestMs };
      checks.unshift(check('tova add', fields.add, 5) + ' ' + check('peek', fields.peek, 116));
      table.note('tova instantiation is measured in C (bench/c/instantiate.c: a fresh store + instance each time, store freed).');
    }
  }
  row.check = checks.join(', ');
  table.add(row);
}

async function main() {
  const tova = tovaLib.loadApi();
  const cli = tovaLib.findCli();
  const tier = process.env.TOVA_TIER || 'default (tiered)';
  const table = new Table(`Engine: tova (tier: ${tier}) vs ${JS_HOST_VERSION} WebAssembly (same .wasm, best of ${PEER_RUNS} peer / ${TOVA_RUNS} tova runs)`);
  const t0 = now();
  await computeRows(table, tova, cli);
  await instantiateRow(table);
  table.print();
  console.log(`  (engine benchmarks took ${((now() - t0) / 1000).toFixed(1)} s)`);
  const wrong = table.rows.some((r) => /WRONG/.test(r.check));
  if (wrong) {
    console.log('  at least one result is WRONG: its time means nothing');
    process.exitCode = 1;
  }
}

main().then(() => process.exit(), (e) => { console.error(e); process.exit(1); });
