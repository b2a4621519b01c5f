// Exit test script: JS waits on a channel that only a WebAssembly task could
// feed, and that task is itself asleep on another channel: when JS is done,
// both the task's call and JS's own wait reject with TOVA_DEADLOCK.
'use strict';
const tova = require('../..');
const { parkingModule } = require('./parking-fixture.js');
const W = parkingModule();

const input = tova.channelCreate(0);
const output = tova.channelCreate(0);
const seen = [];
const report = (e) => seen.push(`${e.code} ${e.message}`);
Promise.allSettled([
  tova.execWasm(W, 'recv_one', [input]).catch(report), // waits for input nobody sends
  tova.channelRecv(output).catch(report),              // JS waits for output nobody sends
]).then(() => {
  for (const s of seen) console.log(s);
  console.log('done');
});
