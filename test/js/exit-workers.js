// Exit test script: several worker_threads load the addon at the same time,
// use it, leave waits pending (one even spins in WebAssembly and is
// terminated), and the process exits by itself when the main script is done.
'use strict';
const path = require('path');
const { Worker } = require('worker_threads');
const tova = require('../..');

const results = tova.channelCreate(16);
const body = path.join(__dirname, 'worker-body.js');
const workers = [0, 1, 2].map((i) => new Worker(body, { workerData: { index: i, results } }));

Promise.all(workers.map((w) => new Promise((resolve, reject) => {
  w.once('message', resolve);
  w.once('error', reject);
}))).then(async (msgs) => {
  for (const m of msgs) if (!m.ok) throw new Error(`worker failed: ${m.error}`);
  const got = [];
  for (let i = 0; i < 3; i++) got.push(await tova.channelRecv(results));
  got.sort();
  if (got.join() !== '100,101,102') throw new Error(`bad channel values ${got}`);
  // A spinning worker must be terminated promptly (teardown interrupts it).
  const spinner = new Worker(body, { workerData: { index: 9, results, spin: true } });
  await new Promise((resolve) => spinner.once('message', resolve));
  await spinner.terminate();
  for (const w of workers) await w.terminate();
  console.log('done');
}).catch((e) => {
  console.error(e);
  process.exit(1);
});
