// Exit test script: process.exit() returns promptly while WebAssembly tasks
// spin and park, alone or grouped (the cleanup hook stops them).
'use strict';
const tova = require('../..');
const { parkingModule } = require('./parking-fixture.js');
const W = parkingModule();
tova.execWasm(W, 'spin', []).catch(() => {});
tova.execWasm(W, 'spin', []).catch(() => {});
tova.execWasm(W, 'recv_one', [tova.channelCreate(0)]).catch(() => {});
// A packed batch of a stateless export (its tasks run 32 to a runtime task on
// one instance), each task a loop of a billion steps.
const { mathModule } = require('./wasm-builder.js');
const M = mathModule();
tova.concurrentWasmShared(Array.from({ length: 20000 }, () => ({ wasm: M, func: 'fib', args: [1e9] })))
  .catch(() => {});
setTimeout(() => {
  console.log('done');
  process.exit(0);
}, 30);
