// Exit test script: WebAssembly tasks parked on channels, sleeping, and
// spinning (stopped by a deadline and by a handle's cancel), plus a worker
// thread whose WebAssembly task is parked when the worker is terminated. The
// process must exit by itself once all of that has settled.
'use strict';
const path = require('path');
const { Worker, isMainThread, parentPort } = require('worker_threads');
const tova = require('../..');
const { parkingModule } = require('./parking-fixture.js');
const W = parkingModule();

if (!isMainThread) {
  const ch = tova.channelCreate(0);
  tova.execWasm(W, 'recv_one', [ch]).catch(() => {}); // parked for ever: ended at terminate
  tova.execWasm(W, 'spin', []).catch(() => {});        // spinning: interrupted at terminate
  setTimeout(() => parentPort.postMessage('parked'), 20);
} else {
  (async () => {
    const spin = tova.spawnWasm(W, 'spin', []);
    setTimeout(() => spin.cancel(), 20);
    const codes = [];
    await spin.result.catch((e) => codes.push(e.code));
    await tova.execWasm(W, 'spin', [], { timeout: 20 }).catch((e) => codes.push(e.code));
    await tova.execWasm(W, 'nap', [10]);
    const w = new Worker(__filename);
    await new Promise((resolve) => w.once('message', resolve));
    await w.terminate();
    // A task parked on a channel that JS still feeds later is not a deadlock.
    const ch = tova.channelCreate(0);
    const late = tova.execWasm(W, 'recv_one', [ch]);
    setTimeout(() => tova.channelSend(ch, 5), 30);
    codes.push(await late);
    console.log(codes.join(' '));
    console.log('done');
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
