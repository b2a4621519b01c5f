'use strict';
// Raw WebAssembly binaries for the hardening tests: shapes wasm-builder.js
// does not make (a custom section, thousands of exports of one function, a
// memory with a big data segment, export names with NUL).
const { uleb } = require('./wasm-builder.js');

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function name(s) {
  const b = Buffer.from(s, 'utf8');
  return [...uleb(b.length), ...b];
}

function section(id, body) {
  return [id, ...uleb(body.length), ...body];
}

// Type 0: () -> i32.
const TYPE_VOID_I32 = section(1, [0x01, 0x60, 0x00, 0x01, 0x7f]);

// Function bodies (without their size prefix): each returns one i32.
function codeSection(bodies) {
  const out = [...uleb(bodies.length)];
  for (const b of bodies) out.push(...uleb(b.length + 2), 0x00, ...b, 0x0b);
  return section(10, out);
}

function exportSection(entries) {
  const out = [...uleb(entries.length)];
  for (const [n, index] of entries) out.push(...name(n), 0x00, ...uleb(index));
  return section(7, out);
}

/**
 * `k` returns the i32 constant c (0..63, so the constant is always the byte at
 * constOffset), after a custom section "tag" holding `tag` (4 bytes): modules
 * with different tags are different bytes, so each misses the module cache.
 */
function taggedConstModule(c, tag) {
  const custom = section(0, [...name('tag'), tag & 0xff, (tag >> 8) & 0xff, (tag >> 16) & 0xff, tag >>> 24]);
  const bytes = [...HEADER, ...custom, ...TYPE_VOID_I32, ...section(3, [0x01, 0x00]),
    ...exportSection([['k', 0]]), ...codeSection([[0x41, c]])];
  const constOffset = bytes.length - 2; // ... 0x41 c 0x0b
  return { bytes: new Uint8Array(bytes), constOffset };
}

/** One function returning 7, exported n times as e0, e1, ... */
function manyExportsModule(n) {
  const entries = [];
  for (let i = 0; i < n; i++) entries.push([`e${i}`, 0]);
  return new Uint8Array([...HEADER, ...TYPE_VOID_I32, ...section(3, [0x01, 0x00]),
    ...exportSection(entries), ...codeSection([[0x41, 0x07]])]);
}

/**
 * A memory with an active data segment of dataBytes bytes at offset 0 whose
 * first byte is `first`; `k` returns i32.load8_u(0) (so: first).
 */
function bigDataModule(dataBytes, first) {
  const pages = Math.ceil(dataBytes / 65536);
  const mem = section(5, [0x01, 0x00, ...uleb(pages)]);
  const head = [0x01, 0x00, 0x41, 0x00, 0x0b, ...uleb(dataBytes)];
  const dataSize = head.length + dataBytes;
  const prefix = [...HEADER, ...TYPE_VOID_I32, ...section(3, [0x01, 0x00]), ...mem,
    ...exportSection([['k', 0]]), ...codeSection([[0x41, 0x00, 0x2d, 0x00, 0x00]]),
    0x0b, ...uleb(dataSize), ...head];
  const out = new Uint8Array(prefix.length + dataBytes);
  out.set(prefix);
  out[prefix.length] = first;
  return out;
}

/** Exports `a` (returns 1) and, when withNul, `a\0b` (returns 2). */
function nulNameModule(withNul) {
  const entries = [['a', 0]];
  if (withNul) entries.push(['a\0b', 1]);
  return new Uint8Array([...HEADER, ...TYPE_VOID_I32, ...section(3, [0x02, 0x00, 0x00]),
    ...exportSection(entries), ...codeSection([[0x41, 0x01], [0x41, 0x02]])]);
}

module.exports = { taggedConstModule, manyExportsModule, bigDataModule, nulNameModule };
