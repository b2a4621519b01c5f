// WebAssembly from JS: execWasm, concurrentWasm(Shared), compile, callBulk.
import { describe, test, expect } from 'bun:test';

const tova = require('../..');
const { rejection } = require('./helpers.js');
const { buildModule, mathModule, importingModule } = require('./wasm-builder.js');

const math = mathModule();

// A module whose `k` returns the i32 constant c (same size for every c < 64).
function constModule(c) {
  return buildModule({ funcs: [{ name: 'k', params: [], results: ['i32'], body: [0x41, c] }] });
}

describe('execWasm', () => {
  test('i64 add and fib', async () => {
    expect(await tova.execWasm(math, 'add', [3, 4])).toBe(7);
    expect(await tova.execWasm(math, 'fib', [10])).toBe(55);
    expect(await tova.execWasm(math, 'fib', [0])).toBe(0);
  });

  test('i64: numbers while exact, BigInt beyond; BigInt arguments accepted', async () => {
    expect(await tova.execWasm(math, 'id64', [Number.MAX_SAFE_INTEGER])).toBe(Number.MAX_SAFE_INTEGER);
    expect(await tova.execWasm(math, 'id64', [2n ** 53n])).toBe(2n ** 53n);
    expect(await tova.execWasm(math, 'id64', [-(2n ** 63n)])).toBe(-(2n ** 63n));
    expect(await tova.execWasm(math, 'add', [2n ** 62n, 2n ** 62n])).toBe(-(2n ** 63n)); // wraps like i64
    expect(await tova.execWasm(math, 'fib', [90])).toBe(2880067194370816120n);
    // Unsigned spelling of -1 is the same 64 bits.
    expect(await tova.execWasm(math, 'id64', [2n ** 64n - 1n])).toBe(-1);
  });

  test('i32: signed results, unsigned inputs wrap, range checked', async () => {
    expect(await tova.execWasm(math, 'add32', [2 ** 31 - 1, 1])).toBe(-(2 ** 31));
    expect(await tova.execWasm(math, 'add32', [2 ** 32 - 1, 0])).toBe(-1);
    const e = await rejection(tova.execWasm(math, 'add32', [2 ** 32, 0]));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('argument 0 of add32');
  });

  test('f32 and f64', async () => {
    expect(await tova.execWasm(math, 'fadd', [0.1, 0.2])).toBe(0.1 + 0.2);
    expect(await tova.execWasm(math, 'fmul32', [1.1, 3])).toBe(Math.fround(Math.fround(1.1) * 3));
    expect(Number.isNaN(await tova.execWasm(math, 'fadd', [NaN, 1]))).toBe(true);
  });

  test('several results give an array, none give undefined', async () => {
    expect(await tova.execWasm(math, 'swap', [1, 2n ** 60n])).toEqual([2n ** 60n, 1]);
    expect(await tova.execWasm(math, 'nothing', [])).toBeUndefined();
    expect(await tova.execWasm(math, 'nothing')).toBeUndefined();
  });

  test('every call gets a fresh instance', async () => {
    expect(await tova.execWasm(math, 'bump', [])).toBe(1);
    expect(await tova.execWasm(math, 'bump', [])).toBe(1);
  });

  test('bytes as Buffer, Uint8Array, ArrayBuffer, DataView or plain array', async () => {
    const ab = math.buffer.slice(math.byteOffset, math.byteOffset + math.byteLength);
    for (const bytes of [Buffer.from(math), math, ab, new DataView(ab), Array.from(math)]) {
      expect(await tova.execWasm(bytes, 'add', [1, 2])).toBe(3);
    }
  });

  test('trap: TOVA_TRAP with the trap message and the function name', async () => {
    const e = await rejection(tova.execWasm(math, 'div32', [1, 0]));
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('TOVA_TRAP');
    expect(e.message).toContain('div32');
    expect(e.message).toContain('integer divide by zero');
    const u = await rejection(tova.execWasm(math, 'boom', []));
    expect(u.code).toBe('TOVA_TRAP');
    expect(u.message).toContain('unreachable');
  });

  test('invalid module: TOVA_INVALID_MODULE with the decoder message', async () => {
    const e = await rejection(tova.execWasm(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0]), 'f', []));
    expect(e.code).toBe('TOVA_INVALID_MODULE');
    expect(e.message).toContain('execWasm');
    expect(e.message.length).toBeGreaterThan('execWasm: invalid module: '.length);
    const empty = await rejection(tova.execWasm(new Uint8Array(0), 'f', []));
    expect(empty.code).toBe('TOVA_INVALID_MODULE');
    const truncated = await rejection(tova.execWasm(math.subarray(0, math.length - 3), 'add', [1, 2]));
    expect(truncated.code).toBe('TOVA_INVALID_MODULE');
  });

  test('unknown export: TOVA_NOT_FOUND naming it', async () => {
    const e = await rejection(tova.execWasm(math, 'nope', []));
    expect(e.code).toBe('TOVA_NOT_FOUND');
    expect(e.message).toContain("'nope'");
  });

  test('wrong argument count or type: TOVA_BAD_ARGUMENT', async () => {
    const few = await rejection(tova.execWasm(math, 'add', [1]));
    expect(few.code).toBe('TOVA_BAD_ARGUMENT');
    expect(few.message).toContain('takes 2 arguments, got 1');
    for (const args of [[1, 'x'], [1, 0.5], [1, 2 ** 53], [1, null]]) {
      expect((await rejection(tova.execWasm(math, 'add', args))).code).toBe('TOVA_BAD_ARGUMENT');
    }
    expect((await rejection(tova.execWasm(math, 'fadd', [1n, 2]))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.execWasm(math, 'add', 5))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.execWasm('not bytes', 'add', [1, 2]))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.execWasm(math, 42, [1, 2]))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.execWasm([1, 300], 'f', []))).code).toBe('TOVA_BAD_ARGUMENT');
  });

  test('unresolved imports: TOVA_UNLINKABLE naming the import', async () => {
    const e = await rejection(tova.execWasm(importingModule(), 'run', []));
    expect(e.code).toBe('TOVA_UNLINKABLE');
    expect(e.message).toContain('missing');
  });

  test('the module cache never confuses modules of equal size', async () => {
    const results = [];
    for (let round = 0; round < 2; round++) {
      for (let c = 0; c < 40; c++) results.push(await tova.execWasm(constModule(c), 'k', []));
    }
    expect(results).toEqual([...Array(40).keys(), ...Array(40).keys()]);
  });

  test('more distinct modules than the cache holds still run correctly', async () => {
    const ps = [];
    for (let c = 0; c < 64; c++) {
      const m = buildModule({ funcs: [{ name: 'k', params: [], results: ['i64'], body: [0x42, ...[0x80 | (c & 0x7f), 0x01]] }] });
      ps.push(tova.execWasm(m, 'k', []));
    }
    const rs = await Promise.all(ps);
    rs.forEach((r, c) => expect(r).toBe((c & 0x7f) + 128));
  });
});

describe('compile', () => {
  test('returns a reusable module listing its exports', async () => {
    const m = tova.compile(math);
    const add = m.exports.find((e) => e.name === 'add');
    expect(add).toEqual({ name: 'add', kind: 'function', params: ['i64', 'i64'], results: ['i64'] });
    expect(m.exports.find((e) => e.name === 'swap').results).toEqual(['i64', 'i32']);
    expect(await tova.execWasm(m, 'add', [5, 6])).toBe(11);
    expect(await tova.concurrentWasm([{ wasm: m, func: 'fib', args: [20] }])).toEqual([6765]);
  });

  test('invalid bytes throw TOVA_INVALID_MODULE', () => {
    let e;
    try {
      tova.compile(new Uint8Array([1, 2, 3]));
    } catch (x) {
      e = x;
    }
    expect(e.code).toBe('TOVA_INVALID_MODULE');
    expect(e.message).toContain('compile');
  });

  test('a look-alike object is not taken for a module', async () => {
    const e = await rejection(tova.execWasm({ exports: [] }, 'add', [1, 2]));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
  });
});

describe('concurrentWasm / concurrentWasmShared', () => {
  for (const fn of ['concurrentWasm', 'concurrentWasmShared']) {
    test(`${fn}: results in task order`, async () => {
      const tasks = Array.from({ length: 1000 }, (_, i) => ({ wasm: math, func: 'add', args: [i, i] }));
      const rs = await tova[fn](tasks);
      expect(rs.length).toBe(1000);
      rs.forEach((r, i) => expect(r).toBe(2 * i));
    });

    test(`${fn}: different modules and functions in one call`, async () => {
      const rs = await tova[fn]([
        { wasm: math, func: 'fib', args: [10] },
        { wasm: constModule(9), func: 'k', args: [] },
        { wasm: math, func: 'swap', args: [3, 4] },
        { wasm: math, func: 'nothing' },
        { wasm: Array.from(math), func: 'add', args: [20, 22] },
      ]);
      expect(rs).toEqual([55, 9, [4, 3], undefined, 42]);
    });

    test(`${fn}: the first failing task (by index) rejects the call`, async () => {
      const tasks = Array.from({ length: 100 }, (_, i) => ({ wasm: math, func: 'div32', args: [i, i === 40 || i === 70 ? 0 : 1] }));
      const e = await rejection(tova[fn](tasks));
      expect(e.code).toBe('TOVA_TRAP');
      expect(e.message).toContain('task 40');
      expect(e.message).toContain('integer divide by zero');
    });

    test(`${fn}: bad task description names its index`, async () => {
      const e = await rejection(tova[fn]([{ wasm: math, func: 'add', args: [1, 2] }, 7]));
      expect(e.code).toBe('TOVA_BAD_ARGUMENT');
      expect(e.message).toContain('tasks[1]');
      const nf = await rejection(tova[fn]([{ wasm: math, func: 'zzz', args: [] }]));
      expect(nf.code).toBe('TOVA_NOT_FOUND');
      expect(nf.message).toContain('tasks[0]');
      expect((await rejection(tova[fn]('x'))).code).toBe('TOVA_BAD_ARGUMENT');
    });

    test(`${fn}: empty list`, async () => {
      expect(await tova[fn]([])).toEqual([]);
    });
  }

  test('10,000 shared tasks', async () => {
    const n = 10000;
    const tasks = Array.from({ length: n }, (_, i) => ({ wasm: math, func: 'fib', args: [i % 50] }));
    const rs = await tova.concurrentWasmShared(tasks);
    const fib = [0, 1];
    for (let i = 2; i < 50; i++) fib.push(fib[i - 1] + fib[i - 2]);
    rs.forEach((r, i) => expect(r).toBe(fib[i % 50]));
  });
});

describe('callBulk', () => {
  test('BigInt64Array rows of an i64 function', async () => {
    const m = tova.compile(math);
    const r = await tova.callBulk(m, 'add', new BigInt64Array([1n, 2n, 3n, 4n, 2n ** 62n, 2n ** 62n]));
    expect(r).toBeInstanceOf(BigInt64Array);
    expect(Array.from(r)).toEqual([3n, 7n, -(2n ** 63n)]);
  });

  test('many rows split across workers keep their order', async () => {
    const rows = 100000;
    const args = new Int32Array(rows * 2);
    for (let i = 0; i < rows; i++) { args[2 * i] = i; args[2 * i + 1] = -2 * i; }
    const r = await tova.callBulk(math, 'add32', args);
    expect(r).toBeInstanceOf(Int32Array);
    expect(r.length).toBe(rows);
    for (let i = 0; i < rows; i++) if (r[i] !== -i) throw new Error(`row ${i}: ${r[i]}`);
  });

  test('Float64Array for float and integer parameters', async () => {
    const f = await tova.callBulk(math, 'fadd', new Float64Array([0.5, 0.25, 1, 2]));
    expect(f).toBeInstanceOf(Float64Array);
    expect(Array.from(f)).toEqual([0.75, 3]);
    const i = await tova.callBulk(math, 'fib', new Float64Array([10, 20]));
    expect(Array.from(i)).toEqual([55n, 6765n]);
    const e = await rejection(tova.callBulk(math, 'fib', new Float64Array([10, 2.5])));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('args[1]');
  });

  test('several results per row are laid out row by row', async () => {
    const r = await tova.callBulk(math, 'divmod', new BigInt64Array([7n, 2n, -9n, 4n]));
    expect(Array.from(r)).toEqual([3n, 1n, -2n, -1n]);
    // swap returns (i64, i32): no single typed array holds both.
    const e = await rejection(tova.callBulk(math, 'swap', new BigInt64Array([1n, 2n])));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('mixed');
  });

  test('functions without parameters take rowCount', async () => {
    const r = await tova.callBulk(math, 'bump', null, 3);
    expect(Array.from(r)).toEqual([1, 1, 1]); // every chunk instance starts at 0; 3 rows, >= 3 chunks
    expect(await tova.callBulk(math, 'nothing', null, 5)).toBeUndefined();
    expect((await rejection(tova.callBulk(math, 'bump', null))).code).toBe('TOVA_BAD_ARGUMENT');
  });

  test('a trap names its row', async () => {
    const e = await rejection(tova.callBulk(math, 'div32', new Int32Array([4, 2, 1, 0, 9, 3])));
    expect(e.code).toBe('TOVA_TRAP');
    expect(e.message).toContain('row 1');
    expect(e.message).toContain('integer divide by zero');
  });

  test('shape and type errors', async () => {
    expect((await rejection(tova.callBulk(math, 'add', new BigInt64Array(3)))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.callBulk(math, 'add', [1n, 2n]))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.callBulk(math, 'add', new Uint8Array(2)))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.callBulk(math, 'fadd', new BigInt64Array(2)))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.callBulk(math, 'add', new BigInt64Array(4), 3))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.callBulk(math, 'zzz', new BigInt64Array(2)))).code).toBe('TOVA_NOT_FOUND');
  });

  test('empty input gives an empty result', async () => {
    const r = await tova.callBulk(math, 'add', new BigInt64Array(0));
    expect(r).toBeInstanceOf(BigInt64Array);
    expect(r.length).toBe(0);
  });
});
