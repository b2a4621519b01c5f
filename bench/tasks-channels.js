#!/usr/bin/env node
// Tasks and channels from JS, each beside the same work done with plain JS:
//   - 1M values through concurrentAll   vs  Promise.all of 1M resolved promises
//   - 1M channel send/receive pairs      vs  a JS array used as a queue
//     (fill to capacity then drain, repeatedly; and send-then-receive)
//   - 100K awaited channelSendAsync/channelRecv pairs vs an async JS queue
// Runs under node and bun:  node bench/tasks-channels.js   |   bun bench/tasks-channels.js
// Numbers are printed, never asserted on; every result value is checked.
'use strict';
const { best, Table } = require('./lib/report.js');
const { loadApi } = require('./lib/tova.js');

const N = 1_000_000;
const CAP = 1024;
const ASYNC_N = 100_000;
const RUNS = Number(process.env.BENCH_RUNS || 3);

function sumTo(n) { return (n * (n - 1)) / 2; }

async function benchConcurrentAll(tova, table) {
  const values = new Array(N);
  for (let i = 0; i < N; i++) values[i] = i;
  const check = (r) => (r.length === N && r[0] === 0 && r[N - 1] === N - 1 && r[N >> 1] === N >> 1 ? 'ok' : 'WRONG');
  const t = await best(RUNS, () => tova.concurrentAll(values));
  const p = await best(RUNS, () => Promise.all(values.map((v) => Promise.resolve(v))));
  table.add({ name: `concurrentAll, ${N / 1e6}M values`, count: N, tova: { ms: t.ms },
    peer: { name: 'Promise.all', ms: p.ms }, check: `${check(t.value)} / ${check(p.value)}` });
  if (typeof tova.concurrentAllTyped === 'function') {
    const typed = Float64Array.from(values);
    const ty = await best(RUNS, () => tova.concurrentAllTyped(typed));
    const ok = ty.value.length === N && ty.value[N - 1] === N - 1 ? 'ok' : 'WRONG';
    table.add({ name: `concurrentAllTyped, ${N / 1e6}M (Float64Array)`, count: N, tova: { ms: ty.ms },
      peer: { name: 'Promise.all', ms: p.ms }, check: ok });
  }
}

function channelFillDrain(tova) {
  const ch = tova.channelCreate(CAP);
  let sum = 0;
  for (let base = 0; base < N; base += CAP) {
    const m = Math.min(CAP, N - base);
    for (let i = 0; i < m; i++) tova.channelSend(ch, base + i);
    for (let i = 0; i < m; i++) sum += tova.channelReceive(ch);
  }
  tova.channelClose(ch);
  return sum;
}

function arrayFillDrain() {
  const q = [];
  let sum = 0;
  for (let base = 0; base < N; base += CAP) {
    const m = Math.min(CAP, N - base);
    for (let i = 0; i < m; i++) q.push(base + i);
    for (let i = 0; i < m; i++) sum += q.shift();
  }
  return sum;
}

function channelPingPong(tova) {
  const ch = tova.channelCreate(CAP);
  let sum = 0;
  for (let i = 0; i < N; i++) {
    tova.channelSend(ch, i);
    sum += tova.channelReceive(ch);
  }
  tova.channelClose(ch);
  return sum;
}

function arrayPingPong() {
  const q = [];
  let sum = 0;
  for (let i = 0; i < N; i++) {
    q.push(i);
    sum += q.shift();
  }
  return sum;
}

// A minimal promise-based queue in plain JS, the peer of channelSendAsync/channelRecv.
class JsAsyncQueue {
  constructor() { this.items = []; this.waiters = []; }
  send(v) {
    const w = this.waiters.shift();
    if (w) w(v); else this.items.push(v);
    return Promise.resolve();
  }
  recv() {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

async function asyncPairs(send, recv) {
  let sum = 0;
  const consumer = (async () => {
    for (let i = 0; i < ASYNC_N; i++) sum += await recv();
  })();
  for (let i = 0; i < ASYNC_N; i++) await send(i);
  await consumer;
  return sum;
}

async function benchChannels(tova, table) {
  const want = sumTo(N);
  const ok = (s) => (s === want ? 'ok' : `WRONG (${s})`);
  let t = await best(RUNS, () => channelFillDrain(tova));
  let p = await best(RUNS, () => arrayFillDrain());
  table.add({ name: `channel ${N / 1e6}M pairs, fill ${CAP} then drain`, count: N, tova: { ms: t.ms },
    peer: { name: 'JS array', ms: p.ms }, check: `${ok(t.value)} / ${ok(p.value)}` });
  t = await best(RUNS, () => channelPingPong(tova));
  p = await best(RUNS, () => arrayPingPong());
  table.add({ name: `channel ${N / 1e6}M pairs, send then receive`, count: N, tova: { ms: t.ms },
    peer: { name: 'JS array', ms: p.ms }, check: `${ok(t.value)} / ${ok(p.value)}` });

  const wantAsync = sumTo(ASYNC_N);
  const okA = (s) => (s === wantAsync ? 'ok' : `WRONG (${s})`);
  t = await best(RUNS, () => {
    const ch = tova.channelCreate(64);
    return asyncPairs((v) => tova.channelSendAsync(ch, v), () => tova.channelRecv(ch));
  });
  p = await best(RUNS, () => {
    const q = new JsAsyncQueue();
    return asyncPairs((v) => q.send(v), () => q.recv());
  });
  table.add({ name: `${ASYNC_N / 1e3}K awaited channelSendAsync/channelRecv`, count: ASYNC_N, tova: { ms: t.ms },
    peer: { name: 'JS promise queue', ms: p.ms }, check: `${okA(t.value)} / ${okA(p.value)}` });
}

async function main() {
  const runtime = typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`;
  const table = new Table(`tova_runtime tasks and channels from JS (${runtime}, best of ${RUNS})`);
  const { api: tova, reason } = loadApi();
  if (!tova) {
    console.log(`skipped: ${reason}`);
    return;
  }
  await benchConcurrentAll(tova, table);
  await benchChannels(tova, table);
  table.print();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
