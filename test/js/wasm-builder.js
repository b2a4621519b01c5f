'use strict';
// A tiny WebAssembly binary encoder for the tests: enough for functions with
// numeric parameters/results/locals, function imports and mutable globals.

const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };

function uleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n) {
  // BigInt keeps i64 constants exact.
  let v = BigInt(n);
  const out = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function str(s) {
  const b = Buffer.from(s, 'utf8');
  return [...uleb(b.length), ...b];
}

function section(id, body) {
  return body.length ? [id, ...uleb(body.length), ...body] : [];
}

function vec(items) {
  return [...uleb(items.length), ...items.flat()];
}

/**
 * buildModule({ imports: [{module, name, params, results}],
 *               globals: [{type, init}],   // mutable, init a number
 *               funcs: [{name, params, results, locals: [types], body: [bytes]}] })
 * Function indices: imports first, then funcs in order. Every func is exported
 * under its name (when it has one). Bodies get their final `end` added.
 */
function buildModule({ imports = [], globals = [], funcs = [] }) {
  const types = [];
  const typeIndex = (params, results) => {
    const enc = [0x60, ...vec(params.map((p) => [T[p]])), ...vec(results.map((r) => [T[r]]))];
    const key = enc.join(',');
    let i = types.findIndex((t) => t.join(',') === key);
    if (i < 0) { types.push(enc); i = types.length - 1; }
    return i;
  };
  const importEntries = imports.map((im) => [
    ...str(im.module), ...str(im.name), 0x00, ...uleb(typeIndex(im.params || [], im.results || [])),
  ]);
  const funcTypes = funcs.map((f) => uleb(typeIndex(f.params || [], f.results || [])));
  const globalEntries = globals.map((g) => {
    const init = g.type === 'i32' ? [0x41, ...sleb(g.init || 0)] : [0x42, ...sleb(g.init || 0)];
    return [T[g.type], 0x01, ...init, 0x0b];
  });
  const exportEntries = [];
  funcs.forEach((f, i) => {
    if (f.name) exportEntries.push([...str(f.name), 0x00, ...uleb(imports.length + i)]);
  });
  const codeEntries = funcs.map((f) => {
    const locals = (f.locals || []).map((t) => [1, T[t]]);
    const body = [...vec(locals), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types.length ? vec(types) : []),
    ...section(2, importEntries.length ? vec(importEntries) : []),
    ...section(3, funcTypes.length ? vec(funcTypes) : []),
    ...section(6, globalEntries.length ? vec(globalEntries) : []),
    ...section(7, exportEntries.length ? vec(exportEntries) : []),
    ...section(10, codeEntries.length ? vec(codeEntries) : []),
  ]);
}

const get = (i) => [0x20, ...uleb(i)];
const set = (i) => [0x21, ...uleb(i)];

// The functions the tests use, all in one module.
function mathModule() {
  return buildModule({
    globals: [{ type: 'i32', init: 0 }],
    funcs: [
      { name: 'add', params: ['i64', 'i64'], results: ['i64'], body: [...get(0), ...get(1), 0x7c] },
      { name: 'add32', params: ['i32', 'i32'], results: ['i32'], body: [...get(0), ...get(1), 0x6a] },
      { name: 'div32', params: ['i32', 'i32'], results: ['i32'], body: [...get(0), ...get(1), 0x6d] },
      { name: 'id64', params: ['i64'], results: ['i64'], body: [...get(0)] },
      { name: 'fadd', params: ['f64', 'f64'], results: ['f64'], body: [...get(0), ...get(1), 0xa0] },
      { name: 'fmul32', params: ['f32', 'f32'], results: ['f32'], body: [...get(0), ...get(1), 0x94] },
      { name: 'swap', params: ['i32', 'i64'], results: ['i64', 'i32'], body: [...get(1), ...get(0)] },
      // (quotient, remainder): two results of one type.
      { name: 'divmod', params: ['i64', 'i64'], results: ['i64', 'i64'],
        body: [...get(0), ...get(1), 0x7f, ...get(0), ...get(1), 0x81] },
      { name: 'nothing', params: [], results: [], body: [] },
      { name: 'boom', params: [], results: ['i32'], body: [0x00] }, // unreachable
      // Increments a mutable global and returns it: 1 on a fresh instance.
      { name: 'bump', params: [], results: ['i32'],
        body: [0x23, 0x00, 0x41, 0x01, 0x6a, 0x24, 0x00, 0x23, 0x00] },
      // Iterative fib(n): a, b = b, a + b, n times.
      { name: 'fib', params: ['i64'], results: ['i64'], locals: ['i64', 'i64', 'i64'],
        body: [
          0x42, 0x01, ...set(2),
          0x02, 0x40, 0x03, 0x40,
          ...get(0), 0x50, 0x0d, 0x01,
          ...get(1), ...get(2), 0x7c, ...set(3),
          ...get(2), ...set(1),
          ...get(3), ...set(2),
          ...get(0), 0x42, 0x01, 0x7d, ...set(0),
          0x0c, 0x00,
          0x0b, 0x0b,
          ...get(1),
        ] },
      // Never returns: only interrupts stop it.
      { name: 'spin', params: [], results: [], body: [0x03, 0x40, 0x0c, 0x00, 0x0b] },
    ],
  });
}

function importingModule() {
  return buildModule({
    imports: [{ module: 'env', name: 'missing', params: ['i32'], results: [] }],
    funcs: [{ name: 'run', params: [], results: [], body: [0x41, 0x07, 0x10, 0x00] }],
  });
}

module.exports = { buildModule, mathModule, importingModule, uleb, sleb };
