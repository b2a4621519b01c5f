'use strict';
// C kernels that no other benchmark here contains (bench/kernels/kernels.c:
// nbody, spectral norm, fannkuch, mandelbrot, SHA-256 rounds, quicksort, a
// hash table, binary trees, a bytecode interpreter's dispatch loop, modpow,
// word counting, saxpy), built by clang -O2 for wasm32 and run as they come
// out of the compiler, beside this JS engine's own WebAssembly and the same C
// built natively by gcc -O2. The engine is judged on compiled code in
// general, not on the kernels it was tuned with.
//
//   bun bench/kernels.js     (or node; BENCH_QUICK=1 for small sizes,
//                             BENCH_ONLY=nbody,vm for some kernels)
//
// Per kernel, one call of the whole workload (execWasm on the tova side):
//   first   the first call of a fresh process (module compile included; tova
//           in its default tier, where a long call moves to native code
//           mid-loop), best of RUNS processes: a Tova program calling a heavy
//           @wasm function once;
//   again   (tova) the first call of a fresh process once earlier processes
//           ran the kernel: tova keeps compiled code in a cache on disk
//           (the user's, by default), and a program run again links what
//           its last run compiled before anything runs hot; best of RUNS,
//           after two runs that fill a cache of its own;
//   warm    the best of RUNS later calls in one process (tova's native code
//           by then): the code each engine generates.
// `first` is a cold start: no code cache (TOVA_CACHE_DIR empty).
// Every result is checked against the native build's, so a wrong engine
// cannot look fast. Needs clang with the wasm32-wasi target and wasi-libc
// (scripts/setup.sh installs them) and gcc; says so and exits 0 without.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { JS_HOST_VERSION, now } = require('./lib/report');

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS || 3);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const DIR = path.join(__dirname, 'kernels');
const OUT = path.join(DIR, 'out');
const WASM = path.join(OUT, 'kernels.wasm');
const NATIVE = path.join(OUT, 'kernels-native');

// [export, full size, quick size]
const KERNELS = [
  ['nbody', 5000000, 100000], ['spectral', 1500, 200], ['fannkuch', 10, 8], ['mandel', 1500, 200],
  ['sha', 600000, 20000], ['qsort', 2000000, 100000], ['hash', 3000000, 100000], ['trees', 18, 12],
  ['vm', 50000000, 1000000], ['modpow', 300000, 10000], ['strwork', 1000, 20], ['saxpy', 60000, 2000],
].filter(([name]) => !ONLY || ONLY.includes(name));

function stale(out, srcs) {
  return !fs.existsSync(out) || srcs.some((s) => fs.statSync(s).mtimeMs > fs.statSync(out).mtimeMs);
}

// Builds what is missing or older than its sources; the reason when it cannot.
function build() {
  fs.mkdirSync(OUT, { recursive: true });
  const src = path.join(DIR, 'kernels.c');
  if (stale(WASM, [src])) {
    const r = spawnSync('clang', ['--target=wasm32-wasi', '-O2', '-nostartfiles', '-Wl,--no-entry', src, '-o', WASM],
      { encoding: 'utf8' });
    if (r.status !== 0) return `clang --target=wasm32-wasi failed (clang, lld and wasi-libc are needed): ${(r.stderr || r.error || '').toString().trim()}`;
  }
  const main = path.join(DIR, 'kernels_main.c');
  if (stale(NATIVE, [src, main])) {
    const r = spawnSync('gcc', ['-O2', src, main, '-o', NATIVE, '-lm'], { encoding: 'utf8' });
    if (r.status !== 0) return `gcc failed: ${(r.stderr || r.error || '').toString().trim()}`;
  }
  return null;
}

const size = (k) => (QUICK ? k[2] : k[1]);

// got and want as printed (JS: a Number or BigInt; C: %d, %lld or %.17g).
function same(got, want) {
  if (/^-?\d+$/.test(got) && /^-?\d+$/.test(want)) return BigInt(got) === BigInt(want); // exact past 2^53
  return Number(got) === Number(want);
}

// A child process: `--child first|warm tova|js NAME N` prints "ms value".
async function child(mode, who, name, n) {
  const bytes = fs.readFileSync(WASM);
  const tova = who === 'tova' ? require('..') : null; // loaded at start, as Tova's bridge does
  let call;
  if (tova) {
    call = () => tova.execWasm(bytes, name, [n]);
  } else {
    let inst = null;
    call = () => {
      if (!inst) inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { wasi_snapshot_preview1: {} });
      return inst.exports[name](n);
    };
  }
  let ms = Infinity;
  let v;
  for (let r = 0; r < (mode === 'first' ? 1 : RUNS + 1); r++) {
    const t0 = now();
    v = await call();
    const t = now() - t0;
    if (mode === 'first' || r > 0) ms = Math.min(ms, t); // warm: the first call does not count
  }
  console.log(`${ms.toFixed(1)} ${v}`);
}

function runChild(mode, who, name, n, expect, cache = '') {
  const env = { ...process.env, TOVA_CACHE_DIR: cache }; // '': none (a cold start)
  delete env.TOVA_TIER; // the default tier: what a Tova program gets
  const c = spawnSync(process.execPath, [__filename, '--child', mode, who, name, String(n)], { env, encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`${who} ${name}(${n}) failed: ${c.stderr}`);
  const [ms, v] = c.stdout.trim().split(' ');
  const ok = same(v, expect);
  return { ms: Number(ms), ok, v };
}

function main() {
  const why = build();
  if (why) {
    console.log(`bench/kernels.js skipped: ${why}`);
    return;
  }
  const host = JS_HOST_VERSION.split(' ')[0];
  console.log(`C kernels (clang -O2 for wasm32, ${fs.statSync(WASM).size} bytes), tova beside ${JS_HOST_VERSION}'s WebAssembly and gcc -O2 natively`);
  console.log(`first: a fresh process's first call, best of ${RUNS}; warm: best of ${RUNS} later calls in one process`);
  const head = ['kernel', 'tova first', 'tova again', `${host} first`, 'tova warm', `${host} warm`, 'gcc -O2', 'warm tova/' + host, 'check'];
  const cacheRoot = fs.mkdtempSync(path.join(require('os').tmpdir(), 'tova-kernels-cache-'));
  const rows = [];
  let wrong = 0;
  for (const k of KERNELS) {
    const [name] = k;
    const n = size(k);
    const nat = spawnSync(NATIVE, [name, String(n), String(RUNS)], { encoding: 'utf8' });
    if (nat.status !== 0) throw new Error(`native ${name} failed: ${nat.stderr}`);
    const [nms, expect] = nat.stdout.trim().split(' ');
    const cols = {};
    const bad = [];
    for (const who of ['tova', 'js']) {
      let first = Infinity;
      for (let r = 0; r < RUNS; r++) {
        const c = runChild('first', who, name, n, expect);
        if (!c.ok) bad.push(`${who} first ${c.v}`);
        first = Math.min(first, c.ms);
      }
      let again = Infinity;
      if (who === 'tova') { // earlier processes fill this kernel's cache, then RUNS timed ones
        const cache = path.join(cacheRoot, name);
        for (let r = 0; r < 2 + RUNS; r++) {
          const c = runChild('first', who, name, n, expect, cache);
          if (!c.ok) bad.push(`${who} again ${c.v}`);
          if (r >= 2) again = Math.min(again, c.ms);
        }
      }
      const w = runChild('warm', who, name, n, expect);
      if (!w.ok) bad.push(`${who} warm ${w.v}`);
      cols[who] = { first, again, warm: w.ms };
    }
    wrong += bad.length ? 1 : 0;
    rows.push([`${name}(${n})`, `${cols.tova.first.toFixed(1)} ms`, `${cols.tova.again.toFixed(1)} ms`, `${cols.js.first.toFixed(1)} ms`,
      `${cols.tova.warm.toFixed(1)} ms`, `${cols.js.warm.toFixed(1)} ms`, `${Number(nms).toFixed(1)} ms`,
      `${(cols.tova.warm / cols.js.warm).toFixed(2)}x`, bad.length ? `WRONG ${bad.join(', ')} (native ${expect})` : `ok ${expect}`]);
    process.stderr.write(`  done: ${rows[rows.length - 1].join('  ')}\n`); // progress
  }
  fs.rmSync(cacheRoot, { recursive: true, force: true });
  printRows(head, rows);
  if (wrong) {
    console.log(`${wrong} kernel(s) gave a wrong answer`);
    process.exitCode = 1;
  }
}

function printRows(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cols) => cols.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(fmt(r));
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4], process.argv[5], Number(process.argv[6]))
    .catch((e) => { console.error(e); process.exit(1); });
} else {
  main();
}
