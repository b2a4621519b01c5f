// demo.js: a tour of tova_runtime from JS (run with `bun examples/demo.js` or
// `node examples/demo.js`). Tasks on the worker pool, Go-style channels between
// JS and the pool, WebAssembly functions run as tasks, and WebAssembly tasks
// that park on channels.
'use strict';
const tova = require('..');

// A tiny WebAssembly module, encoded by hand so the demo needs no toolchain:
//   (func (export "add") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
//   (func (export "fib") (param i64) (result i64) ...recursive fibonacci...)
function demoModule() {
  const I64 = 0x7e;
  const types = [0x01, 0x0c, 0x02, 0x60, 0x02, I64, I64, 0x01, I64, 0x60, 0x01, I64, 0x01, I64];
  const funcs = [0x03, 0x03, 0x02, 0x00, 0x01];
  const exp = [0x07, 0x0d, 0x02, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x03, 0x66, 0x69, 0x62, 0x00, 0x01];
  const add = [0x00, 0x20, 0x00, 0x20, 0x01, 0x7c, 0x0b];
  // if n < 2 then n else fib(n-1) + fib(n-2)
  const fib = [0x00, 0x20, 0x00, 0x42, 0x02, 0x53, 0x04, I64, 0x20, 0x00, 0x05,
    0x20, 0x00, 0x42, 0x01, 0x7d, 0x10, 0x01, 0x20, 0x00, 0x42, 0x02, 0x7d, 0x10, 0x01, 0x7c, 0x0b, 0x0b];
  const code = [0x02, add.length, ...add, fib.length, ...fib];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...types, ...funcs, ...exp, 0x0a, code.length, ...code]);
}

async function main() {
  if (!tova.isRuntimeAvailable()) {
    console.error(tova.runtimeLoadError());
    process.exit(1);
  }
  console.log(tova.healthCheck());

  // Tasks: every value runs as a task on the pool (one worker per core).
  const n = 100000;
  let t0 = performance.now();
  const values = await tova.concurrentAll(Array.from({ length: n }, (_, i) => i));
  console.log(`concurrentAll: ${n} tasks in ${(performance.now() - t0).toFixed(1)} ms, ` +
    `last = ${values[n - 1]}`);

  // Channels: a producer in JS, a consumer waiting on promises.
  const ch = tova.channelCreate(16);
  const consumer = (async () => {
    let sum = 0;
    for await (const v of tova.channelValues(ch)) sum += Number(v);
    return sum;
  })();
  for (let i = 1; i <= 1000; i++) await tova.channelSendAsync(ch, i);
  tova.channelClose(ch);
  console.log(`channel: sum of 1..1000 received = ${await consumer}`);

  // Closed channels say so: send after close is an Error with a stable code.
  try { tova.channelSend(ch, 1); } catch (e) { console.log(`send after close -> ${e.code}`); }

  // WebAssembly: compile once, run as tasks.
  const wasm = demoModule();
  console.log(`execWasm add(40, 2) = ${await tova.execWasm(wasm, 'add', [40, 2])}`);
  t0 = performance.now();
  const fibs = await tova.concurrentWasm([20, 21, 22, 23, 24, 25].map((k) => ({ wasm, func: 'fib', args: [k] })));
  console.log(`concurrentWasm fib(20..25) = ${fibs.join(', ')} in ${(performance.now() - t0).toFixed(1)} ms`);

  // Bulk: one export over many argument rows, typed arrays in and out.
  const rows = 100000;
  const args = new BigInt64Array(rows * 2);
  for (let i = 0; i < rows; i++) { args[2 * i] = BigInt(i); args[2 * i + 1] = BigInt(i); }
  t0 = performance.now();
  const sums = await tova.callBulk(tova.compile(wasm), 'add', args);
  console.log(`callBulk: ${rows} add calls in ${(performance.now() - t0).toFixed(1)} ms, ` +
    `last = ${sums[rows - 1]}`);

  // Tasks that park: a WebAssembly producer and consumer talking through a
  // channel with the `tova` host imports (docs/host-imports.md). A task that
  // waits on the channel parks: its worker runs the other task meanwhile.
  //   producer(ch, n): chan_send 0..n-1, then chan_close; consumer(ch): sum
  //   until closed (chan_receive gives i64 min); spin(): loop for ever.
  // (Assembled from that WAT with wabt's wat2wasm; inlined so the demo needs
  // no toolchain.)
  const park = Buffer.from(
    'AGFzbQEAAAABGwVgAn9+AX9gAX8BfmABfwF/YAJ/fgF+YAABfgI4AwR0b3ZhCWNoYW5fc2VuZAAABHRvdmEMY2hhbl9y' +
    'ZWNlaXZlAAEEdG92YQpjaGFuX2Nsb3NlAAIDBAMDAQQHHgMIcHJvZHVjZXIAAwhjb25zdW1lcgAEBHNwaW4ABQpgAygB' +
    'AX4CQANAIAIgAVkNASAAIAIQABogAkIBfCECDAALCyAAEAIaIAELKwECfgJAA0AgABABIQEgAUKAgICAgICAgIB/UQ0B' +
    'IAIgAXwhAgwACwsgAgsJAANADAALQgAL', 'base64');
  const pipe = tova.channelCreate(0); // rendezvous: every value is a hand-off between two parked tasks
  t0 = performance.now();
  const [sent, total] = await tova.concurrentWasmWithChannels([
    { wasm: park, func: 'producer', args: [pipe, 100000] },
    { wasm: park, func: 'consumer', args: [pipe] },
  ]);
  console.log(`WebAssembly producer -> consumer: ${sent} values, sum ${total}, ` +
    `in ${(performance.now() - t0).toFixed(1)} ms`);

  // Tova's `concurrent first`: the first success wins, a runaway loop is cancelled.
  const first = await tova.concurrentWasmFirst([
    { wasm: park, func: 'spin', args: [] },
    { wasm, func: 'fib', args: [20] },
  ]);
  console.log(`concurrentWasmFirst(spin, fib(20)) = ${first} (the spinning task was cancelled)`);
  try { await tova.execWasm(park, 'spin', [], { timeout: 20 }); } catch (e) {
    console.log(`a runaway loop under {timeout: 20} -> ${e.code}`);
  }

  // Traps are errors with code TOVA_TRAP, never a crash.
  const bad = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x74, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b]);
  try { await tova.execWasm(bad, 't', []); } catch (e) { console.log(`unreachable -> ${e.code}: ${e.message}`); }
}

main().catch((e) => { console.error(e); process.exit(1); });
