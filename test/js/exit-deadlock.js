// Exit test script: every WebAssembly task asleep on channels and JS done:
// the pending calls reject with TOVA_DEADLOCK naming the tasks and channels,
// and the process exits by itself.
'use strict';
const tova = require('../..');
const { parkingModule } = require('./parking-fixture.js');
const W = parkingModule();

const a = tova.channelCreate(0);
const b = tova.channelCreate(0);
const seen = [];
const report = (e) => seen.push(`${e.code} ${e.message}`);
Promise.allSettled([
  tova.execWasm(W, 'recv_one', [a]).catch(report),
  tova.concurrentWasmWithChannels([{ wasm: W, func: 'send_one', args: [b, 1] }]).catch(report),
]).then(() => {
  for (const s of seen) console.log(s);
  console.log('done');
});
