#!/usr/bin/env node
// gen_stack.js: random straight-line and structured stack code aimed at the
// compiler's operand-stack model (constants and local.gets left pending,
// fused and immediate forms, local.set/tee under pending values, branches
// carrying values, calls with pending arguments). binaryen's -ttf output is
// mostly expression trees; this writes the shapes compiled C is made of:
// base + (index << k), counters stepped in loops, loads tested by branches.
//   node test/diff/gen_stack.js SEED > m.wat      (then wat2wasm)
// Every module is valid by construction (a typed stack is tracked) and
// terminates (loops are counted by a local the body never writes).
'use strict';

function rng(seed) {
  let s = (seed >>> 0) || 1;
  return (n) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return n === undefined ? s : s % n;
  };
}

function generate(seed) {
  const r = rng(seed * 2654435761 + 7);
  const pick = (a) => a[r(a.length)];
  const I32K = [0, 1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 33, 100, 255, 1024, 4096, 65535, -1, -2, -8,
    -100, 0x7fffffff, -0x80000000];
  const I64K = ['0', '1', '2', '3', '7', '63', '64', '65', '4096', '-1', '-2', '0x7fffffffffffffff',
    '0x8000000000000000', '0xffffffff', '0x100000000'];
  const SH = ['shl', 'shr_s', 'shr_u'];
  const FOLD = ['add', 'sub', 'and', 'or', 'xor'];
  const BIN = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'shl', 'shr_s', 'shr_u', 'rotl', 'rotr',
    'div_s', 'div_u', 'rem_s', 'rem_u'];
  const CMP = ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'gt_u', 'le_s', 'le_u', 'ge_s', 'ge_u'];
  const funcs = [];
  const nfuncs = 2 + r(4);
  for (let f = 0; f < nfuncs; f++) {
    // params: i32 x, i32 y, i64 z; locals: i32 a b, i32 c (loop counter), i64 d,
    // i64 e (loop counter), i32 s (loop step), i32 n (loop bound): counters,
    // step and bound are written by the loop shapes only
    const L32 = [0, 1, 3, 4], L64 = [2, 6];
    const lines = [];
    const st = []; // types on the stack
    let depth = 0; // nesting (for structured ops)
    const emit = (s) => lines.push('    '.repeat(1 + depth) + s);
    const push32 = () => {
      const k = r(10);
      if (k < 4) emit(`i32.const ${pick(I32K)}`);
      else if (k < 9) emit(`local.get ${pick(L32)}`);
      else emit(`i32.const ${r(1 << 20) - (1 << 19)}`);
      st.push('i32');
    };
    const push64 = () => {
      if (r(2)) emit(`i64.const ${pick(I64K)}`); else emit(`local.get ${pick(L64)}`);
      st.push('i64');
    };
    const need = (t, n) => {
      // make the top n entries of type t (pushing fresh ones on top)
      for (let i = 0; i < n; i++) (t === 'i32' ? push32 : push64)();
    };
    const top = () => st[st.length - 1];
    function step(budget) {
      const k = r(28);
      if (st.length > 8) { emit('drop'); st.pop(); return; }
      switch (k) {
        case 0: case 1: case 2: push32(); break;
        case 3: push64(); break;
        case 4: case 5: { // base OP (x SH k): the folded shift with values pending
          const w = r(3) ? 'i32' : 'i64';
          need(w, 2);
          emit(`${w}.const ${r(40)}`);
          emit(`${w}.${pick(SH)}`);
          emit(`${w}.${pick(FOLD)}`);
          st.pop();
          break;
        }
        case 6: case 7: { // binary on fresh operands, the left one maybe pending deep
          const w = r(3) ? 'i32' : 'i64';
          const op = pick(BIN);
          need(w, 1);
          if (r(2)) emit(`${w}.const ${w === 'i32' ? pick(I32K) : pick(I64K)}`);
          else (w === 'i32' ? push32 : push64)(), st.pop();
          emit(`${w}.${op}`);
          break;
        }
        case 8: { // compare
          const w = r(3) ? 'i32' : 'i64';
          need(w, 1);
          if (r(2)) emit(`${w}.const ${w === 'i32' ? pick(I32K) : pick(I64K)}`);
          else (w === 'i32' ? push32 : push64)(), st.pop();
          emit(`${w}.${pick(CMP)}`);
          st.pop(); st.push('i32');
          break;
        }
        case 9: if (top() === 'i32') emit(r(2) ? 'i32.eqz' : 'i32.popcnt'); else if (top() === 'i64') { emit('i64.eqz'); st.pop(); st.push('i32'); } break;
        case 10: case 11: { // local.set / tee of the top
          const t = top();
          if (!t) break;
          const l = t === 'i32' ? pick([0, 1, 3, 4]) : pick(L64);
          if (r(2)) { emit(`local.set ${l}`); st.pop(); } else emit(`local.tee ${l}`);
          break;
        }
        case 12: { // load (address masked into the page, sometimes not)
          need('i32', 1);
          if (r(8)) { emit('i32.const 0xfff0'); emit('i32.and'); }
          const ld = pick(['i32.load8_u', 'i32.load', 'i32.load16_s', 'i64.load', 'i64.load32_u', 'i32.load8_s']);
          emit(`${ld} offset=${pick([0, 1, 4, 8])}`);
          st.pop(); st.push(ld.slice(0, 3));
          if (r(2) && top() === 'i32') { emit('i32.eqz'); }
          break;
        }
        case 13: { // store: constant or computed value
          need('i32', 1);
          emit('i32.const 0xfff0'); emit('i32.and');
          const w = r(3) ? 'i32' : 'i64';
          if (r(2)) emit(`${w}.const ${w === 'i32' ? pick(I32K) : pick(I64K)}`);
          else (w === 'i32' ? push32 : push64)(), st.pop();
          emit(`${w}.${pick(['store', 'store8', 'store16'])} offset=${pick([0, 2, 16])}`);
          st.pop();
          break;
        }
        case 14: { // if/else with a result, condition maybe a fused compare
          if (budget < 4 || depth > 3) break;
          need('i32', 1);
          emit('if (result i32)'); st.pop();
          const save = st.splice(0);
          depth++;
          body(budget >> 1, 'i32');
          depth--; emit('else'); depth++;
          body(budget >> 1, 'i32');
          depth--; emit('end');
          st.push(...save, 'i32');
          break;
        }
        case 15: { // block with a br_if carrying a value out
          if (budget < 4 || depth > 3) break;
          emit('block (result i32)');
          const save = st.splice(0);
          depth++;
          need('i32', 1);
          need('i32', 1); emit(`i32.const ${pick(I32K)}`); emit(`i32.${pick(CMP)}`);
          emit('br_if 0'); st.pop();
          emit('drop'); st.pop();
          body(budget >> 1, 'i32');
          depth--; emit('end');
          st.push(...save, 'i32');
          break;
        }
        case 16: { // a counted loop (local 5 is the counter, never written elsewhere)
          if (budget < 4 || depth > 2 || lines.some((l) => l.includes(';; loop'))) break;
          const save = st.splice(0);
          const bound = 10 + r(20), stepK = pick([1, 1, 2, 3]);
          const cmp = pick(['lt_s', 'lt_u', 'le_s']);
          emit(`i32.const ${r(12)}`); emit('local.set 5');
          // the bound as a constant (_I forms) or in local 9 (slot forms)
          const inLocal = r(2) === 1;
          if (inLocal) { emit(`i32.const ${bound}`); emit('local.set 9'); }
          const boundExpr = () => emit(inLocal ? 'local.get 9' : `i32.const ${bound}`);
          const shape = r(8);
          if (shape === 0) { // do-while: body, step, br_if back (ADDI_BR fusions)
            emit('loop ;; loop'); depth++;
            body(budget >> 1, null);
            emit('local.get 5'); emit(`i32.const ${stepK}`); emit('i32.add'); emit('local.tee 5');
            boundExpr(); emit(`i32.${cmp}`); emit('br_if 0');
            depth--; emit('end');
          } else if (shape === 1) { // while: the exit test first (head test duplicated at br)
            emit('block'); emit('loop ;; loop'); depth += 2;
            emit('local.get 5'); emit(`i32.const ${bound}`); emit(`i32.${pick(['ge_s', 'ge_u', 'gt_s'])}`);
            emit('br_if 1');
            body(budget >> 1, null);
            emit('local.get 5'); emit(`i32.const ${stepK}`); emit('i32.add'); emit('local.set 5');
            emit('br 0');
            depth -= 2; emit('end'); emit('end');
          } else if (shape === 2) { // sieve: mem[c + off] = k; c += step; while c < bound
            const off = pick([0, 3, 100]);
            emit('loop ;; loop'); depth++;
            emit('local.get 5'); emit(`i32.const ${pick([1, 0, 255, 7])}`); emit(`i32.store8 offset=${off}`);
            if (r(2)) { emit('local.get 5'); emit(`i32.const ${stepK}`); emit('i32.add'); emit('local.set 5'); }
            else { emit('local.get 5'); emit('local.get 1'); emit('i32.const 3'); emit('i32.and');
              emit('i32.const 1'); emit('i32.add'); emit('i32.add'); emit('local.set 5'); }
            emit('local.get 5'); boundExpr(); emit(`i32.${cmp}`); emit('br_if 0');
            depth--; emit('end');
          } else if (shape === 4) { // countdown: br_if on the tee'd counter (ADDI_BR_NEZ)
            emit(`i32.const ${1 + r(20)}`); emit('local.set 5');
            emit('loop ;; loop'); depth++;
            body(budget >> 1, null);
            emit('local.get 5'); emit('i32.const -1'); emit('i32.add'); emit('local.tee 5'); emit('br_if 0');
            depth--; emit('end');
          } else if (shape === 5) { // bound in a local, step in a local (ADD_BR, slot forms)
            emit('local.get 1'); emit('i32.const 3'); emit('i32.and'); emit('i32.const 1'); emit('i32.add');
            emit('local.set 8');
            emit('local.get 0'); emit('i32.const 31'); emit('i32.and'); emit('local.set 9');
            emit('loop ;; loop'); depth++;
            body(budget >> 1, null);
            emit('local.get 5'); emit('local.get 8'); emit('i32.add'); emit('local.set 5');
            emit('local.get 5'); emit('local.get 9'); emit(`i32.${cmp}`); emit('br_if 0');
            depth--; emit('end');
          } else if (shape === 6) { // an i64 counter (ADDI_BR_I64 forms), the bound maybe a local
            emit(`i64.const ${r(5)}`); emit('local.set 7');
            emit('loop ;; loop'); depth++;
            body(budget >> 1, null);
            emit('local.get 7'); emit(`i64.const ${stepK}`); emit('i64.add'); emit('local.set 7');
            emit('local.get 7');
            if (r(2)) emit(`i64.const ${bound}`); else { emit('local.get 2'); emit('i64.const 15'); emit('i64.and'); }
            emit(`i64.${pick(['lt_s', 'lt_u', 'le_s'])}`); emit('br_if 0');
            depth--; emit('end');
          } else if (shape === 7) { // a while loop testing memory (BR_LD*), also bounded by the counter
            const ld = pick(['i32.load8_u', 'i32.load']);
            emit('block'); emit('loop ;; loop'); depth += 2;
            emit('local.get 5'); emit(`${ld} offset=${pick([0, 1, 2, 5])}`);
            if (r(2)) emit('i32.eqz');
            emit('br_if 1');
            emit('local.get 5'); emit(`i32.const ${bound}`); emit('i32.ge_u'); emit('br_if 1');
            body(budget >> 2, null);
            emit('local.get 5'); emit(`i32.const ${stepK}`); emit('i32.add'); emit('local.set 5');
            emit('br 0');
            depth -= 2; emit('end'); emit('end');
          } else { // accumulate: acc += x; c += step; br_if c < bound
            emit('loop ;; loop'); depth++;
            if (r(2)) body(budget >> 2, null);
            emit('local.get 3'); emit(`local.get ${pick([0, 1, 4])}`); emit('i32.add'); emit('local.set 3');
            emit('local.get 5'); emit(`i32.const ${stepK}`); emit('i32.add'); emit('local.set 5');
            emit('local.get 5'); boundExpr(); emit(`i32.${cmp}`); emit('br_if 0');
            depth--; emit('end');
          }
          st.push(...save);
          break;
        }
        case 24: { // early return under pending values
          if (depth > 3) break;
          need('i32', 1);
          emit('if'); st.pop(); depth++;
          emit(`local.get ${pick([0, 1, 3])}`); emit(`i32.const ${pick(I32K)}`); emit('i32.sub'); emit('return');
          depth--; emit('end');
          break;
        }
        case 25: { // br_table, the index maybe a pending constant
          if (budget < 4 || depth > 2) break;
          const save = st.splice(0);
          const index = () => {
            if (r(3)) emit(`local.get ${pick([0, 1, 3])}`); else emit(`i32.const ${r(4)}`);
            emit('i32.const 3'); emit('i32.and');
          };
          if (r(2)) { // targets without values; one sets the result by a br past the other
            emit('block (result i32)'); emit('block'); emit('block'); depth += 3;
            index(); emit('br_table 0 1 0 1');
            depth--; emit('end'); emit(`i32.const ${pick(I32K)}`); emit('br 1');
            depth--; emit('end'); emit(`local.get ${pick([0, 1, 3])}`); emit('i32.const 5'); emit('i32.shl');
            depth--; emit('end');
          } else { // targets carrying a value, other values pending below it
            emit('block (result i32)'); emit('block (result i32)'); depth += 2;
            emit(`i32.const ${pick(I32K)}`); emit(`local.get ${pick([0, 1])}`);
            index(); emit('br_table 0 1 0');
            depth--; emit('end'); emit('i32.const 1'); emit('i32.add');
            depth--; emit('end');
          }
          st.push(...save, 'i32');
          break;
        }
        case 26: { // a value carried out of nested blocks past pending values (moves)
          if (budget < 4 || depth > 2) break;
          const save = st.splice(0);
          emit('block (result i32)'); depth++;
          need('i32', 2);
          emit('block (result i32)'); depth++;
          const inner = st.splice(0);
          need('i32', 1);
          emit(`local.get ${pick([0, 1])}`); emit('br_if 1'); // carries the top out two levels
          depth--; emit('end');
          st.splice(0); st.push(...inner, 'i32');
          emit('i32.add'); emit('i32.add'); st.splice(0);
          depth--; emit('end');
          st.push(...save, 'i32');
          break;
        }
        case 17: { // call an earlier function with arguments pending
          if (!funcs.length) break;
          const callee = r(funcs.length);
          need('i32', 2);
          if (r(2)) { emit(`i32.const ${pick(I32K)}`); emit('i32.add'); } // `f(a, b + k, ...)`
          need('i64', 1);
          // the last argument computed on the stack first (a value in its
          // slot, not a pending local.get), then `z + k` in place: the
          // compiler's fused call whose addition writes its own source
          if (r(2)) { emit(`i64.const ${pick(I64K)}`); emit('i64.xor'); }
          if (r(2)) { emit(`i64.const ${pick(I64K)}`); emit('i64.add'); } // the last argument `z + k`
          emit(`call ${callee}`);
          st.pop(); st.pop(); st.pop();
          st.push('i32');
          break;
        }
        case 18: { // select
          const t = top() || 'i32';
          need(t, 2); need('i32', 1);
          emit('select'); st.pop(); st.pop();
          break;
        }
        case 19: if (st.length) { emit('drop'); st.pop(); } break;
        case 20: { // conversions
          if (top() === 'i64') { emit('i32.wrap_i64'); st.pop(); st.push('i32'); }
          else if (top() === 'i32') { emit(pick(['i64.extend_i32_s', 'i64.extend_i32_u'])); st.pop(); st.push('i64'); }
          break;
        }
        case 21: { // float round trip through a pending constant
          need('i32', 1);
          emit('f64.convert_i32_s'); emit('f64.const 0.5'); emit('f64.mul');
          emit('i32.trunc_sat_f64_s'); // total: no trap
          break;
        }
        case 22: if (top() === 'i32') emit(pick(['i32.extend8_s', 'i32.extend16_s', 'i32.clz', 'i32.ctz'])); break;
        case 23: { // a bounded recursion: $rec32 / $rec64 (below) of a masked argument
          if (r(2)) { need('i32', 1); emit('i32.const 31'); emit('i32.and'); emit('call $rec32'); }
          else { need('i64', 1); emit('i64.const 31'); emit('i64.and'); emit('call $rec64'); st.pop(); st.push('i64'); }
          break;
        }
        default: { // a constant under a unary/binary chain
          need('i32', 1); emit(`i32.const ${pick(I32K)}`); emit('i32.add');
          break;
        }
      }
    }
    function body(budget, result) {
      const base = st.length;
      const n = 2 + r(Math.max(2, budget));
      for (let i = 0; i < n; i++) step(budget);
      // reduce to the result type
      while (st.length > base + (result ? 1 : 0)) { emit('drop'); st.pop(); }
      if (result && st.length === base) need('i32', 1);
      if (result && top() !== 'i32') { emit('i32.wrap_i64'); st.pop(); st.push('i32'); }
      if (result) st.pop();
    }
    body(24, 'i32');
    funcs.push(lines);
  }
  const out = ['(module', '  (memory (export "memory") 1)',
    '  (data (i32.const 0) "\\01\\00\\05\\ff\\00\\80\\7f\\10\\00\\00\\00\\03")',
    '  (type $t (func (param i32 i32 i64) (result i32)))'];
  funcs.forEach((lines, i) => {
    out.push(`  (func $f${i} (export "f${i}") (type $t) (local i32 i32 i32 i64 i64 i32 i32)`);
    out.push(...lines);
    out.push('  )');
  });
  // Recursions as fac-ssa of the spec suite writes them (d <= 31 deep, the
  // argument masked by the caller): the argument is computed on the stack,
  // then decremented in place as the recursive call's argument (a fused
  // call whose addition's destination is its source), and the value kept
  // under the call is added after it. In the tiered policies a callee's call
  // counter sends such a call to the interpreter mid-recursion, which must
  // not see the argument decremented twice.
  for (const [w, name] of [['i32', '$rec32'], ['i64', '$rec64']]) {
    out.push(`  (func ${name} (param ${w}) (result ${w})`,
      `    local.get 0  ${w}.const 0  ${w}.le_s`,
      `    if (result ${w})`,
      `      ${w}.const 1`,
      '    else',
      `      local.get 0`,
      `      local.get 0  ${w}.const 3  ${w}.mul  ${w}.const 3  ${w}.div_s`,
      `      ${w}.const -1  ${w}.add`,
      `      call ${name}`,
      `      ${w}.add`,
      '    end',
      '  )');
  }
  out.push(')');
  return out.join('\n') + '\n';
}

if (require.main === module) process.stdout.write(generate(Number(process.argv[2] || 1)));
module.exports = { generate };
