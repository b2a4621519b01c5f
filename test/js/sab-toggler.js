// Worker for hardening.test.js: flips one byte of a SharedArrayBuffer between
// two values as fast as it can, until told to stop (ctl[0] set: ctl is an
// Int32Array over its own SharedArrayBuffer).
'use strict';
const { parentPort, workerData } = require('worker_threads');

const bytes = new Uint8Array(workerData.bytes);
const ctl = new Int32Array(workerData.ctl);
const { at, a, b } = workerData;
parentPort.postMessage('ready');
while (Atomics.load(ctl, 0) === 0) {
  bytes[at] = bytes[at] === a ? b : a;
}
parentPort.postMessage('stopped');
