// Exit test script: process.exit() returns promptly while WebAssembly tasks
// spin and park (the cleanup hook stops them).
'use strict';
const tova = require('../..');
const { parkingModule } = require('./parking-fixture.js');
const W = parkingModule();
tova.execWasm(W, 'spin', []).catch(() => {});
tova.execWasm(W, 'spin', []).catch(() => {});
tova.execWasm(W, 'recv_one', [tova.channelCreate(0)]).catch(() => {});
setTimeout(() => {
  console.log('done');
  process.exit(0);
}, 30);
