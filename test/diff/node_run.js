#!/usr/bin/env node
// node_run.js: the Node side of the differential fuzzer. Prints, for
// Node's own WebAssembly, exactly the lines test/diff/diff_run.c prints for
// tova (the format and the canonical forms are documented in diff_values.h:
// keep the two in step).
//   node test/diff/node_run.js FILE.wasm
'use strict';
const fs = require('fs');

const ARG_SETS = 3;
const I32 = [0, 1, -1, 2, 3, 7, 8, 31, 32, 100, -100, 255, 256, 65535, 65536, 1024, -2, 13,
  2147483647, -2147483648];
const I64 = ['0', '1', '-1', '2', '7', '63', '64', '255', '65536', '4294967295', '4294967296',
  '-1000000', '1234567890123', '-2', '9223372036854775807', '-9223372036854775808'].map(BigInt);
const F32 = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000, 0xc0200000,
  0x42c80000, 0x7f7fffff, 0x00000001, 0x7f800000, 0xff800000, 0x4f000000, 0xd01502f9];
const F64 = ['0000000000000000', '8000000000000000', '3ff0000000000000', 'bff0000000000000',
  '3fe0000000000000', '3ff8000000000000', 'c004000000000000', '4059000000000000',
  '7fefffffffffffff', '0000000000000001', '7ff0000000000000', 'fff0000000000000',
  '43e0000000000000', 'c202a05f20000000', '41f0000000080000'];

const dv = new DataView(new ArrayBuffer(8));
function f32FromBits(b) { dv.setUint32(0, b >>> 0); return dv.getFloat32(0); }
function f64FromHex(h) { dv.setBigUint64(0, BigInt('0x' + h)); return dv.getFloat64(0); }
function hex(n, w) { return n.toString(16).padStart(w, '0'); }

function arg(type, set, i) {
  const k = set * 7 + i * 3;
  switch (type) {
    case 'i32': return set ? I32[k % I32.length] : 0;
    case 'i64': return set ? I64[k % I64.length] : 0n;
    case 'f32': return set ? f32FromBits(F32[k % F32.length]) : 0;
    case 'f64': return set ? f64FromHex(F64[k % F64.length]) : 0;
    default: return null;
  }
}

function format(type, v) {
  switch (type) {
    case 'i32': return String(v | 0);
    case 'i64': return BigInt.asIntN(64, BigInt(v)).toString();
    case 'f32':
      if (Number.isNaN(v)) return 'nan';
      dv.setFloat32(0, v);
      return 'f32:' + hex(dv.getUint32(0), 8);
    case 'f64':
      if (Number.isNaN(v)) return 'nan';
      dv.setFloat64(0, v);
      return 'f64:' + hex(dv.getBigUint64(0), 16);
    default: return v === null ? 'null' : 'ref';
  }
}

// V8's trap messages -> the classes of diff_values.h.
function trapClass(e) {
  const m = String(e && e.message);
  if (e instanceof RangeError && /call stack/i.test(m)) return 'stack';
  if (!(e instanceof WebAssembly.RuntimeError)) return 'other';
  const map = [
    [/unreachable/, 'unreachable'],
    [/divide by zero|remainder by zero/, 'div0'],
    // division overflow and every failed truncation (see diff_values.h)
    [/divide result unrepresentable|integer overflow|float unrepresentable|invalid conversion/, 'overflow'],
    [/memory access out of bounds|data segment/, 'mem'],
    [/table index is out of bounds|table access out of bounds|element segment/, 'table'],
    [/null function|signature mismatch/, 'indirect'],
  ];
  for (const [re, cls] of map) if (re.test(m)) return cls;
  return 'other';
}

function fnv1a(h, bytes) {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619) >>> 0;
  return h >>> 0;
}
const FNV_INIT = 2166136261;
const enc = new TextEncoder();

// Parameter/result types of an export, from the binary (the JS API does not
// expose them): a minimal reader of the type, import, function and export
// sections.
function signatures(bytes) {
  let p = 8;
  const u = () => { let r = 0, s = 0, b; do { b = bytes[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
  const VT = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x70: 'funcref', 0x6f: 'externref', 0x7b: 'v128' };
  const types = [], funcs = [], exports = [], imports = [];
  while (p < bytes.length) {
    const id = bytes[p++], size = u(), end = p + size;
    if (id === 1) {
      for (let n = u(); n > 0; n--) {
        p++; // 0x60
        const params = []; for (let k = u(); k > 0; k--) params.push(VT[bytes[p++]]);
        const results = []; for (let k = u(); k > 0; k--) results.push(VT[bytes[p++]]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u(); n > 0; n--) {
        const ml = u(); const mod = Buffer.from(bytes.subarray(p, p + ml)).toString(); p += ml;
        const nl = u(); const name = Buffer.from(bytes.subarray(p, p + nl)).toString(); p += nl;
        const kind = bytes[p++];
        if (kind === 0) { const t = u(); funcs.push(t); imports.push({ mod, name, kind, type: types[t] }); }
        else { imports.push({ mod, name, kind }); p = end; break; } // unsupported: stop reading
      }
    } else if (id === 3) {
      for (let n = u(); n > 0; n--) funcs.push(u());
    } else if (id === 7) {
      for (let n = u(); n > 0; n--) {
        const nl = u(); const name = Buffer.from(bytes.subarray(p, p + nl)).toString(); p += nl;
        const kind = bytes[p++], idx = u();
        exports.push({ name, kind, type: kind === 0 ? types[funcs[idx]] : null });
      }
    }
    p = end;
  }
  return { imports, exports };
}

function main() {
  const file = process.argv[2];
  const bytes = new Uint8Array(fs.readFileSync(file));
  const print = (s) => process.stdout.write(s + '\n');
  let module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    print('compile error');
    return;
  }
  print('compile ok');
  const { imports, exports } = signatures(bytes);
  if (imports.some((i) => i.kind !== 0)) { print('imports unsupported'); return; }

  let log = { count: 0, hash: FNV_INIT };
  const importObj = {};
  for (const imp of imports) {
    const name = imp.mod + '.' + imp.name;
    importObj[imp.mod] = importObj[imp.mod] || {};
    importObj[imp.mod][imp.name] = (...args) => {
      const text = name + '(' + args.map((a, i) => format(imp.type.params[i], a)).join(',') + ')\n';
      log.count++;
      log.hash = fnv1a(log.hash, enc.encode(text));
      const zero = (t) => (t === 'i64' ? 0n : t === 'i32' || t === 'f32' || t === 'f64' ? 0 : null);
      if (imp.type.results.length === 0) return undefined;
      if (imp.type.results.length === 1) return zero(imp.type.results[0]);
      return imp.type.results.map(zero);
    };
  }
  const instantiate = () => new WebAssembly.Instance(module, importObj);
  try {
    instantiate();
  } catch (e) {
    print(e instanceof WebAssembly.RuntimeError || e instanceof RangeError
      ? 'inst trap ' + trapClass(e) : 'inst error');
    return;
  }
  const memDigest = (inst) => {
    for (const ex of exports) {
      if (ex.kind !== 2) continue;
      const buf = new Uint8Array(inst.exports[ex.name].buffer);
      return (buf.length / 65536) + ':' + hex(fnv1a(FNV_INIT, buf), 8);
    }
    return '0:' + hex(FNV_INIT, 8);
  };
  for (const ex of exports) {
    if (ex.kind !== 0) continue;
    for (let set = 0; set < ARG_SETS; set++) {
      log = { count: 0, hash: FNV_INIT };
      let inst;
      try { inst = instantiate(); } catch (e) { print(`call ${ex.name} ${set} inst-failed`); continue; }
      log = { count: 0, hash: FNV_INIT };
      const args = ex.type.params.map((t, i) => arg(t, set, i));
      let outcome;
      try {
        const r = inst.exports[ex.name](...args);
        const rs = ex.type.results.length === 1 ? [r] : ex.type.results.length ? Array.from(r) : [];
        outcome = 'ok ' + (rs.length ? rs.map((v, i) => format(ex.type.results[i], v)).join(',') : '-');
      } catch (e) {
        outcome = 'trap ' + trapClass(e);
      }
      print(`call ${ex.name} ${set} ${outcome} log=${log.count}:${hex(log.hash, 8)} mem=${memDigest(inst)}`);
    }
  }
}

main();
