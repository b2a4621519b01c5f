// Exit test script: a WebAssembly task that never returns is running when
// the script calls process.exit(); teardown must interrupt it, not hang.
'use strict';
const tova = require('../..');
const { mathModule } = require('./wasm-builder.js');

const math = mathModule();
tova.execWasm(math, 'add', [1, 2]).then((r) => {
  if (r !== 3) throw new Error(`bad result ${r}`);
  tova.execWasm(math, 'spin', []).catch(() => {});
  tova.concurrentWasmShared(Array.from({ length: 4 }, () => ({ wasm: math, func: 'spin', args: [] }))).catch(() => {});
  setTimeout(() => {
    console.log('done');
    process.exit(0);
  }, 200);
});
