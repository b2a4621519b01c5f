// spawnTask / concurrentAll / concurrentAllTyped: results, order, integer
// boundaries (number vs BigInt) and error codes.
import { describe, test, expect } from 'bun:test';

const tova = require('../..');
const { rejection } = require('./helpers.js');
const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1

describe('spawnTask', () => {
  test('resolves to its value', async () => {
    expect(await tova.spawnTask(42)).toBe(42);
    expect(await tova.spawnTask(-7)).toBe(-7);
    expect(await tova.spawnTask(0)).toBe(0);
  });

  test('safe integers stay numbers at both edges', async () => {
    expect(await tova.spawnTask(MAX_SAFE)).toBe(MAX_SAFE);
    expect(await tova.spawnTask(-MAX_SAFE)).toBe(-MAX_SAFE);
  });

  test('BigInt input: small values come back as numbers, large as BigInt', async () => {
    expect(await tova.spawnTask(5n)).toBe(5);
    expect(await tova.spawnTask(BigInt(MAX_SAFE) + 1n)).toBe(BigInt(MAX_SAFE) + 1n);
    expect(await tova.spawnTask(2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
    expect(await tova.spawnTask(-(2n ** 63n))).toBe(-(2n ** 63n));
  });

  test('unsafe, fractional and non-numeric values are rejected, never rounded', async () => {
    for (const bad of [MAX_SAFE + 1, 2 ** 60, 1.5, NaN, Infinity, '1', null, undefined, {}]) {
      const e = await rejection(tova.spawnTask(bad));
      expect(e).toBeInstanceOf(Error);
      expect(e.code).toBe('TOVA_BAD_ARGUMENT');
      expect(e.message).toContain('spawnTask');
    }
  });

  test('BigInt outside int64 is rejected', async () => {
    const e = await rejection(tova.spawnTask(2n ** 63n));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('int64');
  });

  test('many single tasks at once', async () => {
    const ps = [];
    for (let i = 0; i < 2000; i++) ps.push(tova.spawnTask(i * 3));
    const rs = await Promise.all(ps);
    rs.forEach((r, i) => expect(r).toBe(i * 3));
  });
});

describe('concurrentAll', () => {
  test('values in order', async () => {
    expect(await tova.concurrentAll([1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5]);
    expect(await tova.concurrentAll([])).toEqual([]);
  });

  test('mixed numbers and BigInts keep their exact values', async () => {
    const big = 2n ** 62n + 3n;
    const r = await tova.concurrentAll([1, 2n, big, -MAX_SAFE, -(2n ** 63n)]);
    expect(r).toEqual([1, 2, big, -MAX_SAFE, -(2n ** 63n)]);
  });

  test('10,000 values', async () => {
    const n = 10000;
    const r = await tova.concurrentAll(Array.from({ length: n }, (_, i) => n - i));
    expect(r.length).toBe(n);
    for (let i = 0; i < n; i++) if (r[i] !== n - i) throw new Error(`r[${i}] = ${r[i]}`);
  });

  test('1,000,000 values', async () => {
    const n = 1_000_000;
    const input = new Array(n);
    for (let i = 0; i < n; i++) input[i] = i * 7 - 3;
    const r = await tova.concurrentAll(input);
    expect(Array.isArray(r)).toBe(true);
    expect(r.length).toBe(n);
    for (let i = 0; i < n; i++) if (r[i] !== i * 7 - 3) throw new Error(`r[${i}] = ${r[i]}`);
  }, 60000); // a hang guard, not a time limit: under TSan on a loaded machine this took over 5 s

  test('a bad element is named by index', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i);
    values[57] = 0.5;
    const e = await rejection(tova.concurrentAll(values));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('values[57]');
  });

  test('a non-array is rejected', async () => {
    const e = await rejection(tova.concurrentAll(5));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
  });

  test('mixed BigInt and number input (the per-element path) gives exact results', async () => {
    const addon = require(tova.runtimePath());
    const input = Array.from({ length: 5000 }, (_, i) => (i % 2 ? i : BigInt(i) * 2n ** 40n));
    const expected = input.map((v) => (typeof v === 'bigint' && v <= BigInt(MAX_SAFE) ? Number(v) : v));
    expect(await addon.concurrentAll(input)).toEqual(expected);
  });
});

describe('concurrentAllTyped', () => {
  test('Float64Array in, Float64Array out', async () => {
    const r = await tova.concurrentAllTyped(new Float64Array([3, -2, MAX_SAFE]));
    expect(r).toBeInstanceOf(Float64Array);
    expect(Array.from(r)).toEqual([3, -2, MAX_SAFE]);
  });

  test('BigInt64Array with a large value comes back as BigInt64Array', async () => {
    const r = await tova.concurrentAllTyped(new BigInt64Array([1n, 2n ** 60n]));
    expect(r).toBeInstanceOf(BigInt64Array);
    expect(Array.from(r)).toEqual([1n, 2n ** 60n]);
  });

  test('Int32Array is accepted', async () => {
    const r = await tova.concurrentAllTyped(new Int32Array([-5, 9]));
    expect(Array.from(r)).toEqual([-5, 9]);
  });

  test('non-integers in a Float64Array are rejected with the index', async () => {
    const e = await rejection(tova.concurrentAllTyped(new Float64Array([1, 2.5])));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('values[1]');
  });

  test('other typed arrays are rejected', async () => {
    const e = await rejection(tova.concurrentAllTyped(new Uint8Array(3)));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
  });
});
