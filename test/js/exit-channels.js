// Exit test script (run by exit.test.js under bun and node): uses channels and
// tasks, leaves work queued and promises pending that nobody can settle, and
// must still exit by itself right after its last line.
'use strict';
const tova = require('../..');

const ch = tova.channelCreate(64);
for (let i = 0; i < 64; i++) tova.channelSend(ch, i);
let sum = 0;
for (let v; (v = tova.channelReceive(ch)) !== null;) sum += v;
if (sum !== (64 * 63) / 2) throw new Error(`bad sum ${sum}`);

// Tasks left queued, results never awaited...
tova.spawnTask(1);
tova.concurrentAll(Array.from({ length: 100000 }, (_, i) => i));
// ...and some whose results arrive after the last line: pending task work
// keeps the process alive until it is delivered.
tova.spawnTask(7).then((v) => console.log(`late spawnTask ${v}`));
tova.concurrentAll([1, 2, 3]).then((v) => console.log(`late concurrentAll ${v.join(',')}`));

// A select with a timeout fires by itself, as a setTimeout does: it keeps the
// process alive until then, with nothing else pending.
tova.channelSelect([{ chan: tova.channelCreate(0), op: 'recv' }], { timeout: 50 })
  .then((r) => console.log(`late select ${r.index}`));

// Waits that can never complete: they must not keep the process alive.
tova.channelSelect([{ chan: tova.channelCreate(0), op: 'recv' }]);
tova.channelRecv(tova.channelCreate(1));
const full = tova.channelCreate(1);
tova.channelSend(full, 1);
tova.channelSendAsync(full, 2);
tova.channelSendAsync(tova.channelCreate(0), 3);

console.log('done');
