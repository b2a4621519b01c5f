// The child process of test/js/api-fuzz.test.js (not a test file itself):
// calls every function the package (index.js) and the .node file export with
// generated bad arguments and checks each outcome.
//
//   node|bun test/js/api-fuzz-child.js seed=N mode=systematic|random [calls=N]
//       [from=I] [heavy=0|1] [skip=ID@SURFACE,...] [log=FILE]   (IDs URI-encoded)
//
// mode=systematic: for every function and every argument slot, each value of
//   the pool of bad values in that slot (the other slots plausible), then
//   missing and extra arguments. The seed picks the order of the functions,
//   the plausible values and the random bytes; heavy=1 adds the costly values.
// mode=random: `calls` calls, each a random function with a random mix of
//   plausible and bad arguments.
// Call i is generated from (seed, i) alone, so `from=I calls=1` repeats call I.
//
// The oracle, per call: it returns, throws an Error (message, documented
// `code`), or returns a promise (or a handle holding one) that settles, with
// an Error when it rejects, within the limits below. Calls run one at a time.
// The log (one line per event; the parent reads it, also after a crash):
//   C <i> <json call>        before the call
//   W <i> <ms>               the call returned (or threw) after <ms>
//   R <i> <outcome>          its promise settled (or there was none)
//   V <json>                 a violation of the oracle
//   K <id@surface>           a heavy value now skipped on that surface (URI-encoded)
//   S <json>                 summary: targets, calls per target, observations
//   P <json>                 the checks after the abuse
//   E <epoch ms>             main is done; the process must now exit by itself
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { buildModule, mathModule } = require('./wasm-builder.js');

// Liveness guards, not timing claims: generous, so that a loaded machine
// (CI shares its cores) never turns a slow call into a finding.
const SYNC_LIMIT_MS = 15000; // a call may block the JS thread this long
const RESCUE_AFTER_MS = 30; // then close the call's channels and cancel its tasks
const SETTLE_LIMIT_MS = 15000; // after which an unsettled promise is a violation

// ---- options and log -------------------------------------------------------

const opt = { seed: '1', mode: 'random', calls: '1000', from: '0', heavy: '1', skip: '', log: '' };
for (const a of process.argv.slice(2)) {
  const m = /^([a-z]+)=(.*)$/.exec(a);
  if (!m || !(m[1] in opt)) throw new Error(`api-fuzz-child: bad option ${a}`);
  opt[m[1]] = m[2];
}
const SEED = Number(opt.seed) >>> 0;
const FROM = Number(opt.from);
const SKIP = new Set(opt.skip ? opt.skip.split(',').map(decodeURIComponent) : []);
const logFd = opt.log ? fs.openSync(opt.log, 'a') : 2;
function log(...parts) {
  fs.writeSync(logFd, parts.join(' ') + '\n');
}

// ---- seeded randomness -------------------------------------------------------

function mulberry32(a) {
  return function () {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function rngFor(i) {
  return mulberry32((Math.imul(SEED, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77)) >>> 0);
}
const pick = (rng, a) => a[Math.floor(rng() * a.length)];
const int = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
const chance = (rng, p) => rng() < p;

// ---- the API under test ------------------------------------------------------

const pkg = require('../..');
const addonPath = pkg.runtimePath();
if (!addonPath) throw new Error(`api-fuzz-child: the addon is not available: ${pkg.runtimeLoadError()}`);
const addon = require(addonPath);
const SURFACES = { pkg, node: addon };

const gc = typeof Bun !== 'undefined' ? () => Bun.gc(true) : typeof global.gc === 'function' ? () => global.gc() : () => {};

// The codes the API documents: index.d.ts's TovaErrorCode, and TOVA_DEADLOCK
// (README: pending calls reject with it when every task is asleep).
function documentedCodes() {
  const dts = fs.readFileSync(path.join(__dirname, '..', '..', 'index.d.ts'), 'utf8');
  const m = /type TovaErrorCode =([^;]*);/.exec(dts);
  const codes = new Set(m ? m[1].match(/TOVA_[A-Z_]+/g) : []);
  codes.add('TOVA_DEADLOCK');
  return codes;
}
const CODES = documentedCodes();

// ---- fixtures -------------------------------------------------------------------

const MATH = mathModule();
// Exports of MATH that end promptly whatever their (valid) arguments.
const MATH_SIG = {
  add: ['i64', 'i64'], add32: ['i32', 'i32'], div32: ['i32', 'i32'], id64: ['i64'], fadd: ['f64', 'f64'],
  fmul32: ['f32', 'f32'], swap: ['i32', 'i64'], divmod: ['i64', 'i64'], nothing: [], boom: [], bump: [],
};
const MATH_FUNCS = Object.keys(MATH_SIG);

// A WASI command that exits with status 7 (no memory needed).
const WASI_EXIT = buildModule({
  imports: [{ module: 'wasi_snapshot_preview1', name: 'proc_exit', params: ['i32'] }],
  funcs: [{ name: '_start', body: [0x41, 0x07, 0x10, 0x00] }],
});

// Modules of the `tova` host imports, assembled by wat2wasm when it is there.
const HOST_WAT = `(module
  (import "tova" "chan_create" (func $create (param i32) (result i32)))
  (import "tova" "chan_send" (func $send (param i32 i64) (result i32)))
  (import "tova" "chan_receive" (func $recv (param i32) (result i64)))
  (import "tova" "chan_close" (func $close (param i32) (result i32)))
  (import "tova" "chan_try_send" (func $try_send (param i32 i64) (result i32)))
  (import "tova" "chan_try_receive" (func $try_recv (param i32 i32) (result i32)))
  (import "tova" "sleep" (func $sleep (param i64)))
  (import "tova" "yield" (func $yield))
  (import "tova" "select" (func $select (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "create") (param i32) (result i32) (call $create (local.get 0)))
  (func (export "send") (param i32 i64) (result i32) (call $send (local.get 0) (local.get 1)))
  (func (export "recv") (param i32) (result i64) (call $recv (local.get 0)))
  (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
  (func (export "try_send") (param i32 i64) (result i32) (call $try_send (local.get 0) (local.get 1)))
  (func (export "try_recv") (param i32 i32) (result i32) (call $try_recv (local.get 0) (local.get 1)))
  (func (export "sleep") (param i64) (call $sleep (local.get 0)))
  (func (export "yield") (call $yield))
  ;; writes min(n, 64) cases {ch, op, 5} from address at, then select(at, n, t)
  (func (export "select") (param $ch i32) (param $op i32) (param $at i32) (param $n i32) (param $t i64) (result i32)
    (local $i i32) (local $p i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (br_if $done (i32.ge_u (local.get $i) (i32.const 64)))
      (local.set $p (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 4))))
      (i32.store (local.get $p) (local.get $ch))
      (i32.store offset=4 (local.get $p) (local.get $op))
      (i64.store offset=8 (local.get $p) (i64.const 5))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $select (local.get $at) (local.get $n) (local.get $t))))`;
// A start function that would have to wait: it must trap, not park.
const START_WAT = `(module
  (import "tova" "chan_create" (func $create (param i32) (result i32)))
  (import "tova" "chan_receive" (func $recv (param i32) (result i64)))
  (func $s (drop (call $recv (call $create (i32.const 0)))))
  (start $s)
  (func (export "main") (result i32) (i32.const 1)))`;
const HELLO_WAT = path.join(__dirname, 'fixtures', 'wasi-hello.wat');

function wat(textOrFile) {
  const { execFileSync } = require('child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tova-api-fuzz-'));
  try {
    let src = textOrFile;
    if (!fs.existsSync(textOrFile)) {
      src = path.join(dir, 'm.wat');
      fs.writeFileSync(src, textOrFile);
    }
    const out = path.join(dir, 'm.wasm');
    execFileSync('wat2wasm', [src, '-o', out], { stdio: 'ignore' });
    return new Uint8Array(fs.readFileSync(out));
  } catch (_) {
    return null; // no wat2wasm: those templates are left out (the summary says so)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const HOST = wat(HOST_WAT);
const START = wat(START_WAT);
const HELLO = wat(HELLO_WAT);
const HOST_SIG = {
  create: ['i32'], send: ['chan', 'i64'], recv: ['chan'], close: ['chan'], try_send: ['chan', 'i64'],
  try_recv: ['chan', 'ptr'], yield: [],
};
const MATH_COMPILED = pkg.compile(MATH);
const HOST_COMPILED = HOST && pkg.compile(HOST);
// A directory for the WASI preopens: beside the log (the parent removes it,
// also after a crash), else a temporary one removed at exit.
const PREOPEN_DIR = opt.log ? path.join(path.dirname(opt.log), 'preopen') : fs.mkdtempSync(path.join(os.tmpdir(), 'tova-api-fuzz-pre-'));
fs.mkdirSync(PREOPEN_DIR, { recursive: true });
if (!opt.log) process.on('exit', () => fs.rmSync(PREOPEN_DIR, { recursive: true, force: true }));

// ---- per-call context: channels, tasks and buffers of one call ------------------

class Ctx {
  constructor(rng) {
    this.rng = rng;
    this.chans = []; // every channel this call made or was handed back: closed afterwards
    this.handles = []; // spawnWasm handles: cancelled afterwards
    this.buffers = []; // ArrayBuffers in the arguments: what a saboteur detaches
    this.named = {};
  }
  chan(kind) {
    if (this.named[kind] !== undefined) return this.named[kind];
    let id;
    switch (kind) {
      case 'open': id = pkg.channelCreate(1); break;
      case 'rendezvous': id = pkg.channelCreate(0); break;
      case 'full': id = pkg.channelCreate(1); pkg.channelSend(id, 42); break;
      case 'closed': id = pkg.channelCreate(1); pkg.channelClose(id); break;
      case 'closedBuffered': id = pkg.channelCreate(2); pkg.channelSend(id, 7); pkg.channelClose(id); break;
      case 'unknown': return (this.named[kind] = 0x7ffffff0 + int(this.rng, 0, 15));
      default: throw new Error(kind);
    }
    this.chans.push(id);
    return (this.named[kind] = id);
  }
  // kind: 'module' (WebAssembly bytes) or 'data' (values)
  own(buf, kind = 'module') {
    this.buffers.push({ buf, kind });
    return buf;
  }
  // Detach or shrink the buffers of the call's arguments (every one, or the
  // data ones only, so that the module still reads), then collect.
  sabotage(dataOnly) {
    const list = this.buffers.filter((b) => !dataOnly || b.kind === 'data').map((b) => b.buf);
    if (!list.length) return;
    for (const b of list) {
      try {
        if (b instanceof ArrayBuffer && b.resizable) b.resize(0);
        else if (b instanceof ArrayBuffer) detach(b);
      } catch (_) { /* already detached */ }
    }
    gc();
  }
  // Calls back into the API from inside an argument's getter.
  reenter() {
    try { pkg.healthCheck(); } catch (_) { /* counted by nobody: the outer call is checked */ }
    try { this.chans.push(pkg.channelCreate(1)); } catch (_) { /* ignore */ }
    try { pkg.channelClose(this.chan('open')); } catch (_) { /* ignore */ }
    try { pkg.execWasm(fresh(MATH, this), 'add', [1, 2]).catch(() => {}); } catch (_) { /* ignore */ }
    try { addon.concurrentAll([1, 2]).catch(() => {}); } catch (_) { /* ignore */ }
  }
  // What may unblock a pending call that legitimately waits: its channels,
  // its tasks, and (when it is still pending) every channel id the generated
  // values can name, for a channel made inside WebAssembly (a start function,
  // the host module's `create`) is nobody's to close.
  rescue(pending) {
    for (const id of pending ? this.chans.concat(GUESSABLE_IDS) : this.chans) {
      try { pkg.channelClose(id); } catch (_) { /* closed already */ }
    }
    for (const h of this.handles) {
      try { h.cancel(); } catch (_) { /* ignore */ }
    }
  }
}

const GUESSABLE_IDS = [1, 2, 3, 5, 7, 8, 16, 42, 100, 4096, 4097, 2 ** 28, 2 ** 28 + 1, 2 ** 31 - 1];

function detach(ab) {
  if (typeof ab.transfer === 'function') ab.transfer();
  else structuredClone(ab, { transfer: [ab] });
}
// A fresh copy of bytes (a saboteur may detach it), as a Uint8Array.
function fresh(bytes, ctx) {
  const u = new Uint8Array(ctx.own(new ArrayBuffer(bytes.length)));
  u.set(bytes);
  return u;
}
function randomBytes(rng, n) {
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = Math.floor(rng() * 256);
  return u;
}

// ---- values: {d: description, v: value} ----------------------------------------

const V = (d, v) => ({ d, v });
const throwers = [
  ['Error', () => new Error('thrown by a getter')],
  ['string', () => 'thrown string'],
  ['number', () => 42],
  ['undefined', () => undefined],
  ['null', () => null],
  ['symbol', () => Symbol('thrown')],
  ['object whose message throws', () => ({ get message() { throw new Error('message getter'); } })],
  ['revoked proxy', () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; }],
];
function throwingProxy(target, what) {
  const t = throwers.find((x) => x[0] === what)[1];
  const trap = () => { throw t(); };
  return new Proxy(target, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, set: trap, getPrototypeOf: trap });
}
function arrayWithGetter(values, at, get) {
  const a = values.slice();
  Object.defineProperty(a, at, { get, enumerable: true, configurable: true });
  return a;
}

// A value made on first use and shared after (big values no call changes).
function once(make) {
  let v, made = false;
  return () => (made ? v : ((made = true), (v = make())));
}

// The pool of bad values. Each entry: [id, make(rng, ctx), flags]. `heavy`
// entries (costly by design) are used once per surface in systematic mode,
// and dropped for the rest of a surface once one was too slow there.
function badPool() {
  const P = [];
  const add = (id, make, flags = {}) => P.push({ id, make, ...flags });
  const lit = (id, v) => add(id, () => v);
  // primitives
  lit('undefined', undefined);
  lit('null', null);
  lit('true', true);
  lit('false', false);
  for (const [d, n] of [['0', 0], ['-0', -0], ['1', 1], ['-1', -1], ['0.5', 0.5], ['-1.5', -1.5], ['NaN', NaN],
    ['Infinity', Infinity], ['-Infinity', -Infinity], ['2^31-1', 2 ** 31 - 1], ['2^31', 2 ** 31], ['-2^31', -(2 ** 31)],
    ['2^32-1', 2 ** 32 - 1], ['2^32', 2 ** 32], ['2^53-1', 2 ** 53 - 1], ['2^53', 2 ** 53], ['2^53+2', 2 ** 53 + 2],
    ['-(2^53+2)', -(2 ** 53 + 2)], ['1e21', 1e21], ['1e300', 1e300], ['MAX_VALUE', Number.MAX_VALUE],
    ['MIN_VALUE', Number.MIN_VALUE], ['2^28', 2 ** 28], ['2^28+1', 2 ** 28 + 1], ['4096', 4096], ['4097', 4097],
    ['2^40', 2 ** 40], ['2^40+1', 2 ** 40 + 1]]) lit(`number ${d}`, n);
  add('random big integer', (rng) => int(rng, 1e6, 2 ** 31));
  add('random fraction', (rng) => rng() * 1000);
  for (const [d, n] of [['0n', 0n], ['1n', 1n], ['-1n', -1n], ['2^53+1 n', 2n ** 53n + 1n], ['2^63-1 n', 2n ** 63n - 1n],
    ['2^63 n', 2n ** 63n], ['-2^63 n', -(2n ** 63n)], ['-2^63-1 n', -(2n ** 63n) - 1n], ['2^64 n', 2n ** 64n],
    ['10^30 n', 10n ** 30n]]) lit(`bigint ${d}`, n);
  for (const [d, s] of [['empty', ''], ['x', 'x'], ['add', 'add'], ['nope', 'nope'], ['a NUL b', 'a\0b'],
    ['NUL', '\0'], ['add NUL', 'add\0'], ['lone surrogate', '\uD800'], ['recv', 'recv'], ['send', 'send'],
    ['pipe', 'pipe'], ['inherit', 'inherit'], ['__proto__', '__proto__'], ['then', 'then'], ['1', '1'],
    ['65 chars', 'x'.repeat(65)], ['multibyte 40', '\u00fc'.repeat(40)], ['concurrentWasm', 'concurrentWasm']]) {
    lit(`string ${d}`, s);
  }
  add('string 1 MiB', once(() => 'y'.repeat(1 << 20)));
  lit('symbol', Symbol('fuzz'));
  lit('Symbol.iterator', Symbol.iterator);
  // functions
  add('arrow function', () => () => 1);
  add('async function', () => async () => 1);
  add('function that throws', () => () => { throw new Error('called'); });
  add('class', () => class {});
  add('function with task fields', (rng, ctx) => Object.assign(function () {}, { wasm: fresh(MATH, ctx), func: 'add', args: [1, 2] }));
  add('API function healthCheck', () => pkg.healthCheck);
  // plain and exotic objects
  add('{}', () => ({}));
  add('Object.create(null)', () => Object.create(null));
  add('Date(NaN)', () => new Date(NaN));
  add('RegExp', () => /x/g);
  add('Map', () => new Map([[1, 2]]));
  add('Set', () => new Set([1]));
  add('Error object', () => new Error('as an argument'));
  add('resolved promise', () => Promise.resolve(1));
  add('never-settling promise', () => new Promise(() => {}));
  add('rejected promise', () => { const p = Promise.reject(new Error('r')); p.catch(() => {}); return p; });
  add('thenable resolving', () => ({ then(res) { res(1); } }));
  add('thenable throwing', () => ({ then() { throw new Error('then'); } }));
  add('then getter throwing', () => ({ get then() { throw new Error('then getter'); } }));
  add('valueOf 1', () => ({ valueOf() { return 1; } }));
  add('valueOf throws', () => ({ valueOf() { throw new Error('valueOf'); } }));
  add('toPrimitive symbol', () => ({ [Symbol.toPrimitive]() { return Symbol('p'); } }));
  add('toString add', () => ({ toString() { return 'add'; } }));
  add('Number(1) object', () => new Number(1));
  add('String(add) object', () => new String('add'));
  add('BigInt object', () => Object(1n));
  add('inherited timeout/default/length', () => Object.create({ timeout: 5, default: true, length: 2, 0: 1, 1: 2 }));
  add('object with 10^5 keys', once(() => { const o = {}; for (let i = 0; i < 1e5; i++) o['k' + i] = i; return o; }));
  add('prototype is a throwing proxy', () => Object.create(throwingProxy({}, 'Error')));
  for (const [what] of throwers) add(`proxy whose traps throw ${what}`, () => throwingProxy({}, what));
  add('proxy over array whose traps throw', () => throwingProxy([1, 2], 'Error'));
  add('revoked proxy (array)', () => { const r = Proxy.revocable([1, 2], {}); r.revoke(); return r.proxy; });
  add('revoked proxy (object)', () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; });
  add('transparent proxy over array', () => new Proxy([1, 2], {}));
  add('proxy claiming every key', () => new Proxy({}, { has: () => true, get: () => undefined }));
  for (const dataOnly of [false, true]) {
    add(`saboteur (getters detach the call's ${dataOnly ? 'data' : 'every'} buffer${dataOnly ? 's' : ''}, collect)`, (rng, ctx) =>
      new Proxy({}, { has: () => true, get: (t, k) => { ctx.sabotage(dataOnly); return k === 'timeout' ? 1000 : undefined; } }));
  }
  add('reentrant (getters call the API)', (rng, ctx) =>
    new Proxy({}, { has: () => true, get: () => { ctx.reenter(); return undefined; } }));
  // arrays
  add('[]', () => []);
  add('[1, 2]', () => [1, 2]);
  add('[1n, 2n]', () => [1n, 2n]);
  add("['1', '2']", () => ['1', '2']);
  add('[[1]]', () => [[1]]);
  add('[undefined]', () => [undefined]);
  add('holes new Array(5)', () => new Array(5));
  add('holes [,1,,2]', () => [, 1, , 2]); // eslint-disable-line no-sparse-arrays
  add('sparse, index 10^5 set', () => { const a = [1]; a[1e5] = 2; return a; });
  add('frozen [1, 2]', () => Object.freeze([1, 2]));
  add('Array subclass', () => { class A extends Array {} return A.from([1, 2]); });
  add('10^5 ones', once(() => new Array(1e5).fill(1)));
  add('10^5 objects', once(() => Array.from({ length: 1e5 }, () => ({}))));
  for (const [what] of throwers.slice(0, 6)) {
    add(`array, [1] getter throws ${what}`, () => arrayWithGetter([1, 2, 3], 1, () => { throw throwers.find((x) => x[0] === what)[1](); }));
  }
  add('array, [0] getter throws', () => arrayWithGetter([1, 2], 0, () => { throw new Error('index getter'); }));
  add('array, [0] getter empties it', () => { const a = [1, 2, 3]; Object.defineProperty(a, 0, { get() { a.length = 1; return 1; }, configurable: true }); return a; });
  add('array, [0] getter sabotages', (rng, ctx) => arrayWithGetter([1, 2, 3], 0, () => { ctx.sabotage(false); return 1; }));
  add('array, [0] getter reenters', (rng, ctx) => arrayWithGetter([1, 2, 3], 0, () => { ctx.reenter(); return 1; }));
  add('array-like {length: 2}', () => ({ length: 2, 0: 1, 1: 2 }));
  add('array-like {length: -1}', () => ({ length: -1 }));
  add('array-like {length: 1.5}', () => ({ length: 1.5 }));
  add('array-like {length: 2^32}', () => ({ length: 2 ** 32 }));
  add("array-like {length: '2'}", () => ({ length: '2', 0: 1, 1: 2 }));
  add('array-like {length: 2^32-1}', () => ({ length: 2 ** 32 - 1 }));
  add('array-like length getter throws', () => ({ get length() { throw new Error('length getter'); } }));
  add('array-like {length: 10^7}', () => ({ length: 1e7 }), { heavy: true });
  add('array, length 2^32-1, all holes', () => { const a = []; a.length = 2 ** 32 - 1; return a; }, { heavy: true });
  // binary
  add('empty Uint8Array', () => new Uint8Array(0));
  add('empty Buffer', () => Buffer.alloc(0));
  add('empty ArrayBuffer', () => new ArrayBuffer(0));
  add('empty DataView', () => new DataView(new ArrayBuffer(0)));
  add('detached ArrayBuffer', (rng, ctx) => { const b = new ArrayBuffer(16); detach(b); return b; });
  add('Uint8Array of a detached buffer', (rng, ctx) => { const u = fresh(MATH, ctx); detach(u.buffer); return u; });
  add('DataView of a detached buffer', (rng, ctx) => { const b = new ArrayBuffer(MATH.length); const d = new DataView(b); detach(b); return d; });
  add('Float64Array of a detached buffer', () => { const f = new Float64Array([1, 2]); detach(f.buffer); return f; });
  add('empty SharedArrayBuffer', () => new SharedArrayBuffer(0));
  add('SharedArrayBuffer Uint8Array of the module', () => { const u = new Uint8Array(new SharedArrayBuffer(MATH.length)); u.set(MATH); return u; });
  add('SharedArrayBuffer Int32Array', () => new Int32Array(new SharedArrayBuffer(16)));
  add('resizable buffer, view shrunk to 0', () => { const b = new ArrayBuffer(MATH.length, { maxByteLength: 1 << 16 }); const u = new Uint8Array(b); u.set(MATH); b.resize(0); return u; });
  add('resizable buffer with the module', (rng, ctx) => { const b = ctx.own(new ArrayBuffer(MATH.length, { maxByteLength: 1 << 16 })); const u = new Uint8Array(b); u.set(MATH); return u; });
  add('random bytes', (rng) => randomBytes(rng, int(rng, 1, 512)));
  add('wasm header + random bytes', (rng) => { const u = randomBytes(rng, int(rng, 8, 300)); u.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]); return u; });
  add('module truncated', (rng) => MATH.slice(0, int(rng, 1, MATH.length - 1)));
  add('module with one byte changed', (rng) => { const u = MATH.slice(); u[int(rng, 8, u.length - 1)] ^= 1 << int(rng, 0, 7); return u; });
  add('module in a Uint16Array', (rng, ctx) => { const b = ctx.own(new ArrayBuffer(MATH.length + (MATH.length & 1))); new Uint8Array(b).set(MATH); return new Uint16Array(b); });
  add('module in a Float64Array', (rng, ctx) => { const b = ctx.own(new ArrayBuffer(Math.ceil(MATH.length / 8) * 8)); new Uint8Array(b).set(MATH); return new Float64Array(b); });
  add('module at an odd offset', (rng, ctx) => { const b = ctx.own(new ArrayBuffer(MATH.length + 3)); const u = new Uint8Array(b, 3); u.set(MATH); return u; });
  add('module in a Uint8ClampedArray', () => Uint8ClampedArray.from(MATH));
  if (typeof Float16Array === 'function') add('Float16Array', () => new Float16Array([1, 2])); // eslint-disable-line no-undef
  add('64 KiB of zeros', () => new Uint8Array(1 << 16));
  add('Int32Array [1, 2]', () => new Int32Array([1, 2]));
  add('Float64Array [1.5, NaN]', () => new Float64Array([1.5, NaN]));
  add('Float32Array [1, 2]', () => new Float32Array([1, 2]));
  add('BigInt64Array [1n]', () => new BigInt64Array([1n]));
  add('BigUint64Array [2^64-1]', () => new BigUint64Array([2n ** 64n - 1n]));
  add('Uint32Array [2^32-1]', () => new Uint32Array([2 ** 32 - 1]));
  add('Int8Array [-1]', () => new Int8Array([-1]));
  // module handles, real and fake
  add('compiled module', () => MATH_COMPILED);
  add('fake module {exports: []}', () => ({ exports: [] }));
  add('object inheriting from a compiled module', () => Object.create(MATH_COMPILED));
  add('spread copy of a compiled module', () => ({ ...MATH_COMPILED }));
  // channel ids that are ids
  for (const k of ['closed', 'closedBuffered', 'unknown', 'full']) add(`channel id (${k})`, (rng, ctx) => ctx.chan(k));
  return P;
}
const POOL = badPool();
const bad = (rng, ctx) => {
  const e = pick(rng, POOL.filter((x) => !x.heavy));
  return V(e.id, e.make(rng, ctx));
};

// ---- plausible values, per kind of argument -------------------------------------

const G = {}; // generators: (rng, ctx, prev) -> {d, v}; prev: the slots made so far
G.wasm = (rng, ctx) => pick(rng, [
  () => V('module bytes', fresh(MATH, ctx)),
  () => V('module Buffer', Buffer.from(fresh(MATH, ctx).buffer)),
  () => V('module ArrayBuffer', fresh(MATH, ctx).buffer),
  () => V('module DataView', new DataView(fresh(MATH, ctx).buffer)),
  () => V('compiled module', MATH_COMPILED),
  () => V('module as a byte array', Array.from(MATH)),
  () => { const u = new Uint8Array(new SharedArrayBuffer(MATH.length)); u.set(MATH); return V('module in a SharedArrayBuffer', u); },
])();
G.host = (rng, ctx) => (chance(rng, 0.5) ? V('host module bytes', fresh(HOST, ctx)) : V('compiled host module', HOST_COMPILED));
G.func = (rng) => {
  if (chance(rng, 0.12)) { const f = pick(rng, ['nope', 'ADD', 'add ', 'memory', '', 'a\0b', 'add\0x']); return V(JSON.stringify(f), f); }
  const f = pick(rng, MATH_FUNCS);
  return V(`'${f}'`, f);
};
G.hostFunc = (rng) => {
  const f = pick(rng, Object.keys(HOST_SIG).concat(chance(rng, 0.1) ? ['memory', 'nope'] : []));
  return V(`'${f}'`, f);
};
const NUMS = {
  i32: [0, 1, -1, 7, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 5n, -1n],
  i64: [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 63n - 1n, -(2n ** 63n), 5n, 123456789012345678n],
  f32: [0, -0, 1.5, NaN, Infinity, -Infinity, 3.4e38, 1e-45],
  f64: [0, -0, 1.5, NaN, Infinity, -Infinity, 1e300, 5e-324],
};
function valueOfType(rng, ctx, t) {
  if (t === 'chan') return ctx.chan(pick(rng, ['open', 'rendezvous', 'full', 'closed', 'closedBuffered', 'unknown']));
  if (t === 'ptr') return pick(rng, [0, 8, 65528, 65529, 65536, -1, 2 ** 31 - 1]);
  return pick(rng, NUMS[t]);
}
function argsFor(rng, ctx, sig, name) {
  let a = sig.map((t) => valueOfType(rng, ctx, t));
  if (chance(rng, 0.12)) a = chance(rng, 0.5) ? a.slice(0, Math.max(0, a.length - 1)) : a.concat([1, 2]);
  const d = `[${a.map(String).join(', ')}${a.some((x) => typeof x === 'bigint') ? ' (n: BigInt)' : ''}]`;
  return V(d, a);
}
G.args = (rng, ctx, prev) => argsFor(rng, ctx, MATH_SIG[prev[1] && prev[1].v] || ['i64', 'i64'], prev[1] && prev[1].v);
G.hostArgs = (rng, ctx, prev) => argsFor(rng, ctx, HOST_SIG[prev[1] && prev[1].v] || ['chan']);
G.opts = (rng) => pick(rng, [
  V('no options', undefined), V('{}', {}), V('{timeout: 1000}', { timeout: 1000 }), V('{timeout: 1}', { timeout: 1 }),
  V('{timeout: 0}', { timeout: 0 }), V('null', null), V('{timeout: undefined}', { timeout: undefined }),
]);
G.shortTimeout = (rng) => { const t = pick(rng, [1, 20, 150]); return V(`{timeout: ${t}}`, { timeout: t }); };
G.ms = (rng) => { const t = pick(rng, [0, 1, 50, 1000]); return V(String(t), t); };
G.chan = (rng, ctx) => {
  const k = pick(rng, ['open', 'rendezvous', 'full', 'closed', 'closedBuffered', 'unknown']);
  return V(`channel id (${k})`, ctx.chan(k));
};
G.int64 = (rng) => { const v = pick(rng, [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 63n - 1n, -(2n ** 63n), 9n]); return V(`${v}${typeof v === 'bigint' ? 'n' : ''}`, v); };
G.capacity = (rng) => { const c = pick(rng, [0, 1, 2, 1024]); return V(String(c), c); };
G.max = (rng) => { const c = pick(rng, [0, 1, 8, 100]); return V(String(c), c); };
G.noArg = () => V('(none)', undefined);

// One task for the concurrentWasm* calls; mods: the batch's module values.
function task(rng, ctx, mods) {
  if (HOST && chance(rng, 0.2)) {
    const f = pick(rng, ['recv', 'send', 'try_send', 'try_recv', 'yield', 'close', 'create']);
    return { wasm: mods.host, func: f, args: argsFor(rng, ctx, HOST_SIG[f]).v };
  }
  const f = pick(rng, MATH_FUNCS);
  return { wasm: pick(rng, mods.math), func: f, args: argsFor(rng, ctx, MATH_SIG[f]).v };
}
G.tasks = (rng, ctx) => {
  const n = pick(rng, [0, 1, 3, 16, 17, 40, 300, chance(rng, 0.1) ? 2000 : 2]);
  let list, d;
  if (chance(rng, 0.5)) {
    // One export of one module with number arguments: the packed path.
    const f = pick(rng, ['add', 'add32', 'fadd', 'fmul32', 'swap', 'boom', 'div32', 'nothing']);
    const wasm = chance(rng, 0.5) ? MATH_COMPILED : fresh(MATH, ctx);
    const sig = MATH_SIG[f];
    list = Array.from({ length: n }, (_, i) => ({ wasm, func: f, args: sig.map((t) => (t[0] === 'f' ? i + 0.5 : i % 100)) }));
    d = `${n} tasks of ${f}`;
  } else {
    const mods = { host: HOST && G.host(rng, ctx).v, math: [G.wasm(rng, ctx).v, G.wasm(rng, ctx).v, G.wasm(rng, ctx).v] };
    list = Array.from({ length: n }, () => task(rng, ctx, mods));
    d = `${n} mixed tasks`;
  }
  if (n && chance(rng, 0.35)) {
    // Poison one task or one of its fields.
    const at = int(rng, 0, n - 1);
    const b = bad(rng, ctx);
    const how = pick(rng, ['task', 'wasm', 'func', 'args', 'getter', 'hole']);
    if (how === 'task') list[at] = b.v;
    else if (how === 'hole') delete list[at];
    else if (how === 'getter') {
      const w = pick(rng, throwers);
      list[at] = { wasm: list[at].wasm, func: list[at].func, get args() { throw w[1](); } };
      b.d = `args getter throws ${w[0]}`;
    } else list[at] = { ...list[at], [how]: b.v };
    d += `, [${at}] ${how} = ${b.d}`;
  }
  return V(d, list);
};
G.packedName = (rng) => { const s = pick(rng, ['concurrentWasm', 'concurrentWasmShared', 'concurrentWasmWithChannels']); return V(`'${s}'`, s); };
G.packedFunc = (rng) => { const f = pick(rng, ['add', 'add32', 'fadd', 'swap', 'boom', 'div32']); return V(`'${f}'`, f); };
// The view's buffer is bigger than glibc's largest mmap threshold (32 MiB),
// so it is always a mapping of its own, unmapped when it is freed: a read of
// it after a saboteur freed it faults instead of reading stale heap. Its pages
// are touched only where the values are.
const OWN_MAPPING = 40 << 20;
let ownMapping = null; // reused until a saboteur detaches it
function bigBuffer() {
  if (!ownMapping || ownMapping.byteLength === 0) ownMapping = new ArrayBuffer(OWN_MAPPING);
  return ownMapping;
}
G.packedArgs = (rng, ctx, prev) => {
  const k = (MATH_SIG[prev[2] && prev[2].v] || [0, 0]).length || 1;
  const n = pick(rng, [1, 16, 40, 1000]);
  const f = new Float64Array(ctx.own(bigBuffer(), 'data'), 0, n * k);
  for (let i = 0; i < f.length; i++) f[i] = i & 7;
  return V(`Float64Array(${n} x ${k}) over 40 MiB`, f);
};
G.packedK = (rng, ctx, prev) => { const k = (MATH_SIG[prev[2] && prev[2].v] || [0, 0]).length; return V(String(k), k); };
G.bulkFunc = (rng) => { const f = pick(rng, ['add32', 'add', 'fadd', 'fmul32', 'swap', 'divmod', 'nothing', 'bump', 'boom', 'id64', 'div32']); return V(`'${f}'`, f); };
G.bulkArgs = (rng, ctx, prev) => {
  const sig = MATH_SIG[prev[1] && prev[1].v] || ['i32', 'i32'];
  if (!sig.length || chance(rng, 0.1)) return pick(rng, [V('null', null), V('undefined', undefined)]);
  const rows = pick(rng, [1, 2, 100]);
  const n = rows * sig.length + (chance(rng, 0.1) ? 1 : 0);
  const kind = pick(rng, ['Int32Array', 'Float64Array', 'BigInt64Array', 'Float32Array']);
  const C = { Int32Array, Float64Array, BigInt64Array, Float32Array }[kind];
  const a = new C(ctx.own(new ArrayBuffer(n * C.BYTES_PER_ELEMENT), 'data'));
  for (let i = 0; i < n; i++) a[i] = kind === 'BigInt64Array' ? BigInt(i) : i;
  return V(`${kind}(${n})`, a);
};
G.rowCount = (rng) => pick(rng, [V('no rowCount', undefined), V('null', null), V('0', 0), V('1', 1), V('3', 3), V('100', 100)]);
G.wasi = (rng, ctx) => pick(rng, [
  () => V('WASI exit(7) bytes', fresh(WASI_EXIT, ctx)),
  () => V('WASI exit(7) compiled', pkg.compile(WASI_EXIT)),
  () => (HELLO ? V('WASI hello bytes', fresh(HELLO, ctx)) : V('WASI exit(7) bytes', fresh(WASI_EXIT, ctx))),
])();
G.wasiOpts = (rng, ctx) => {
  const o = {};
  const parts = [];
  const put = (k, v, d) => { o[k] = v; parts.push(`${k}: ${d}`); };
  if (chance(rng, 0.4)) put('args', ['prog', 'first'], "['prog', 'first']");
  if (chance(rng, 0.3)) put('env', { GREETING: 'hi' }, '{GREETING}');
  if (chance(rng, 0.2)) put('preopens', { '/sandbox': PREOPEN_DIR }, '{/sandbox}');
  for (const s of ['stdin', 'stdout', 'stderr']) {
    // Only the descriptors every process has: a fuzzed fd would write into the runtime's own.
    if (chance(rng, 0.3)) { const v = pick(rng, s === 'stdin' ? ['inherit', 0] : ['pipe', 'inherit', 2]); put(s, v, String(v)); }
  }
  if (chance(rng, 0.3)) put('timeout', 2000, '2000');
  if (chance(rng, 0.4)) {
    const k = pick(rng, ['args', 'env', 'preopens', 'stdin', 'stdout', 'stderr', 'timeout']);
    const b = pick(rng, [
      () => bad(rng, ctx),
      () => V("['a\\0b']", ['a\0b']),
      () => V('{A: 5}', { A: 5 }),
      () => V("{'A=B': 'c'}", { 'A=B': 'c' }),
      () => V("{'/x': '/nonexistent/dir'}", { '/x': '/nonexistent/dir' }),
      () => V("{'': ''}", { '': '' }),
      () => V('[1, 2]', [1, 2]),
    ])();
    // A fuzzed stream number must stay a descriptor every process has, or none.
    const safe = !['stdin', 'stdout', 'stderr'].includes(k) || typeof b.v !== 'number' || !(b.v >= 3 && b.v < 2 ** 31);
    if (safe) put(k, b.v, b.d);
  }
  return V(`{${parts.join(', ')}}`, o);
};
G.cases = (rng, ctx) => {
  // No cases at all comes from the pool's [] (a select that can never fire).
  const n = pick(rng, [1, 2, 4, chance(rng, 0.05) ? pick(rng, [4096, 4097]) : 3]);
  const cases = Array.from({ length: n }, () => {
    const c = { chan: G.chan(rng, ctx).v, op: pick(rng, ['recv', 'send']) };
    if (c.op === 'send') c.value = G.int64(rng).v;
    return c;
  });
  let d = `${n} cases`;
  if (n && chance(rng, 0.35)) {
    const at = int(rng, 0, n - 1);
    const field = pick(rng, ['case', 'chan', 'op', 'value', 'getter']);
    const b = bad(rng, ctx);
    if (field === 'case') cases[at] = b.v;
    else if (field === 'getter') {
      const w = pick(rng, throwers);
      const key = pick(rng, ['chan', 'op', 'value']);
      const c = { chan: cases[at].chan, op: 'send', value: 1 };
      Object.defineProperty(c, key, { get() { throw w[1](); }, enumerable: true });
      cases[at] = c;
      b.d = `${key} getter throws ${w[0]}`;
    } else cases[at] = { ...cases[at], [field]: b.v };
    d += `, [${at}] ${field} = ${b.d}`;
  }
  return V(d, cases);
};
G.selectOpts = (rng) => pick(rng, [
  V('no options', undefined), V('{timeout: 10}', { timeout: 10 }), V('{default: true}', { default: true }),
  V('{timeout: 0}', { timeout: 0 }), V('{default: false}', { default: false }), V('{}', {}),
]);
G.int64List = (rng) => {
  const n = pick(rng, [0, 1, 5, 64, 65, 1000]);
  const a = Array.from({ length: n }, (_, i) => (chance(rng, 0.05) ? 2n ** 60n + BigInt(i) : i));
  return V(`${n} integers`, a);
};
G.int64Typed = (rng) => {
  const n = pick(rng, [0, 1, 5, 100]);
  const kind = pick(rng, ['Float64Array', 'BigInt64Array', 'Int32Array']);
  const C = { Float64Array, BigInt64Array, Int32Array }[kind];
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = kind === 'BigInt64Array' ? BigInt(i) : i;
  return V(`${kind}(${n})`, a);
};
G.batchValues = (rng) => (chance(rng, 0.5) ? G.int64List(rng) : G.int64Typed(rng));

// ---- cases: the argument shapes of each exported function ---------------------------
//
// A template: { slots: [generator or {d, v} maker], lock: [slot indices that
// must keep their plausible value], min: fewest arguments that may be passed }.
// Locked slots make calls that would otherwise run for ever by request (a
// task that sleeps or selects with no deadline) end by themselves.

const exec = [
  { slots: [G.wasm, G.func, G.args, G.opts] },
  ...(HOST ? [
    { slots: [G.host, G.hostFunc, G.hostArgs, G.opts] },
    { slots: [G.host, () => V("'sleep'", 'sleep'), (rng) => V('[ms]', [pick(rng, [0, 1, 10, 2 ** 40])]), G.shortTimeout], lock: [1, 3], min: 4 },
    { slots: [G.host, () => V("'select'", 'select'),
      (rng, ctx) => { const a = [G.chan(rng, ctx).v, pick(rng, [0, 1, 2, 3, -1]), pick(rng, [0, 16, 65520, 65536, -16]),
        pick(rng, [0, 1, 2, 64, 4095, 4096, 4097, -1, 2 ** 31 - 1]), pick(rng, [-1, 0, 1, 2 ** 40])];
      return V(`[${a.join(', ')}]`, a); }, G.shortTimeout], lock: [1, 3], min: 4 },
  ] : []),
  ...(START ? [{ slots: [(rng, ctx) => V('start-function module', fresh(START, ctx)), () => V("'main'", 'main'), () => V('[]', []), G.opts] }] : []),
  { slots: [G.wasm, () => V("'spin'", 'spin'), () => V('[]', []), G.shortTimeout], lock: [1, 3], min: 4 },
];
const batch = [{ slots: [G.tasks, G.opts] }];
const CASES = {
  isRuntimeAvailable: [{ slots: [] }],
  runtimePath: [{ slots: [] }],
  runtimeLoadError: [{ slots: [] }],
  healthCheck: [{ slots: [] }],
  runtimeInfo: [{ slots: [] }],
  spawnTask: [{ slots: [G.int64] }],
  concurrentAll: [{ slots: [G.int64List] }],
  concurrentAllTyped: [{ slots: [G.int64Typed] }],
  channelCreate: [{ slots: [G.capacity] }],
  channelSend: [{ slots: [G.chan, G.int64] }],
  channelReceive: [{ slots: [G.chan] }],
  channelClose: [{ slots: [G.chan] }],
  channelSendAsync: [{ slots: [G.chan, G.int64] }],
  channelRecv: [{ slots: [G.chan] }],
  channelValues: [{ slots: [G.chan] }],
  channelSelect: [{ slots: [G.cases, G.selectOpts] }],
  channelSendBatch: [{ slots: [G.chan, G.batchValues] }],
  channelReceiveBatch: [{ slots: [G.chan, G.max] }],
  compile: [{ slots: [G.wasm] }],
  precompileWasm: [{ slots: [G.wasm] }],
  execWasm: exec,
  execWasmWithChannels: exec,
  spawnWasm: exec,
  concurrentWasm: batch,
  concurrentWasmShared: batch,
  concurrentWasmWithChannels: batch,
  concurrentWasmFirst: batch,
  concurrentWasmCancelOnError: batch,
  concurrentWasmTimeout: [{ slots: [G.tasks, G.ms] }],
  concurrentWasmPacked: [{ slots: [G.packedName, G.wasm, G.packedFunc, G.packedArgs, G.packedK, G.opts] }],
  callBulk: [{ slots: [G.wasm, G.bulkFunc, G.bulkArgs, G.rowCount, G.opts] }],
  runWasi: [{ slots: [G.wasi, G.wasiOpts] }],
};
// Exports that must not be called with generated arguments, and why. None
// today; an export listed here must exist (the test checks), and every other
// export must have a case above, or the test fails.
const NOT_CALLED = {};

// ---- the targets: every function exported, and function-valued properties of them ----

function targets() {
  const list = [];
  const uncovered = [];
  const exported = [];
  for (const [surface, api] of Object.entries(SURFACES)) {
    for (const name of Object.keys(api)) {
      const fn = api[name];
      if (typeof fn !== 'function') continue;
      const found = [[name, fn]];
      // e.g. the addon's packed concurrentWasm keeps the plain one as .plain
      for (const k of Object.getOwnPropertyNames(fn)) {
        const d = Object.getOwnPropertyDescriptor(fn, k);
        if (d && typeof d.value === 'function' && !['constructor'].includes(k)) found.push([`${name}.${k}`, d.value]);
      }
      for (const [id, f] of found) {
        exported.push(`${surface}.${id}`);
        if (NOT_CALLED[name]) continue;
        if (!CASES[name]) { uncovered.push(`${surface}.${id}`); continue; }
        list.push({ id: `${surface}.${id}`, surface, name, fn: f });
      }
    }
  }
  return { list, uncovered, exported };
}

// ---- generating one call ---------------------------------------------------------------

function plausible(tpl, rng, ctx) {
  const vals = [];
  for (const s of tpl.slots) vals.push(s(rng, ctx, vals));
  return vals;
}

// Random mode: call i.
function randomCall(i, T) {
  const rng = rngFor(i);
  const ctx = new Ctx(rng);
  const t = pick(rng, T);
  const tpl = pick(rng, CASES[t.name]);
  let vals = plausible(tpl, rng, ctx);
  const lock = new Set(tpl.lock || []);
  const free = vals.map((_, k) => k).filter((k) => !lock.has(k));
  const r = rng();
  let how = 'plausible';
  if (r < 0.55 && free.length) {
    const n = int(rng, 1, Math.min(2, free.length));
    for (let j = 0; j < n; j++) vals[pick(rng, free)] = bad(rng, ctx);
    how = 'bad slots';
  } else if (r < 0.65) {
    const keep = int(rng, tpl.min || 0, Math.max(tpl.min || 0, vals.length - 1));
    vals = vals.slice(0, keep);
    how = 'missing args';
  } else if (r < 0.75) {
    const extra = int(rng, 1, 3);
    for (let j = 0; j < extra; j++) vals.push(bad(rng, ctx));
    how = 'extra args';
  } else if (r < 0.9) {
    for (const k of free) vals[k] = bad(rng, ctx);
    how = 'all bad';
  }
  return { i, target: t, vals, how, ctx, rng };
}

// Systematic mode: the list of (target, template, slot, pool entry | shape).
function systematicPlan(T) {
  const plan = [];
  const order = T.slice();
  const rng = mulberry32(SEED);
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  // The first template of each function gets every pool value in every
  // slot; the others (other modules, locked deadlines) a seeded sample.
  const SAMPLE = 12;
  for (const t of order) {
    CASES[t.name].forEach((tpl, ti) => {
      const lock = new Set(tpl.lock || []);
      plan.push({ t, ti, kind: 'plausible' });
      for (let s = 0; s < tpl.slots.length; s++) {
        if (lock.has(s)) continue;
        const entries = ti === 0 ? POOL : Array.from({ length: SAMPLE }, () => pick(rng, POOL));
        for (const e of entries) {
          if (e.heavy && (opt.heavy !== '1' || ti !== 0)) continue;
          plan.push({ t, ti, kind: 'slot', slot: s, entry: e });
        }
      }
      for (let keep = tpl.min || 0; keep < tpl.slots.length; keep++) plan.push({ t, ti, kind: 'missing', keep });
      plan.push({ t, ti, kind: 'extra' });
    });
  }
  return plan;
}
function systematicCall(i, p) {
  const rng = rngFor(i);
  const ctx = new Ctx(rng);
  const tpl = CASES[p.t.name][p.ti];
  let vals = plausible(tpl, rng, ctx);
  let how = p.kind;
  if (p.kind === 'slot') {
    vals[p.slot] = V(p.entry.id, p.entry.make(rng, ctx));
    how = `slot ${p.slot} = ${p.entry.id}`;
  } else if (p.kind === 'missing') {
    vals = vals.slice(0, p.keep);
    how = `first ${p.keep} args only`;
  } else if (p.kind === 'extra') {
    vals.push(bad(rng, ctx), bad(rng, ctx));
    how = 'two extra args';
  }
  return { i, target: p.t, vals, how, ctx, rng, heavy: p.entry && p.entry.heavy ? p.entry.id : null };
}

// ---- the oracle -----------------------------------------------------------------------------

const violations = [];
const observations = {};
function violation(call, kind, detail) {
  const v = { seed: SEED, mode: opt.mode, call: call ? call.i : null, target: call ? call.target.id : null, kind, detail,
    args: call ? call.vals.map((x) => x.d) : null };
  violations.push(v);
  log('V', JSON.stringify(v));
}
function observe(call, what) {
  const k = `${call.target.id}: ${what}`;
  observations[k] = (observations[k] || 0) + 1;
}
function show(x) {
  try {
    if (typeof x === 'symbol') return x.toString();
    if (typeof x === 'bigint') return `${x}n`;
    if (typeof x === 'string') return JSON.stringify(x.length > 200 ? x.slice(0, 200) + '...' : x);
    if (x === null || typeof x !== 'object') return String(x);
    return `${Object.prototype.toString.call(x)} ${JSON.stringify(x).slice(0, 200)}`;
  } catch (_) {
    return `(${typeof x}, not printable)`;
  }
}
// An error thrown or a rejection: an Error, with a message, and a documented code.
function checkError(call, e, how) {
  let isError = false;
  try {
    isError = e instanceof Error; // a thrown proxy may throw here
  } catch (_) { /* not an Error */ }
  if (!isError) return violation(call, `non-Error ${how}`, show(e));
  let message, code;
  try {
    message = e.message;
    code = e.code;
  } catch (x) {
    return violation(call, `${how}: reading the error threw`, show(x));
  }
  if (typeof message !== 'string' || message.length === 0) {
    return violation(call, `${how}: Error without a message`, `code ${show(code)}, message ${show(message)}`);
  }
  if (typeof code !== 'string' || !CODES.has(code)) {
    return violation(call, `${how}: Error without a documented code`, `code ${show(code)}: ${message.slice(0, 300)}`);
  }
  return null;
}

const isPromise = (x) => x instanceof Promise;
// Wait for p to settle: after RESCUE_AFTER_MS unblock what may legitimately
// wait (close the call's channels, cancel its tasks), then SETTLE_LIMIT_MS more.
function bounded(p, ctx) {
  return new Promise((resolve) => {
    let done = false, t2 = null;
    const t1 = setTimeout(() => {
      ctx.rescued = true;
      ctx.rescue(true);
      t2 = setTimeout(() => fin('unsettled'), SETTLE_LIMIT_MS);
    }, RESCUE_AFTER_MS);
    const fin = (kind, value) => {
      if (done) return;
      done = true;
      clearTimeout(t1);
      if (t2) clearTimeout(t2);
      resolve({ kind, value });
    };
    p.then((v) => fin('resolved', v), (e) => fin('rejected', e));
  });
}
async function settle(call, p, what) {
  const r = await bounded(p, call.ctx);
  if (r.kind === 'unsettled') {
    violation(call, `${what} never settled`, `not settled ${RESCUE_AFTER_MS + SETTLE_LIMIT_MS} ms after the call (its channels closed and its tasks cancelled after ${RESCUE_AFTER_MS} ms)`);
  } else if (r.kind === 'rejected') {
    checkError(call, r.value, `${what} rejection`);
  }
  return r;
}

// Calls and checks one call; resolves when it is over.
async function run(call) {
  const { target, vals, ctx, rng } = call;
  log('C', call.i, Date.now(), JSON.stringify({ target: target.id, how: call.how, args: vals.map((x) => x.d), heavy: call.heavy || undefined }));
  const args = vals.map((x) => x.v);
  const t0 = Date.now();
  let ret, threw = false, err;
  try {
    ret = target.fn(...args);
  } catch (e) {
    threw = true;
    err = e;
  }
  const ms = Date.now() - t0;
  log('W', call.i, ms);
  if (ms > SYNC_LIMIT_MS) violation(call, 'blocked the JS thread', `the call took ${ms} ms before it returned or threw`);
  let outcome = 'returned';
  if (threw) {
    outcome = 'threw';
    checkError(call, err, 'throw');
  } else if (isPromise(ret)) {
    const r = await settle(call, ret, 'promise');
    outcome = r.kind;
    // index.d.ts: spawnWasm returns a WasmTaskHandle. Code written to that
    // leaves a returned promise's rejection unhandled: the process exits.
    if (target.name === 'spawnWasm') violation(call, 'spawnWasm returned a Promise, not a task handle {id, result, cancel}', `it ${r.kind}`);
  } else if (target.name === 'spawnWasm' && ret && typeof ret === 'object') {
    // A task handle: cancel it (with odd arguments) or not, then its result settles.
    ctx.handles.push(ret);
    if (!isPromise(ret.result)) violation(call, 'handle without a result promise', show(ret));
    if (typeof ret.cancel === 'function' && chance(rng, 0.4)) {
      const b = bad(rng, ctx);
      try { ret.cancel(b.v); } catch (e) { checkError(call, e, 'cancel() throw'); }
    }
    if (typeof ret.cancel === 'function' && chance(rng, 0.2)) {
      try { Reflect.apply(ret.cancel, undefined, []); } catch (e) { checkError(call, e, 'unbound cancel() throw'); }
    }
    if (isPromise(ret.result)) outcome = (await settle(call, ret.result, 'handle.result')).kind;
    try { ret.cancel(); ret.cancel(); } catch (e) { checkError(call, e, 'late cancel() throw'); }
  } else if (target.name === 'channelValues' && ret && typeof ret.next === 'function') {
    // An async iterator: its first step settles; then it is closed.
    let step;
    try { step = ret.next(); } catch (e) { checkError(call, e, 'next() throw'); }
    if (isPromise(step)) outcome = (await settle(call, step, 'next()')).kind;
    try {
      const done = ret.return();
      if (isPromise(done)) await settle(call, done, 'return()');
    } catch (e) { checkError(call, e, 'return() throw'); }
  }
  if (ret && typeof ret === 'object' && !isPromise(ret) && typeof ret.then === 'function') {
    violation(call, 'returned a thenable that is not a Promise', show(ret));
  }
  // Channels the call made are the call's to close.
  if (target.name === 'channelCreate' && typeof ret === 'number') ctx.chans.push(ret);
  ctx.rescue();
  if (ctx.rescued) observe(call, 'waited until its channels were closed');
  log('R', call.i, outcome, Date.now() - t0);
  return outcome;
}

// ---- after the abuse: the runtime still works ------------------------------------------

async function postChecks() {
  const failures = [];
  const expectEq = (what, got, want) => {
    if (got !== want) failures.push(`${what}: got ${show(got)}, want ${show(want)}`);
  };
  const guard = async (what, f) => {
    try {
      await f();
    } catch (e) {
      failures.push(`${what}: threw ${show(e && e.message !== undefined ? e.message : e)}`);
    }
  };
  const within = (p, ms, what) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
  for (const [name, api] of Object.entries(SURFACES)) {
    await guard(`${name}.healthCheck`, () => expectEq(`${name}.healthCheck()`, api.healthCheck(), 'tova_runtime ok'));
    await guard(`${name}.execWasm`, async () => {
      expectEq(`${name}.execWasm(add, [2, 40])`, await within(api.execWasm(MATH, 'add', [2, 40]), 5000, 'execWasm'), 42);
      expectEq(`${name}.execWasm(fadd, [0.5, 0.25])`, await within(api.execWasm(MATH_COMPILED, 'fadd', [0.5, 0.25]), 5000, 'execWasm'), 0.75);
    });
    await guard(`${name}.concurrentWasmShared`, async () => {
      const tasks = Array.from({ length: 20 }, (_, i) => ({ wasm: MATH, func: 'add32', args: [i, 1] }));
      const r = await within(api.concurrentWasmShared(tasks), 5000, 'concurrentWasmShared');
      expectEq(`${name}.concurrentWasmShared(20 x add32)`, JSON.stringify(r), JSON.stringify(tasks.map((_, i) => i + 1)));
    });
    await guard(`${name}.callBulk`, async () => {
      const r = await within(api.callBulk(MATH, 'add32', new Int32Array([1, 2, 3, 4])), 5000, 'callBulk');
      expectEq(`${name}.callBulk(add32)`, Array.from(r).join(','), '3,7');
    });
    await guard(`${name}.spawnTask`, async () => expectEq(`${name}.spawnTask(7)`, await within(api.spawnTask(7), 5000, 'spawnTask'), 7));
    await guard(`${name} channels`, async () => {
      const c = api.channelCreate(1);
      expectEq(`${name}.channelSend`, api.channelSend(c, 5), true);
      expectEq(`${name}.channelReceive`, api.channelReceive(c), 5);
      const got = api.channelRecv(c);
      await within(api.channelSendAsync(c, 2n ** 60n), 5000, 'channelSendAsync');
      expectEq(`${name}.channelRecv`, await within(got, 5000, 'channelRecv'), 2n ** 60n);
      api.channelClose(c);
      expectEq(`${name}.channelRecv after close`, await within(api.channelRecv(c), 5000, 'channelRecv'), null);
    });
    if (HOST) {
      await guard(`${name} WebAssembly task on a channel`, async () => {
        const c = api.channelCreate(0);
        const received = api.execWasm(HOST, 'recv', [c]);
        await within(api.channelSendAsync(c, 99), 5000, 'channelSendAsync to a task');
        expectEq(`${name}.execWasm(recv)`, await within(received, 5000, 'execWasm(recv)'), 99);
        api.channelClose(c);
      });
    }
  }
  return failures;
}

// ---- main ----------------------------------------------------------------------------------------

process.on('unhandledRejection', (e) => violation(null, 'unhandled rejection', show(e && e.stack ? e.stack : e)));
process.on('uncaughtException', (e) => violation(null, 'uncaught exception', show(e && e.stack ? e.stack : e)));

async function main() {
  const { list: T, uncovered, exported } = targets();
  const calls = {};
  for (const t of T) calls[t.id] = 0;
  const skipHeavy = new Set(SKIP); // "<heavy id>@<surface>": too slow there already
  let total = 0, last = FROM;
  const limit = Number(opt.calls);
  if (opt.mode === 'systematic') {
    const plan = systematicPlan(T);
    const end = Math.min(plan.length, FROM + (opt.calls === 'all' ? plan.length : limit));
    for (let i = FROM; i < end; i++) {
      const p = plan[i];
      if (p.entry && p.entry.heavy && skipHeavy.has(`${p.entry.id}@${p.t.surface}`)) continue;
      const call = systematicCall(i, p);
      const before = violations.length;
      await run(call);
      calls[p.t.id]++;
      total++;
      last = i;
      if (call.heavy && violations.slice(before).some((v) => v.kind === 'blocked the JS thread')) {
        skipHeavy.add(`${call.heavy}@${p.t.surface}`);
        log('K', encodeURIComponent(`${call.heavy}@${p.t.surface}`));
      }
    }
    log('S', JSON.stringify({ planned: plan.length }));
  } else {
    for (let i = FROM; i < FROM + limit; i++) {
      const call = randomCall(i, T);
      await run(call);
      calls[call.target.id]++;
      total++;
      last = i;
    }
  }
  const post = await postChecks();
  log('S', JSON.stringify({ seed: SEED, mode: opt.mode, from: FROM, last, total, exported, targets: T.map((t) => t.id), uncovered,
    notCalled: NOT_CALLED, calls, observations, host: !!HOST, hello: !!HELLO, violations: violations.length }));
  log('P', JSON.stringify({ failures: post }));
  log('E', Date.now());
}

main().catch((e) => {
  log('V', JSON.stringify({ seed: SEED, kind: 'fuzzer failure', detail: show(e && e.stack ? e.stack : e) }));
  process.exitCode = 3;
});
