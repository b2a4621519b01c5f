// Body of the worker_threads used by workers.test.js and exit-workers.js.
'use strict';
const { parentPort, workerData } = require('worker_threads');
const tova = require('../..');
const { mathModule } = require('./wasm-builder.js');

(async () => {
  const { index, results, spin, sendTo, count, sumFrom } = workerData;
  const math = mathModule();
  if (sendTo !== undefined) {
    // Cross-thread completions: every send wakes a channelRecv of the parent.
    for (let i = 0; i < count; i++) await tova.channelSendAsync(sendTo, index * count + i);
    parentPort.postMessage({ ok: true, sent: count });
    return;
  }
  if (sumFrom !== undefined) {
    // A WebAssembly task receiving from the parent's channel until it is
    // closed: parked there when the parent terminates this worker. The
    // worker stays alive until then (a listening port): a worker whose JS
    // is done exits, and its parked tasks end with it (first as a deadlock:
    // its own JS can no longer feed them).
    parentPort.on('message', () => {});
    const { parkingModule } = require('./parking-fixture.js');
    tova.execWasm(parkingModule(), 'sum_until_closed', [sumFrom]).catch(() => {});
    parentPort.postMessage({ ok: true, receiving: true });
    return;
  }
  if (spin) {
    tova.execWasm(math, 'spin', []).catch(() => {});
    parentPort.postMessage({ ok: true, spinning: true });
    return;
  }
  const n = 20000;
  const all = await tova.concurrentAll(Array.from({ length: n }, (_, i) => i + index));
  if (all.length !== n || all[n - 1] !== n - 1 + index) throw new Error('concurrentAll mismatch');
  const fib = await tova.execWasm(math, 'fib', [20 + index]);
  const local = tova.channelCreate(2);
  tova.channelSend(local, index);
  const back = tova.channelReceive(local);
  // Left pending on purpose: teardown must withdraw it.
  tova.channelRecv(tova.channelCreate(1));
  // Channels are process-wide: report through the parent's channel.
  await tova.channelSendAsync(results, 100 + index);
  parentPort.postMessage({ ok: true, index, fib, back, health: tova.healthCheck() });
})().catch((e) => parentPort.postMessage({ ok: false, error: String(e && e.stack) }));
