'use strict';
// Concurrency benchmark: many tiny WebAssembly tasks and channel throughput,
// tova beside Go (goroutines, buffered channels) and Bun Workers.
//
//   bun bench/concurrency.js       (BENCH_QUICK=1 for small sizes)
//
// Every timed section runs from "inputs known" to "all results in hand" in
// the caller: building the task list or typed arrays is included, because a
// user pays for it too. Results are checked element by element.
const { loadWasm } = require('./lib/wasm');
const { best, Table, check, withTimeout, now, JS_HOST } = require('./lib/report');
const tovaLib = require('./lib/tova');
const { runGo } = require('./lib/go');
const { AddPool } = require('./workers/pool');
const { firstLine } = tovaLib;

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS || 3);
const LIMIT_MS = Number(process.env.BENCH_CALL_LIMIT_MS || 60000);
const TASKS = QUICK ? 10000 : 100000;
const MESSAGES = QUICK ? 100000 : 1000000;
const CAPACITY = 1024;
const BATCH = 5000; // Bun Workers: calls per message
const WORKERS = 2;

const expectedAddSum = BigInt(TASKS) * BigInt(TASKS - 1); // sum of add(i, i)
const expectedMsgSum = BigInt(MESSAGES) * BigInt(MESSAGES - 1) / 2n; // sum of 0..N-1

// A received i64 as a number for summing: BigInt arithmetic per message would
// cost more than the channel operation being measured. Sums stay below 2^53.
function num(v) { return typeof v === 'bigint' ? Number(v) : v; }

// Sum of a result list after checking each element: results[i] must be 2i.
function checkAdds(results) {
  if (!results || results.length !== TASKS) return `WRONG: ${results ? results.length : results} results`;
  let sum = 0n;
  for (let i = 0; i < TASKS; i++) {
    if (BigInt(results[i]) !== 2n * BigInt(i)) return `WRONG: add(${i},${i}) gave ${results[i]}`;
    sum += BigInt(results[i]);
  }
  return check('sum', sum, expectedAddSum);
}

// Runs a tova measurement, turning "missing API" and failures into a skip.
async function tovaRun(tova, needs, fn) {
  for (const name of needs) {
    const why = tovaLib.need(tova, name);
    if (why) return { side: { skip: why } };
  }
  try {
    const r = await best(RUNS, () => withTimeout(Promise.resolve(fn()), LIMIT_MS, needs.join('+')));
    return { side: { ms: r.ms }, value: r.value };
  } catch (e) {
    return { side: { skip: `${needs.join('+')} failed: ${firstLine(e.message)}` } };
  }
}

function goSide(name, args, what) {
  try {
    const r = runGo(name, args, LIMIT_MS);
    return { side: { name: 'Go ' + what, ms: Number(r.ms) }, fields: r };
  } catch (e) {
    return { side: { skip: firstLine(e.message) }, fields: null };
  }
}

async function taskRows(table, tova) {
  const add = loadWasm('add');
  const addBuf = Buffer.from(add);
  const go = goSide('spawn', [TASKS], `${TASKS / 1000}K goroutines`);
  const goCheck = go.fields ? 'go ' + check('sum', go.fields.sum, expectedAddSum) : '';

  // 1. The seed API: an array of task objects, one instance per task.
  const shared = await tovaRun(tova, ['concurrentWasmShared'], async () => {
    const tasks = new Array(TASKS);
    for (let i = 0; i < TASKS; i++) tasks[i] = { wasm: addBuf, func: 'add', args: [i, i] };
    return tova.api.concurrentWasmShared(tasks);
  });
  table.add({
    name: `${TASKS / 1000}K add tasks: concurrentWasmShared`, count: TASKS, tova: shared.side, peer: go.side,
    check: [shared.value ? 'tova ' + checkAdds(shared.value) : '', goCheck].filter(Boolean).join(', '),
  });

  // 2. The bulk call: one export over the rows of a typed array (row-major
  //    [a0, b0, a1, b1, ...]), results as a BigInt64Array.
  let compiled = null;
  const bulk = await tovaRun(tova, ['callBulk', 'compile'], async () => {
    if (!compiled) compiled = tova.api.compile(addBuf); // once; cached by content anyway
    const args = new BigInt64Array(2 * TASKS);
    for (let i = 0; i < TASKS; i++) { const v = BigInt(i); args[2 * i] = v; args[2 * i + 1] = v; }
    return tova.api.callBulk(compiled, 'add', args);
  });
  table.add({
    name: `${TASKS / 1000}K add tasks: callBulk (typed arrays)`, count: TASKS, tova: bulk.side, peer: go.side,
    check: bulk.value ? 'tova ' + checkAdds(bulk.value) : '',
  });

  // 3. Bun Workers peer (warm pool, batched typed-array messages).
  let workers;
  try {
    const pool = await AddPool.start(add, WORKERS);
    const mk = () => { const a = new BigInt64Array(TASKS); for (let i = 0; i < TASKS; i++) a[i] = BigInt(i); return a; };
    await pool.run(mk(), mk(), BATCH); // warm-up round
    const r = await best(RUNS, () => { const a = mk(); return pool.run(a, a.slice(), BATCH); });
    await pool.stop();
    workers = { side: { name: `${JS_HOST} ${WORKERS} Workers, batches of ${BATCH}`, ms: r.ms }, check: JS_HOST.toLowerCase() + ' ' + checkAdds(r.value) };
  } catch (e) {
    workers = { side: { skip: `${JS_HOST} Workers: ${firstLine(e.message)}` }, check: '' };
  }
  table.add({
    name: `${TASKS / 1000}K add tasks: concurrentWasmShared`, count: TASKS, tova: shared.side, peer: workers.side,
    check: workers.check,
  });
  table.add({
    name: `${TASKS / 1000}K add tasks: callBulk (typed arrays)`, count: TASKS, tova: bulk.side, peer: workers.side,
    check: workers.check,
  });
}

// Closing wakes any waiter a failed run left behind; a second close is fine here.
function closeQuietly(api, ch) {
  try { api.channelClose(ch); } catch (_) { /* already closed */ }
}

async function channelRows(table, tova) {
  const go = goSide('chan', [MESSAGES, CAPACITY], `buffered chan(${CAPACITY})`);
  const goCheck = go.fields ? 'go ' + check('sum', go.fields.sum, expectedMsgSum) : '';

  // 1. From JS: try-send a channel's worth, then try-receive it, repeated.
  const js = await tovaRun(tova, ['channelCreate', 'channelSend', 'channelReceive', 'channelClose'], () => {
    const api = tova.api;
    const ch = api.channelCreate(CAPACITY);
    let sum = 0;
    let got = 0;
    for (let start = 0; start < MESSAGES; start += CAPACITY) {
      const end = Math.min(MESSAGES, start + CAPACITY);
      for (let i = start; i < end; i++) {
        if (api.channelSend(ch, i) === false) throw new Error(`channelSend(${i}) found the channel full`);
      }
      for (let i = start; i < end; i++) {
        const v = api.channelReceive(ch);
        if (v === null || v === undefined) throw new Error(`channelReceive found the channel empty at ${i}`);
        sum += num(v);
        got++;
      }
    }
    api.channelClose(ch);
    if (api.channelReceive(ch) !== null) throw new Error('receive after close and drain is not null');
    return { sum, got };
  });
  table.add({
    name: `${MESSAGES / 1e6}M msgs: JS try-send/receive, ${CAPACITY} at a time`, count: MESSAGES, tova: js.side, peer: go.side,
    check: [js.value ? 'tova ' + check('sum', js.value.sum, expectedMsgSum) : '', goCheck].filter(Boolean).join(', '),
  });

  // 1c. The batched forms: a channel's worth per call each way, a typed
  //     array in and one out, beside the same values through a plain JS
  //     array (push them, then read them back): the queue a JS program would
  //     use without channels, which one N-API call per value was 18-49x of.
  const batch = await tovaRun(tova, ['channelCreate', 'channelSendBatch', 'channelReceiveBatch', 'channelClose'], () => {
    const api = tova.api;
    const ch = api.channelCreate(CAPACITY);
    const buf = new Float64Array(CAPACITY);
    let sum = 0;
    for (let start = 0; start < MESSAGES; start += CAPACITY) {
      const n = Math.min(MESSAGES, start + CAPACITY) - start;
      const vals = n === CAPACITY ? buf : buf.subarray(0, n);
      for (let i = 0; i < n; i++) vals[i] = start + i;
      const sent = api.channelSendBatch(ch, vals);
      if (sent !== n) throw new Error(`channelSendBatch took ${sent} of ${n}`);
      const got = api.channelReceiveBatch(ch, n);
      if (!got || got.length !== n) throw new Error(`channelReceiveBatch gave ${got && got.length} of ${n}`);
      for (let i = 0; i < n; i++) sum += num(got[i]);
    }
    api.channelClose(ch);
    if (api.channelReceiveBatch(ch, 1) !== null) throw new Error('a batch receive after close and drain is not null');
    return sum;
  });
  const array = await best(RUNS, () => {
    let sum = 0;
    for (let start = 0; start < MESSAGES; start += CAPACITY) {
      const end = Math.min(MESSAGES, start + CAPACITY);
      const q = [];
      for (let i = start; i < end; i++) q.push(i);
      for (let i = 0; i < q.length; i++) sum += q[i];
    }
    return sum;
  });
  table.add({
    name: `${MESSAGES / 1e6}M msgs: JS channelSendBatch/ReceiveBatch, ${CAPACITY} per call`, count: MESSAGES, tova: batch.side,
    peer: { name: `a JS array, ${CAPACITY} pushed then read`, ms: array.ms },
    check: [batch.value != null ? 'tova ' + check('sum', batch.value, expectedMsgSum) : '',
      'array ' + check('sum', array.value, expectedMsgSum)].join(', '),
  });

  // 1b. From JS with the waiting forms only: an async producer awaiting every
  //     channelSendAsync and an async consumer awaiting every channelRecv,
  //     both on the JS thread, interleaved by the event loop.
  const jsAsync = await tovaRun(tova, ['channelCreate', 'channelSendAsync', 'channelRecv'], async () => {
    const api = tova.api;
    const ch = api.channelCreate(CAPACITY);
    try {
      const producer = (async () => {
        for (let i = 0; i < MESSAGES; i++) await api.channelSendAsync(ch, i);
      })();
      const consumer = (async () => {
        let sum = 0;
        for (let i = 0; i < MESSAGES; i++) {
          const v = await api.channelRecv(ch);
          if (v === null) throw new Error(`channel closed after ${i} values`);
          sum += num(v);
        }
        return sum;
      })();
      const [, sum] = await Promise.all([producer, consumer]);
      return sum;
    } finally {
      closeQuietly(api, ch);
    }
  });
  table.add({
    name: `${MESSAGES / 1e6}M msgs: JS await channelSendAsync / channelRecv`, count: MESSAGES, tova: jsAsync.side, peer: go.side,
    check: jsAsync.value != null ? 'tova ' + check('sum', jsAsync.value, expectedMsgSum) : '',
  });

  // 2. Between two WebAssembly tasks: producer -> chan(CAPACITY) -> consumer,
  //    the same shape as the Go program.
  const chanWasm = Buffer.from(loadWasm('channels'));
  const wasm = await tovaRun(tova, ['channelCreate', 'concurrentWasmWithChannels'], async () => {
    const ch = tova.api.channelCreate(CAPACITY);
    try {
      return await tova.api.concurrentWasmWithChannels([
        { wasm: chanWasm, func: 'producer', args: [ch, MESSAGES] },
        { wasm: chanWasm, func: 'consumer', args: [ch, MESSAGES] },
      ]);
    } finally {
      closeQuietly(tova.api, ch);
    }
  });
  let wasmCheck = '';
  if (wasm.value) {
    wasmCheck = 'tova ' + check('sent', wasm.value[0], MESSAGES) + ' ' + check('sum', wasm.value[1], expectedMsgSum);
  }
  table.add({
    name: `${MESSAGES / 1e6}M msgs: wasm producer task -> consumer task`, count: MESSAGES, tova: wasm.side, peer: go.side,
    check: wasmCheck,
  });

  // 3. JS producer -> wasm consumer task: try-send, and await the waiting form
  //    only when the channel is full (how JS feeds a task without blocking).
  const jsToWasm = await tovaRun(tova, ['channelCreate', 'channelSendAsync', 'execWasmWithChannels'], async () => {
    const api = tova.api;
    const ch = api.channelCreate(CAPACITY);
    const consumer = api.execWasmWithChannels(chanWasm, 'consumer', [ch, MESSAGES]);
    // A consumer that fails (or ends early) must stop the sends, not strand them.
    const stop = consumer.then(() => { throw new Error('consumer finished before every value was sent'); });
    stop.catch(() => {});
    try {
      for (let i = 0; i < MESSAGES; i++) {
        if (api.channelSend(ch, i) === false) await Promise.race([api.channelSendAsync(ch, i), stop]);
      }
      return await consumer;
    } finally {
      closeQuietly(api, ch);
    }
  });
  table.add({
    name: `${MESSAGES / 1e6}M msgs: JS send (async when full) -> wasm task`, count: MESSAGES, tova: jsToWasm.side, peer: go.side,
    check: jsToWasm.value != null ? 'tova ' + check('sum', jsToWasm.value, expectedMsgSum) : '',
  });

  // 4. wasm producer task -> JS consumer: try-receive, and await the waiting
  //    form only when the channel is empty.
  const wasmToJs = await tovaRun(tova, ['channelCreate', 'channelRecv', 'execWasmWithChannels'], async () => {
    const api = tova.api;
    const ch = api.channelCreate(CAPACITY);
    const producer = api.execWasmWithChannels(chanWasm, 'producer', [ch, MESSAGES]);
    // A producer that fails must stop the receives; one that finishes is normal.
    const failed = producer.then(() => new Promise(() => {}));
    failed.catch(() => {});
    try {
      let sum = 0;
      for (let i = 0; i < MESSAGES; i++) {
        let v = api.channelReceive(ch);
        if (v === null) v = await Promise.race([api.channelRecv(ch), failed]);
        if (v === null) throw new Error(`channel closed after ${i} values`);
        sum += num(v);
      }
      return { sum, sent: await producer };
    } finally {
      closeQuietly(api, ch);
    }
  });
  table.add({
    name: `${MESSAGES / 1e6}M msgs: wasm task -> JS receive (async when empty)`, count: MESSAGES, tova: wasmToJs.side, peer: go.side,
    check: wasmToJs.value ? 'tova ' + check('sent', wasmToJs.value.sent, MESSAGES) + ' ' + check('sum', wasmToJs.value.sum, expectedMsgSum) : '',
  });
}

// A rejection nobody awaited (e.g. a task that failed while JS was busy) is
// reported, not allowed to end the program before its table is printed.
process.on('unhandledRejection', (e) => console.log('  unhandled rejection: ' + firstLine(e && e.message)));

async function main() {
  const tova = tovaLib.loadApi();
  const t0 = now();
  if (tova.api && typeof tova.api.concurrentWasmShared === 'function') {
    // Start the worker pool and touch every path once before timing.
    try {
      const add = Buffer.from(loadWasm('add'));
      await withTimeout(Promise.resolve(tova.api.concurrentWasmShared([{ wasm: add, func: 'add', args: [1, 2] }])), LIMIT_MS, 'warm-up');
    } catch (e) {
      console.log('  warm-up call failed: ' + firstLine(e.message));
    }
  }
  const table = new Table(`Concurrency: tova vs Go and ${JS_HOST} Workers (best of ${RUNS} runs; rates in parentheses)`);
  await taskRows(table, tova);
  await channelRows(table, tova);
  table.print();
  console.log(`  (concurrency benchmarks took ${((now() - t0) / 1000).toFixed(1)} s)`);
  if (table.rows.some((r) => /WRONG/.test(r.check))) {
    console.log('  at least one result is WRONG: its time means nothing');
    process.exitCode = 1;
  }
}

main().then(() => process.exit(), (e) => { console.error(e); process.exit(1); });
