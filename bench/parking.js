'use strict';
// Tasks that park: WebAssembly tasks talking through channels, beside Go's
// goroutines doing the same programs in the same run.
//
//   bun bench/parking.js        (BENCH_QUICK=1 for small sizes)
//
// Each tova figure is end to end from JS (spawn, run, results in hand); every
// result is checked. Go runs bench/go/parking.go. Nothing is asserted on time.
const { loadWasm } = require('./lib/wasm');
const { now, JS_HOST } = require('./lib/report');
const { runGo } = require('./lib/go');
const { spawnSync } = require('child_process');
const tova = require('..');

const QUICK = process.env.BENCH_QUICK === '1';
const N = QUICK ? 100000 : 1000000;
const W = loadWasm('parking');

function rate(n, ms) { return `${(n / ms / 1000).toFixed(2)}M/s`; }
function rssBytes() { return process.memoryUsage().rss; }
// A full collection where the host offers one (Bun always; Node with
// --expose-gc): what the spawning calls left behind for the collector (their
// argument arrays) is not memory a parked task holds.
function collect() {
  if (typeof Bun !== 'undefined') Bun.gc(true);
  else if (global.gc) global.gc();
}

async function timed(fn) {
  const t0 = now();
  const v = await fn();
  return { ms: now() - t0, v };
}

function go(scenario, n) {
  try {
    return runGo('parking', [scenario, n], 300000);
  } catch (e) {
    return { ms: NaN, error: e.message };
  }
}

async function pipe(capacity) {
  const ch = tova.channelCreate(capacity);
  const r = await timed(() => tova.concurrentWasmWithChannels([
    { wasm: W, func: 'producer', args: [ch, N] },
    { wasm: W, func: 'consumer', args: [ch, N] },
  ]));
  const want = BigInt(N) * BigInt(N - 1) / 2n;
  if (BigInt(r.v[1]) !== want) throw new Error(`pipe${capacity}: sum ${r.v[1]}, want ${want}`);
  return r.ms;
}

// The producer's work per value, as parking.wat's $work (BigInt: exact).
function workRef(n) {
  let sum = 0n;
  for (let i = 0n; i < BigInt(n); i++) {
    let x = i;
    for (let k = 0; k < 32; k++) {
      x ^= x >> 29n;
      x = BigInt.asUintN(64, x * 0xbf58476d1ce4e5b9n);
    }
    sum = BigInt.asIntN(64, sum + BigInt.asIntN(64, x));
  }
  return sum;
}

// A producer that computes each value into a consumer, capacity 1024. Its
// loop calls chan_send and runs native (leaving for the interpreter when the
// send parks), with the work it calls (docs/native-tier.md).
async function pipeWork(n, func = 'producer_work') {
  const ch = tova.channelCreate(1024);
  const r = await timed(() => tova.concurrentWasmWithChannels([
    { wasm: W, func, args: [ch, n] },
    { wasm: W, func: 'consumer', args: [ch, n] },
  ]));
  const want = workRef(n);
  if (BigInt(r.v[1]) !== want) throw new Error(`pipeWork: sum ${r.v[1]}, want ${want}`);
  return r.ms;
}

async function pingpong(n) {
  const a = tova.channelCreate(0), b = tova.channelCreate(0);
  const r = await timed(() => tova.concurrentWasmWithChannels([
    { wasm: W, func: 'ping', args: [a, b, n] },
    { wasm: W, func: 'pong', args: [a, b, n] },
  ]));
  const want = BigInt(n) * BigInt(n + 1) / 2n;
  if (BigInt(r.v[0]) !== want) throw new Error(`pingpong: ${r.v[0]}, want ${want}`);
  return r.ms;
}

async function fanIn() {
  const ch = tova.channelCreate(1024), per = N / 8;
  const tasks = [];
  for (let p = 0; p < 8; p++) tasks.push({ wasm: W, func: 'producer', args: [ch, per] });
  tasks.push({ wasm: W, func: 'consumer', args: [ch, per * 8] });
  const r = await timed(() => tova.concurrentWasmWithChannels(tasks));
  const want = 8n * BigInt(per) * BigInt(per - 1) / 2n;
  if (BigInt(r.v[8]) !== want) throw new Error(`fan-in: ${r.v[8]}, want ${want}`);
  return r.ms;
}

async function fanOut() {
  const ch = tova.channelCreate(1024), per = N / 4;
  const tasks = [{ wasm: W, func: 'producer', args: [ch, per * 4] }];
  for (let c = 0; c < 4; c++) tasks.push({ wasm: W, func: 'consumer', args: [ch, per] });
  const r = await timed(() => tova.concurrentWasmWithChannels(tasks));
  const got = r.v.slice(1).reduce((s, x) => s + BigInt(x), 0n);
  const want = BigInt(per * 4) * BigInt(per * 4 - 1) / 2n;
  if (got !== want) throw new Error(`fan-out: ${got}, want ${want}`);
  return r.ms;
}

async function select4() {
  const chs = [0, 1, 2, 3].map(() => tova.channelCreate(1024)), per = N / 4;
  const tasks = chs.map((ch) => ({ wasm: W, func: 'producer', args: [ch, per] }));
  tasks.push({ wasm: W, func: 'select4', args: [...chs, per * 4] });
  const r = await timed(() => tova.concurrentWasmWithChannels(tasks));
  const want = 4n * BigInt(per) * BigInt(per - 1) / 2n;
  if (BigInt(r.v[4]) !== want) throw new Error(`select4: ${r.v[4]}, want ${want}`);
  return r.ms;
}

async function parked(n) {
  // What the process pays once, before any task parks, is not a parked
  // task's: the module compiled (and its pure functions by the native tier,
  // in the background: LLVM's own memory), the workers started. Go's row
  // likewise starts with its runtime up.
  if ((await tova.execWasm(W, 'add', [1, 2])) !== 3) throw new Error('parked: warm-up add');
  await new Promise((r) => setTimeout(r, 300));
  const chs = new Array(n);
  for (let i = 0; i < n; i++) chs[i] = tova.channelCreate(0);
  collect();
  const rss0 = rssBytes();
  const t0 = now();
  const handles = chs.map((ch) => tova.execWasm(W, 'recv_one', [ch]));
  // Wait until every task is parked: each try-send succeeds only then.
  let released = 0;
  const pause0 = now(); // the measuring pause is not part of the time
  await new Promise((r) => setTimeout(r, 100));
  collect();
  await new Promise((r) => setTimeout(r, 100));
  const rss1 = rssBytes();
  const paused = now() - pause0;
  for (let i = 0; i < n; i++) {
    while (!tova.channelSend(chs[i], i)) await new Promise((r) => setImmediate(r));
    released++;
  }
  const vals = await Promise.all(handles);
  const ms = now() - t0 - paused;
  for (let i = 0; i < n; i++) if (vals[i] !== i) throw new Error(`parked: task ${i} got ${vals[i]}`);
  for (const ch of chs) tova.channelClose(ch);
  return { ms, bytes: Math.round((rss1 - rss0) / n), released };
}

// api: the package (index.js), or the .node file itself, which is what
// Tova's own runtime bridge calls.
async function spawnShared(n, api = tova, func = 'add') {
  const tasks = new Array(n);
  // The earlier rows' garbage is not this row's to collect (Go runs each row
  // in a fresh process).
  collect();
  const r = await timed(() => {
    for (let i = 0; i < n; i++) tasks[i] = { wasm: W, func, args: [i, i] };
    return api.concurrentWasmShared(tasks);
  });
  for (let i = 0; i < n; i++) if (r.v[i] !== 2 * i) throw new Error(`spawn: ${func}(${i}) = ${r.v[i]}`);
  return r.ms;
}

// The parked rows run each in a fresh process (as Go's do): in this one, the
// memory the earlier rows freed would be reused and hide what the tasks take.
function parkedFresh(n) {
  const r = spawnSync(process.execPath, [__filename, '--parked', String(n)], { encoding: 'utf8' });
  const line = (r.stdout || '').trim().split('\n').pop();
  if (r.status !== 0 || !line) throw new Error(`parked ${n}: ${r.stderr || r.stdout}`);
  return JSON.parse(line);
}

if (process.argv[2] === '--parked') {
  parked(Number(process.argv[3])).then((p) => console.log(JSON.stringify(p)), (e) => {
    console.error(e);
    process.exit(1);
  });
} else (async () => {
  const head = ['benchmark', 'tova', 'Go (same run)', 'tova rate', 'Go rate'];
  const rows = [];
  const t = {
    add: (r) => rows.push(r),
    print: () => {
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
      const line = (c) => c.map((x, i) => String(x).padEnd(w[i])).join(' | ').trimEnd();
      console.log(`\nTasks that park (${JS_HOST}; tova: WebAssembly tasks from JS, end to end)`);
      console.log(line(head));
      console.log(w.map((x) => '-'.repeat(x)).join('-|-'));
      for (const r of rows) console.log(line(r));
    },
  };
  // Go's rows start with the program compiled and its runtime up; ours after
  // one small untimed run of the module (compiled, workers started) and a
  // pause in which the background compiler makes its pure functions native
  // (work, add): otherwise LLVM's compile of them shares the two cores with
  // the first row.
  {
    const ch = tova.channelCreate(1024);
    await tova.concurrentWasmWithChannels([
      { wasm: W, func: 'producer_work', args: [ch, 1000] },
      { wasm: W, func: 'consumer', args: [ch, 1000] },
    ]);
    await new Promise((r) => setTimeout(r, 300));
  }
  const row = (name, ms, g, n) => t.add([name, `${ms.toFixed(1)} ms`, `${Number(g.ms).toFixed(1)} ms`,
    n ? rate(n, ms) : '', n && g.ms ? rate(n, Number(g.ms)) : (g.error || '')]);
  row(`1M i64 WASM -> WASM, capacity 1024`.replace('1M', QUICK ? '100K' : '1M'), await pipe(1024), go('pipe1024', N), N);
  row(`same, capacity 0 (rendezvous)`, await pipe(0), go('pipe0', N), N);
  const pp = N / 10;
  row(`ping-pong round trips (${pp})`, await pingpong(pp), go('pingpong', pp), pp);
  row(`fan-in 8 -> 1`, await fanIn(), go('fanin', N), N);
  row(`fan-out 1 -> 4`, await fanOut(), go('fanout', N), N);
  row(`select over 4 channels`, await select4(), go('select4', N), N);
  const wn = N / 5;
  const goWork = go('work', wn);
  row(`${wn / 1000}K i64, producer computing each (32 rounds), cap. 1024`, await pipeWork(wn), goWork, wn);
  row(`same, the work written in the sending loop`, await pipeWork(wn, 'producer_inline'), goWork, wn);
  row(`same, the loop calling a helper that computes and sends`, await pipeWork(wn, 'producer_helper'), goWork, wn);
  // Before the parked rows: a million freed tasks leave the allocator work
  // to do that would land on this row (Go runs each row in a fresh process).
  const sn = QUICK ? 20000 : 200000;
  const goSpawn = go('spawn', sn);
  row(`${sn} concurrentWasmShared add tasks (one Buffer)`, await spawnShared(sn), goSpawn, sn);
  row(`same, on the .node file (Tova's bridge)`, await spawnShared(sn, require(tova.runtimePath())), goSpawn, sn);
  // add is stateless, so a batch's tasks may share instances; add_mem writes
  // its memory: an instance per task, the cost every task paid before.
  row(`same, add_mem (writes memory: an instance per task)`, await spawnShared(sn, tova, 'add_mem'), goSpawn, sn);
  for (const n of QUICK ? [10000] : [100000, 1000000]) {
    const p = parkedFresh(n);
    const g = go('parked', n);
    t.add([`${n} tasks parked at once, then released`, `${p.ms.toFixed(0)} ms, ${p.bytes} B/task (RSS)`,
      `${Number(g.ms).toFixed(0)} ms, ${g.bytes_per_task} B/goroutine`, '', '']);
  }
  t.print();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
