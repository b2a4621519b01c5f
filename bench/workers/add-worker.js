'use strict';
// Worker of the Bun Workers peer: instantiates the same add.wasm the tova tasks
// run and answers each batch {id, a, b} (BigInt64Arrays) with {id, out}, where
// out[i] = add(a[i], b[i]). Buffers are transferred, not copied.
const { parentPort, workerData } = require('worker_threads');

const instance = new WebAssembly.Instance(new WebAssembly.Module(workerData.wasm), {});
const add = instance.exports.add;

parentPort.on('message', (msg) => {
  const { id, a, b } = msg;
  const out = new BigInt64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = add(a[i], b[i]);
  parentPort.postMessage({ id, out }, [out.buffer]);
});
parentPort.postMessage({ ready: true });
