// The packed form of the concurrentWasm* batch calls, installed on the addon
// itself when it loads (src/napi/pack_install.c runs this file, embedded at
// build time), so every caller gets it: the package's index.js and Tova's
// own runtime bridge, which calls the .node file's functions directly.
//
// Batches that call one export of one module with number arguments (the
// shape Tova's compiler emits: `concurrent { spawn f(i) ... }`) go to the
// addon packed: one Float64Array of every task's arguments instead of an
// object per task, which N-API reads far more slowly than this loop does.
// Anything else, including input the packed call cannot take (the addon's
// concurrentWasmPacked then returns undefined having done nothing), goes the
// ordinary way, and the ordinary call reports what is wrong, as it always has.
//
// This file is evaluated by the addon as the body of a function taking
// `module` (no require, no globals beyond the language's own).
'use strict';

const PACK_MIN = 16;
const PACKABLE = ['concurrentWasm', 'concurrentWasmShared', 'concurrentWasmWithChannels'];

function packTasks(tasks) {
  try {
    // Inside the try: Array.isArray throws on a revoked Proxy.
    if (!Array.isArray(tasks) || tasks.length < PACK_MIN) return null;
    const n = tasks.length;
    const t0 = tasks[0];
    if (t0 === null || typeof t0 !== 'object') return null;
    const wasm = t0.wasm, func = t0.func, a0 = t0.args;
    if (typeof func !== 'string' || wasm === null || typeof wasm !== 'object' || Array.isArray(wasm) ||
        !Array.isArray(a0)) return null;
    const k = a0.length;
    if (k === 0) return null;
    const args = new Float64Array(n * k);
    for (let i = 0, at = 0; i < n; i++) {
      const t = tasks[i];
      if (t === null || typeof t !== 'object' || t.wasm !== wasm || t.func !== func) return null;
      const a = t.args;
      if (!Array.isArray(a) || a.length !== k) return null;
      for (let j = 0; j < k; j++, at++) {
        const v = a[j];
        if (typeof v !== 'number') return null;
        args[at] = v;
      }
    }
    return { wasm, func, args, k };
  } catch (_) {
    return null; // a throwing getter or Proxy: the ordinary call reports it
  }
}

// A packed batch whose results are all numbers resolves with them in one
// Float64Array (no call's results are ever a typed array otherwise): the
// array of numbers the call promises is made here, where it costs a copy
// per element instead of two N-API calls.
function unpackResults(v) {
  if (!(v instanceof Float64Array)) return v;
  const n = v.length;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = v[i];
  return out;
}

// Replace addon[name] for each packable call by one that tries the packed
// form first. The ordinary function stays reachable as addon[name].plain.
function installPacking(addon) {
  const packed = addon.concurrentWasmPacked;
  if (typeof packed !== 'function') return;
  for (const name of PACKABLE) {
    const plain = addon[name];
    if (typeof plain !== 'function' || plain.plain) continue;
    const call = function (tasks, extra) {
      const p = packTasks(tasks);
      const r = p && packed(name, p.wasm, p.func, p.args, p.k, extra);
      return r ? r.then(unpackResults) : plain(tasks, extra);
    };
    Object.defineProperty(call, 'name', { value: name });
    call.plain = plain;
    addon[name] = call;
  }
}

module.exports = { packTasks, installPacking };
