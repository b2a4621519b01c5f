'use strict';
// node bench/lib/node_call.js WASM FUNC ARG RUNS: one export of a .wasm in
// Node's WebAssembly (V8), called once untimed to warm its tiers, then RUNS
// times; prints "BEST_MS RESULT". bench/engine.js's Node column.
const fs = require('fs');
const [file, func, arg, runs] = process.argv.slice(2);
const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(file)), {});
const f = inst.exports[func];
let v = f(BigInt(arg));
let best = Infinity;
for (let r = 0; r < Math.max(1, Number(runs)); r++) {
  const t0 = process.hrtime.bigint();
  v = f(BigInt(arg));
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
}
console.log(`${best.toFixed(3)} ${v}`);
