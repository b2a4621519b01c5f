// Exit test script: spawnWasm handles that are unref()'d do not keep the
// process alive, as a Node timer or Worker that is unref()'d: a task
// spinning for ever, one sleeping for a minute and one parked on a channel
// nobody feeds are still there when JS is done, and the process exits by
// itself (they end with it). ref() undoes unref(): that task keeps the
// process alive until JS cancels it. An unref()'d task that ends while the
// process is alive still settles its promise. With `keep` as argument, the
// spinning task stays referenced: that process must NOT exit by itself (the
// test's control, killed by its timeout).
'use strict';
const tova = require('../..');
const { parkingModule } = require('./parking-fixture.js');
const W = parkingModule();
const keep = process.argv[2] === 'keep';

(async () => {
  const spin = tova.spawnWasm(W, 'spin', []);
  if (!keep && spin.unref() !== spin) throw new Error('unref() should return the handle');
  spin.result.then(() => console.log('spin returned?'), () => {});
  tova.spawnWasm(W, 'nap', [60000]).unref().result.catch(() => {});
  tova.spawnWasm(W, 'recv_one', [tova.channelCreate(0)]).unref().result.catch(() => {});

  // ref() after unref(): referenced again, so only the cancel lets us go on.
  const back = tova.spawnWasm(W, 'spin', []).unref().ref();
  setTimeout(() => back.cancel(), 30);
  const code = await back.result.then(() => 'returned', (e) => e.code);

  // Unreferenced but finished while JS is still busy: its result arrives.
  const quick = tova.spawnWasm(W, 'nap', [5]).unref();
  const keepAlive = setTimeout(() => {}, 2000);
  const v = await quick.result;
  clearTimeout(keepAlive);
  console.log(`ref ${code} quick ${v}`);
  console.log('done');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
