// The packed form of concurrentWasm* (lib/pack-tasks.js, installed on the
// addon's own exports when it loads, and the addon's concurrentWasmPacked): batches of one export of one module with number
// arguments go over as one Float64Array. Results and errors must be those of
// the ordinary call, whichever way a batch goes.
import { describe, test, expect } from 'bun:test';

const tova = require('../..');
const { rejection } = require('./helpers.js');
const { mathModule, buildModule } = require('./wasm-builder.js');

const math = mathModule();
const addon = require(tova.runtimePath());

const tasksOf = (n, func, argsOf) => Array.from({ length: n }, (_, i) => ({ wasm: math, func, args: argsOf(i) }));

describe('the addon call', () => {
  test('takes a fitting batch: a promise of every result in order', async () => {
    const args = new Float64Array(200);
    for (let i = 0; i < 100; i++) { args[2 * i] = i; args[2 * i + 1] = 1000 - i; }
    const p = addon.concurrentWasmPacked('concurrentWasmShared', math, 'add32', args, 2, undefined);
    expect(p).toBeInstanceOf(Promise);
    // Every result one number: one Float64Array, which the bridge unpacks.
    const r = await p;
    expect(r).toBeInstanceOf(Float64Array);
    expect(Array.from(r)).toEqual(Array.from({ length: 100 }, () => 1000));
  });

  test('refuses, doing nothing, what does not fit', () => {
    const two = new Float64Array([1, 2, 3, 4]);
    const refused = [
      ['concurrentWasmFirst', math, 'add32', two, 2], // not a packable call
      ['concurrentWasm', math, 'zzz', two, 2], // no such export
      ['concurrentWasm', math, 'add32', two, 1], // other argument count
      ['concurrentWasm', math, 'add32', new Float64Array([1, 2.5]), 2], // not an integer
      ['concurrentWasm', math, 'add32', new Float64Array([2 ** 32, 0]), 2], // out of i32 range
      ['concurrentWasm', math, 'add', new Float64Array([2 ** 53, 0]), 2], // not a safe integer
      ['concurrentWasm', math, 'add32', new Float64Array([1, NaN]), 2],
      ['concurrentWasm', math, 'add32', new Int32Array([1, 2]), 2], // not a Float64Array
      ['concurrentWasm', math, 'add32', new Float64Array([1, 2, 3]), 2], // not whole rows
      ['concurrentWasm', 'not a module', 'add32', two, 2],
      ['concurrentWasm', math, 'add32', two, 2, { timeout: 'soon' }], // bad options
    ];
    for (const r of refused) expect({ r: r.slice(0, 3), got: addon.concurrentWasmPacked(...r) }).toEqual({ r: r.slice(0, 3), got: undefined });
  });
});

describe('on the .node file itself (as Tova\'s runtime bridge calls it)', () => {
  for (const fn of ['concurrentWasm', 'concurrentWasmShared', 'concurrentWasmWithChannels']) {
    test(`${fn} packs, and agrees with the plain call`, async () => {
      const call = addon[fn];
      expect(typeof call.plain).toBe('function'); // the wrapper installed at load
      expect(call.name).toBe(fn);
      const tasks = tasksOf(300, 'add32', (i) => [i, 2 * i]);
      const want = await call.plain(tasks);
      expect(want).toEqual(Array.from({ length: 300 }, (_, i) => 3 * i));
      expect(await call(tasks)).toEqual(want);
      // Not packable (a BigInt argument): the plain call takes it.
      const mixed = tasksOf(40, 'add', (i) => [i === 3 ? 3n : i, 1]);
      expect(await call(mixed)).toEqual(await call.plain(mixed));
      // A bad argument: the same error as the plain call, naming the task.
      const bad = tasksOf(100, 'add32', (i) => [i, i === 57 ? 1.5 : 0]);
      const e = await rejection(call(bad));
      const plainErr = await rejection(call.plain(bad));
      expect(e.code).toBe('TOVA_BAD_ARGUMENT');
      expect(e.message).toBe(plainErr.message);
      expect(e.message).toContain('tasks[57]');
    });
  }
});

describe('through the bridge', () => {
  for (const fn of ['concurrentWasm', 'concurrentWasmShared', 'concurrentWasmWithChannels']) {
    test(`${fn}: i32, i64, f32 and f64 arguments convert as in the ordinary call`, async () => {
      const n = 64;
      expect(await tova[fn](tasksOf(n, 'add32', (i) => [2 ** 32 - 1 - i, i]))).toEqual(Array(n).fill(-1));
      const big = Number.MAX_SAFE_INTEGER;
      expect(await tova[fn](tasksOf(n, 'add', (i) => [big - i, i]))).toEqual(Array(n).fill(big));
      const f32 = await tova[fn](tasksOf(n, 'fmul32', (i) => [0.1 * i, 3]));
      f32.forEach((r, i) => expect(r).toBe(Math.fround(Math.fround(0.1 * i) * 3)));
      const f64 = await tova[fn](tasksOf(n, 'fadd', (i) => [i / 3, 0.5]));
      f64.forEach((r, i) => expect(r).toBe(i / 3 + 0.5));
      // Several results per task and i64 beyond the safe range come back as usual.
      expect(await tova[fn](tasksOf(n, 'swap', (i) => [i, 2 ** 40]))).toEqual(Array.from({ length: n }, (_, i) => [2 ** 40, i]));
      expect(await tova[fn](tasksOf(n, 'fib', () => [90]))).toEqual(Array(n).fill(2880067194370816120n));
      // One i64 result beyond the safe range among safe ones: a BigInt there,
      // numbers elsewhere, as the ordinary call gives them.
      const mixed = await tova[fn](tasksOf(n, 'fib', (i) => [i === 5 ? 90 : 10]));
      expect(Array.isArray(mixed)).toBe(true);
      expect(mixed).toEqual(Array.from({ length: n }, (_, i) => (i === 5 ? 2880067194370816120n : 55)));
      // Numbers unpacked from the Float64Array: a plain array, -0 kept.
      const z = await tova[fn](tasksOf(n, 'fadd', (i) => [i === 7 ? -0 : i, -0]));
      expect(Array.isArray(z)).toBe(true);
      expect(Object.is(z[7], -0)).toBe(true);
      expect(z[8]).toBe(8);
    });
  }

  test('a bad argument deep in a batch names its task, as the ordinary call does', async () => {
    const tasks = tasksOf(100, 'add32', (i) => [i, i === 57 ? 1.5 : 0]);
    const e = await rejection(tova.concurrentWasmShared(tasks));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('tasks[57]');
    expect(e.message).toContain('argument 1 of add32');
    const count = await rejection(tova.concurrentWasm(tasksOf(100, 'add32', (i) => (i === 80 ? [1] : [1, 2]))));
    expect(count.code).toBe('TOVA_BAD_ARGUMENT');
    expect(count.message).toContain('tasks[80]');
  });

  test('batches the packed form cannot take still run: BigInt, mixed exports, byte arrays', async () => {
    expect(await tova.concurrentWasm(tasksOf(40, 'add', (i) => [i === 7 ? 7n : i, 1]))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const mixed = tasksOf(40, 'add32', (i) => [i, 1]);
    mixed[20] = { wasm: math, func: 'add', args: [20, 1] };
    expect(await tova.concurrentWasmShared(mixed)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const bytes = Array.from(math);
    expect(await tova.concurrentWasm(Array.from({ length: 40 }, (_, i) => ({ wasm: bytes, func: 'add32', args: [i, 1] }))))
      .toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  test('a task failing at run time rejects with its index', async () => {
    const e = await rejection(tova.concurrentWasmShared(tasksOf(300, 'div32', (i) => [i, i === 250 ? 0 : 1])));
    expect(e.code).toBe('TOVA_TRAP');
    expect(e.message).toContain('task 250');
  });

  // A stateless export's tasks may share an instance (several to a runtime
  // task); a task that changes its instance must still get a fresh one.
  const counter = buildModule({
    globals: [{ type: 'i32', init: 0 }],
    funcs: [
      // global += x; return global: x on a fresh instance.
      { name: 'bump_by', params: ['i32'], results: ['i32'], body: [0x23, 0x00, 0x20, 0x00, 0x6a, 0x24, 0x00, 0x23, 0x00] },
      { name: 'twice', params: ['i32'], results: ['i32'], body: [0x20, 0x00, 0x20, 0x00, 0x6a] },
      // 100 / (x - 4097): traps for one task only
      { name: 'inv', params: ['i32'], results: ['i32'], body: [0x41, 0xe4, 0x00, 0x20, 0x00, 0x41, 0x81, 0x20, 0x6b, 0x6d] },
    ],
  });
  const many = (n, func, argOf) => Array.from({ length: n }, (_, i) => ({ wasm: counter, func, args: [argOf(i)] }));

  test('a task that changes its instance gets a fresh one in a big batch', async () => {
    const r = await tova.concurrentWasmShared(many(5000, 'bump_by', (i) => i + 1));
    expect(r).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  test('a stateless export in a big batch: every result in order, a failure named by its task', async () => {
    expect(await tova.concurrentWasmShared(many(5000, 'twice', (i) => i))).toEqual(Array.from({ length: 5000 }, (_, i) => 2 * i));
    const e = await rejection(tova.concurrentWasmShared(many(5000, 'inv', (i) => i)));
    expect(e.code).toBe('TOVA_TRAP');
    expect(e.message).toContain('task 4097');
    expect(e.message).toContain('integer divide by zero');
    // The failing task last in the batch, and alone in a small one.
    const last = await rejection(tova.concurrentWasmShared(many(4098, 'inv', (i) => i)));
    expect(last.message).toContain('task 4097');
    const small = await rejection(tova.concurrentWasmShared(many(20, 'inv', (i) => 4097 - 19 + i)));
    expect(small.message).toContain('task 19');
  });

  test('timeouts apply per task in the packed form too', async () => {
    const e = await rejection(tova.concurrentWasmShared(Array.from({ length: 32 }, () => ({ wasm: math, func: 'spin', args: [] })), { timeout: 20 }));
    expect(e.code).toBe('TOVA_TIMEOUT');
    const ok = await tova.concurrentWasmShared(tasksOf(32, 'add32', (i) => [i, 1]), { timeout: 10000 });
    expect(ok).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });
});
