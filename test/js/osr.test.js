'use strict';
// Long first calls in the default tier: each starts interpreted and, in the
// middle of its loop, continues in native code once its function is compiled
// (on-stack replacement, docs/native-tier.md). Whatever the moment of the
// switch, every answer must be the one computed here in JS; several calls at
// once on the workers switch independently. (Without the native tier the
// calls simply run interpreted and must give the same answers.)
const { test, expect, describe } = require('bun:test');
const tova = require('../..');
const { buildModule, uleb, sleb } = require('./wasm-builder.js');

const get = (i) => [0x20, ...uleb(i)];
const set = (i) => [0x21, ...uleb(i)];
const i32 = (v) => [0x41, ...sleb(v)];

// lcg(n, seed): x = seed; for i in 0..n: x = x * 1103515245 + (i ^ (x >>> 7)); the
// i32 loop of a while-shaped body (head test first), with locals i (2) and x (3).
function lcgModule(tag) {
  return buildModule({
    funcs: [
      { name: 'lcg', params: ['i32', 'i32'], results: ['i32'], locals: ['i32', 'i32'],
        body: [
          ...get(1), ...set(3),
          0x02, 0x40, 0x03, 0x40, // block loop
          ...get(2), ...get(0), 0x4f, 0x0d, 0x01, // br_if 1 (i >= n, unsigned)
          ...get(3), ...i32(1103515245), 0x6c, // x * 1103515245
          ...get(2), ...get(3), ...i32(7), 0x76, 0x73, // i ^ (x >>> 7)
          0x6a, ...set(3), // + , x =
          ...get(2), ...i32(1), 0x6a, ...set(2), // i++
          0x0c, 0x00, 0x0b, 0x0b, // br 0, end, end
          ...get(3),
        ] },
      // A distinct module per test: a first call is a first call.
      { name: `tag${tag}`, params: [], results: [], body: [] },
    ],
  });
}

function lcgRef(n, seed) {
  let x = seed | 0;
  for (let i = 0; i < n; i++) x = (Math.imul(x, 1103515245) + (i ^ (x >>> 7))) | 0;
  return x;
}

describe('long first calls (on-stack replacement)', () => {
  test('one call of 60M iterations gives the JS answer', async () => {
    const m = lcgModule(1);
    const n = 60_000_000;
    expect(await tova.execWasm(m, 'lcg', [n, 12345])).toBe(lcgRef(n, 12345));
  }, 60_000);

  test('six concurrent first calls, each its own instance and length', async () => {
    const m = lcgModule(2);
    const tasks = [];
    for (let k = 0; k < 6; k++) tasks.push({ wasm: m, func: 'lcg', args: [10_000_000 + k * 3_000_001, k * 7919] });
    const got = await tova.concurrentWasm(tasks);
    expect(got).toEqual(tasks.map((t) => lcgRef(t.args[0], t.args[1])));
  }, 60_000);
});
