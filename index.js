'use strict';
// tova_runtime: the package's main export (the "bridge").
//
// Finds and loads the native addon and exposes its API with the conveniences
// that belong in JS. Where the addon is looked for, in order:
//   1. <package>/build/tova_runtime.node, <package>/build/Release/tova_runtime.node
//      (a from-source build: `npm run build`, or the install script when no
//      prebuild fits)
//   2. <package>/prebuilds/<platform>-<arch>/tova_runtime.napi[.glibc|.musl].node
//      (shipped in the npm package; see lib/prebuilds.js)
//   3. $TOVA_RUNTIME_PATH: the .node file itself, or a directory holding it
//   4. ~/.tova/lib/tova_runtime.node
// When none loads, isRuntimeAvailable() is false and every other function
// throws an Error with code TOVA_UNAVAILABLE saying how to build the addon and
// why each candidate failed.

const fs = require('fs');
const os = require('os');
const path = require('path');
const prebuilds = require('./lib/prebuilds.js');

const ADDON_NAME = 'tova_runtime.node';

let native = null; // the addon's exports once loaded
let nativePath = null; // the file it came from
let loadError = null; // why it is not available (string), once tried

function candidates() {
  const list = [
    path.join(__dirname, 'build', ADDON_NAME),
    path.join(__dirname, 'build', 'Release', ADDON_NAME),
  ];
  const prebuilt = prebuilds.matchingAddons(__dirname);
  if (prebuilt.length) list.push(...prebuilt);
  else list.push(path.join(prebuilds.prebuildDir(__dirname), prebuilds.addonFileName()));
  const fromEnv = process.env.TOVA_RUNTIME_PATH;
  if (fromEnv) {
    let isDir = false;
    try { isDir = fs.statSync(fromEnv).isDirectory(); } catch (_) { /* reported below */ }
    list.push(isDir ? path.join(fromEnv, ADDON_NAME) : fromEnv);
  }
  list.push(path.join(os.homedir(), '.tova', 'lib', ADDON_NAME));
  return list;
}

function load() {
  if (native || loadError) return native;
  const tried = [];
  for (const file of candidates()) {
    if (!fs.existsSync(file)) {
      tried.push(`${file}: not found`);
      continue;
    }
    try {
      const addon = require(file);
      if (typeof addon.healthCheck !== 'function') throw new Error('not a tova_runtime addon');
      native = addon;
      nativePath = file;
      return native;
    } catch (e) {
      tried.push(`${file}: ${String(e && e.message).split('\n')[0]}`);
    }
  }
  const libc = prebuilds.libc();
  loadError =
    `tova_runtime: the native addon is not available for ${process.platform}-${process.arch}` +
    `${libc ? ' (' + libc + ')' : ''}: no from-source build and no prebuilt addon loaded. Build it ` +
    `from source with \`npm install\` / \`npm rebuild tova_runtime\` (install scripts enabled), or ` +
    `\`npm run build\` in ${__dirname} (needs cmake and a C11 compiler), or point ` +
    `TOVA_RUNTIME_PATH at a built ${ADDON_NAME}. Tried: ${tried.join('; ')}`;
  return null;
}

function unavailable() {
  const e = new Error(loadError);
  e.code = 'TOVA_UNAVAILABLE';
  return e;
}

// The addon, or throw TOVA_UNAVAILABLE.
function rt() {
  if (native || load()) return native;
  throw unavailable();
}

function badArgument(message) {
  const e = new TypeError(message);
  e.code = 'TOVA_BAD_ARGUMENT';
  return e;
}

// Whether e is one of the runtime's own errors (a TOVA_ code).
function isCoded(e) {
  try {
    return e instanceof Error && typeof e.code === 'string' && e.code.startsWith('TOVA_');
  } catch {
    return false; // a Proxy whose traps throw is not ours
  }
}

// A thrown value as text, without letting it throw again.
function describeThrown(e) {
  try {
    if (typeof e === 'symbol') return 'a Symbol';
    if (e !== null && typeof e === 'object' && 'message' in e) return String(e.message);
    return String(e);
  } catch {
    return 'a value that cannot be printed';
  }
}

// What user code threw while an argument was read (a getter, a Proxy's trap,
// a revoked Proxy) is bad input like any other: coded, never raw; the thrown
// value is kept as `cause`. The runtime's own errors pass unchanged.
function coded(e, fn) {
  if (isCoded(e)) return e;
  const err = badArgument(`${fn}: reading an argument threw: ${describeThrown(e)}`);
  err.cause = e;
  return err;
}

// A synchronous API function behind coded().
function guardSync(fn, name) {
  return function (...args) {
    try {
      return fn.apply(this, args);
    } catch (e) {
      throw coded(e, name);
    }
  };
}

// ---- availability -------------------------------------------------------

/** True when the native addon loaded. Never throws. */
function isRuntimeAvailable() {
  return load() !== null;
}

/** Where the addon was loaded from, or null. */
function runtimePath() {
  return load() ? nativePath : null;
}

/** Why the addon is not available, or null when it is. */
function runtimeLoadError() {
  load();
  return loadError;
}

function healthCheck() {
  return rt().healthCheck();
}

// ---- tasks -----------------------------------------------------------------

/** Which execution tiers this build has and the policy, e.g.
 *  'tiers: interp, native (LLVM 19.1.7); policy interp'. */
function runtimeInfo() {
  return rt().runtimeInfo();
}

function spawnTask(value) {
  return rt().spawnTask(value);
}

/** Runs one task per value (one batch, one promise); resolves to the values in order. */
function concurrentAll(values) {
  return rt().concurrentAll(values);
}

/** Typed-array form of concurrentAll: Float64Array/BigInt64Array/Int32Array in,
 * Float64Array (all results exact numbers) or BigInt64Array out. */
function concurrentAllTyped(values) {
  return rt().concurrentAllTyped(values);
}

// ---- channels ------------------------------------------------------------

function channelCreate(capacity) {
  return rt().channelCreate(capacity);
}
function channelSend(id, value) {
  return rt().channelSend(id, value);
}
function channelReceive(id) {
  return rt().channelReceive(id);
}
function channelClose(id) {
  return rt().channelClose(id);
}
function channelSendAsync(id, value) {
  return rt().channelSendAsync(id, value);
}
function channelRecv(id) {
  return rt().channelRecv(id);
}

/** Go's select: cases [{chan, op: 'recv'|'send', value}], options {timeout} or {default: true};
 *  Promise of {index, value, closed} (index -1: timeout or default). */
function channelSelect(cases, options) {
  const addon = rt();
  return asPromise(() => addon.channelSelect(cases, options), 'channelSelect');
}
/** Try-send many values (array or typed array) in one call; returns how many were taken. */
function channelSendBatch(id, values) {
  return rt().channelSendBatch(id, values);
}
/** Up to max ready values (Float64Array, or BigInt64Array for unsafe integers); null once closed and drained. */
function channelReceiveBatch(id, max) {
  return rt().channelReceiveBatch(id, max);
}

/** Async iterator over a channel: yields values until it is closed and drained. */
async function* channelValues(id) {
  const addon = rt();
  for (;;) {
    const v = await addon.channelRecv(id);
    if (v === null) return;
    yield v;
  }
}

// ---- WebAssembly ---------------------------------------------------------

// WebAssembly bytes may come as Buffer/Uint8Array/any TypedArray, ArrayBuffer,
// DataView, a plain array of byte values, or a module from compile().
function wasmArg(wasm, fn) {
  if (Array.isArray(wasm)) {
    for (let i = 0; i < wasm.length; i++) {
      const b = wasm[i];
      if (!Number.isInteger(b) || b < 0 || b > 255) {
        throw badArgument(`${fn}: wasm[${i}] is not a byte (0..255): ${String(b)}`);
      }
    }
    return Uint8Array.from(wasm);
  }
  return wasm;
}

function compile(wasm) {
  return rt().compile(wasmArg(wasm, 'compile'));
}

/** Compiles the module's functions to native code now, into the code cache,
 *  so that every later process running the same bytes is native from its
 *  first call without compiling (a build step's call: it blocks while LLVM
 *  compiles). Returns how many units of code later runs will link. */
function precompileWasm(wasm) {
  return rt().precompileWasm(wasmArg(wasm, 'precompileWasm'));
}

// Promise-returning calls reject, never throw (bad input included).
function asPromise(call, fn) {
  try {
    return call();
  } catch (e) {
    return Promise.reject(coded(e, fn));
  }
}

/** Run export `func` as one task; opts.timeout (ms) cancels it with TOVA_TIMEOUT. */
function execWasm(wasm, func, args, opts) {
  const addon = rt();
  return asPromise(() => addon.execWasm(wasmArg(wasm, 'execWasm'), func, args, opts), 'execWasm');
}

/** The plan's name for execWasm of a module importing tova.chan_* (every task links them). */
function execWasmWithChannels(wasm, func, args, opts) {
  const addon = rt();
  return asPromise(() => addon.execWasmWithChannels(wasmArg(wasm, 'execWasmWithChannels'), func, args, opts),
    'execWasmWithChannels');
}

/** A WASI command (its _start) as a task: options {args, env, preopens, stdin,
 *  stdout, stderr ('inherit' | 'pipe' | fd), timeout}; Promise of
 *  {exitCode, stdout?, stderr?}. */
function runWasi(wasm, options) {
  const addon = rt();
  return asPromise(() => addon.runWasi(wasmArg(wasm, 'runWasi'), options), 'runWasi');
}

/** One task with a handle: {id, result: Promise, cancel()}. Bad input gives
 *  a handle too: id 0 (no task), result rejected, cancel() a no-op. */
function spawnWasm(wasm, func, args, opts) {
  try {
    return rt().spawnWasm(wasmArg(wasm, 'spawnWasm'), func, args, opts);
  } catch (e) {
    return { id: 0, result: Promise.reject(coded(e, 'spawnWasm')), cancel() {}, unref() { return this; }, ref() { return this; } };
  }
}

// Tasks whose wasm is a plain byte array get a Uint8Array (one per distinct
// array, so 1000 tasks of one array still share one buffer). Everything else
// is passed as is; the addon checks it and names the failing task.
function tasksArg(tasks, fn) {
  if (!Array.isArray(tasks)) return tasks;
  let copy = null;
  let converted = null;
  for (let i = 0; i < tasks.length; i++) {
    let t, wasm;
    try {
      t = tasks[i];
      wasm = t && typeof t === 'object' ? t.wasm : undefined;
    } catch (e) {
      // A throwing getter is bad input like any other: coded, never raw.
      throw coded(e, `${fn}: tasks[${i}]`);
    }
    // The addon reads the tasks in order and refuses this one: nothing
    // after it matters (a sparse array of length 2^32 - 1 was a long loop).
    if (t === null || typeof t !== 'object') break;
    if (Array.isArray(wasm)) {
      if (!copy) { copy = tasks.slice(); converted = new Map(); }
      let bytes = converted.get(wasm);
      if (!bytes) {
        bytes = wasmArg(wasm, `${fn}: tasks[${i}]`);
        converted.set(wasm, bytes);
      }
      copy[i] = { wasm: bytes, func: t.func, args: t.args };
    }
  }
  return copy || tasks;
}

// Batches of one export of one module with number arguments go to the
// addon packed: the addon's own concurrentWasm* functions do that
// (lib/pack-tasks.js, installed on the .node file when it loads).
function batchCall(name, tasks, extra) {
  const addon = rt();
  return asPromise(() => addon[name](tasksArg(tasks, name), extra), name);
}

/** All results in order; the lowest-index failure rejects. opts.timeout per task. */
const concurrentWasm = (tasks, opts) => batchCall('concurrentWasm', tasks, opts);
const concurrentWasmShared = (tasks, opts) => batchCall('concurrentWasmShared', tasks, opts);
const concurrentWasmWithChannels = (tasks, opts) => batchCall('concurrentWasmWithChannels', tasks, opts);
/** Tova's `concurrent first`: the first success; the rest are cancelled. */
const concurrentWasmFirst = (tasks, opts) => batchCall('concurrentWasmFirst', tasks, opts);
/** Tova's `concurrent timeout(ms)`: all results, or TOVA_TIMEOUT with every task cancelled. */
const concurrentWasmTimeout = (tasks, ms) => batchCall('concurrentWasmTimeout', tasks, ms);
/** Tova's `concurrent cancel_on_error`: the first error cancels the rest and rejects. */
const concurrentWasmCancelOnError = (tasks, opts) => batchCall('concurrentWasmCancelOnError', tasks, opts);

/** Run export `func` over many argument rows (row-major typed array). */
function callBulk(module, func, args, rowCount, opts) {
  const addon = rt();
  return asPromise(() => addon.callBulk(wasmArg(module, 'callBulk'), func, args, rowCount, opts), 'callBulk');
}

module.exports = {
  isRuntimeAvailable,
  runtimePath,
  runtimeLoadError,
  healthCheck: guardSync(healthCheck, 'healthCheck'),
  runtimeInfo: guardSync(runtimeInfo, 'runtimeInfo'),
  spawnTask: guardSync(spawnTask, 'spawnTask'),
  concurrentAll: guardSync(concurrentAll, 'concurrentAll'),
  concurrentAllTyped: guardSync(concurrentAllTyped, 'concurrentAllTyped'),
  channelCreate: guardSync(channelCreate, 'channelCreate'),
  channelSend: guardSync(channelSend, 'channelSend'),
  channelReceive: guardSync(channelReceive, 'channelReceive'),
  channelClose: guardSync(channelClose, 'channelClose'),
  channelSendAsync: guardSync(channelSendAsync, 'channelSendAsync'),
  channelRecv: guardSync(channelRecv, 'channelRecv'),
  channelValues,
  compile: guardSync(compile, 'compile'),
  precompileWasm: guardSync(precompileWasm, 'precompileWasm'),
  execWasm,
  concurrentWasm,
  concurrentWasmShared,
  callBulk,
  execWasmWithChannels,
  concurrentWasmWithChannels,
  concurrentWasmFirst,
  concurrentWasmTimeout,
  concurrentWasmCancelOnError,
  spawnWasm,
  runWasi,
  channelSelect,
  channelSendBatch: guardSync(channelSendBatch, 'channelSendBatch'),
  channelReceiveBatch: guardSync(channelReceiveBatch, 'channelReceiveBatch'),
};
