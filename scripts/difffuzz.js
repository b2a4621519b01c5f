#!/usr/bin/env node
// Differential fuzzing of the engine against Node's WebAssembly
// (test/diff/README.md). Usage:
//   node scripts/difffuzz.js N [SEED]      N modules from `wasm-opt -ttf` over
//                                          bytes drawn from SEED (default 1)
//   node scripts/difffuzz.js --dir DIR     every DIR/*.wasm (e.g. clang output)
//   node scripts/difffuzz.js --regressions test/diff/regressions/*.wasm
//   node scripts/difffuzz.js --c-programs  test/diff/c/*.c compiled by clang
//                                          (wasm32, no libc) at several -O levels
//   node scripts/difffuzz.js --check FILE  prints "mismatch" or "same" (the
//                                          test command given to wasm-reduce)
// Options: --bin PATH (diff_run; default build/diff_run, built if absent),
//   --no-reduce (keep mismatching modules unminimized), --keep-going,
//   --timeout-ms N (per call, tova side; default 2000),
//   --interrupt N|random (the Nth import call of every exported call, or a
//   random one per module from 1 to 4, interrupts its own execution: the
//   run under the environment's TOVA_TIER is compared with the interpreter's,
//   not with Node, which has no such stop; test/diff/README.md).
// Exit status: 0 when every compared module agrees, 1 on any mismatch.
// A mismatching module is saved as fuzz-crashes/diff-<seed>-<i>.wasm and
// minimized with wasm-reduce into test/diff/regressions/ (commit it with the fix).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const { generate: genStack } = require('../test/diff/gen_stack.js');
// Features of the generated modules: everything Node 20 runs without flags
// except reference types (binaryen 108 writes them in a form V8 rejects) and
// SIMD (the engine does not run it).
const FEATURES = ['--enable-sign-ext', '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int', '--enable-bulk-memory', '--enable-multivalue'];

// Passes run after -ttf, by module index (i % 3 === 2 never comes here).
const OPT_FLAVORS = [[], ['-O2'], [], ['-O3'], ['-Os'], [], ['--flatten', '--rereloop', '-O1'], []];

const opts = { bin: path.join(root, 'build', 'diff_run'), reduce: true, keepGoing: false,
  timeoutMs: 2000, mode: 'random', n: 0, seed: 1, files: [], interrupt: null };
{
  const a = process.argv.slice(2);
  const pos = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--bin') opts.bin = path.resolve(a[++i]);
    else if (a[i] === '--no-reduce') opts.reduce = false;
    else if (a[i] === '--keep-going') opts.keepGoing = true;
    else if (a[i] === '--timeout-ms') opts.timeoutMs = Number(a[++i]);
    else if (a[i] === '--interrupt') {
      const v = a[++i];
      opts.interrupt = v === 'random' ? 'random' : Number(v);
      if (v !== 'random' && !(opts.interrupt >= 1)) { console.error('difffuzz: --interrupt N (N >= 1) or random'); process.exit(2); }
    }
    else if (a[i] === '--dir') { opts.mode = 'files'; opts.dir = a[++i]; }
    else if (a[i] === '--regressions') {
      opts.mode = 'files'; opts.reduce = false; opts.keepGoing = true; opts.regressions = true;
    }
    else if (a[i] === '--c-programs') { opts.mode = 'files'; opts.cPrograms = true; }
    else if (a[i] === '--check') { opts.mode = 'check'; opts.files.push(a[++i]); }
    else if (a[i].startsWith('-')) { console.error(`difffuzz: unknown option ${a[i]}`); process.exit(2); }
    else pos.push(a[i]);
  }
  if (opts.mode === 'random') {
    opts.n = Number(pos[0] || 0);
    opts.seed = Number(pos[1] || 1);
    if (!(opts.n > 0)) { console.error('usage: difffuzz.js N [SEED] | --dir DIR | --regressions FILES | --check FILE'); process.exit(2); }
  } else if (opts.mode === 'files') {
    if (opts.dir) for (const f of fs.readdirSync(opts.dir).sort()) if (f.endsWith('.wasm')) opts.files.push(path.join(opts.dir, f));
    opts.files.push(...pos);
    if (opts.regressions && !pos.length) {
      const dir = path.join(root, 'test', 'diff', 'regressions');
      for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.wasm')) opts.files.push(path.join(dir, f));
    }
  }
}

function ensureBin() {
  if (fs.existsSync(opts.bin)) return;
  const build = path.dirname(opts.bin);
  const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0;
  if (!fs.existsSync(path.join(build, 'CMakeCache.txt')) &&
      !run('cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DTOVA_BUILD_ADDON=OFF'])) process.exit(2);
  if (!run('cmake', ['--build', build, '--target', 'diff_run', '--parallel', '2'])) process.exit(2);
}

function lines(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, maxBuffer: 64 << 20, env });
  if (r.error || r.status !== 0) return null; // crashed or hung: reported by the caller
  return r.stdout.split('\n').filter((l) => l.length);
}

// The reference run of one module: Node's lines, or under --interrupt the
// interpreter's (diff_run with TOVA_TIER=interp); null when it failed.
function reference(file, interruptAt) {
  if (!interruptAt) return lines(process.execPath, [path.join(root, 'test', 'diff', 'node_run.js'), file]);
  const env = { ...process.env, TOVA_TIER: 'interp', TOVA_DIFF_INTERRUPT: String(interruptAt) };
  return lines(opts.bin, ['--timeout-ms', String(opts.timeoutMs), file], env);
}

// Compare the two runs of one module: returns { skip } or { diffs: [...] }.
// interruptAt: see --interrupt (0: none, compared with Node).
function compare(file, interruptAt = 0) {
  const peer = interruptAt ? 'interp' : 'node';
  const n = reference(file, interruptAt);
  if (!n) return { skip: `${peer} failed or hung` };
  if (n[0] !== 'compile ok') return { skip: `${peer} rejects the module` };
  if (n[1] === 'imports unsupported') return { skip: 'imports unsupported' };
  const env = interruptAt ? { ...process.env, TOVA_DIFF_INTERRUPT: String(interruptAt) } : process.env;
  const t = lines(opts.bin, ['--timeout-ms', String(opts.timeoutMs), file], env);
  if (!t) return { diffs: ['diff_run crashed or hung'] };
  const diffs = [];
  const timedOut = new Set();
  for (const l of [...t, ...(interruptAt ? n : [])]) { // the interpreter may time out too
    const m = /^call (\S+) \d+ timeout/.exec(l);
    if (m) timedOut.add(m[1]);
  }
  if (t.length !== n.length) diffs.push(`line count: tova ${t.length}, ${peer} ${n.length}`);
  for (let i = 0; i < Math.min(t.length, n.length); i++) {
    if (t[i] === n[i]) continue;
    const m = /^call (\S+) /.exec(t[i]);
    if (m && timedOut.has(m[1])) continue;
    diffs.push(`tova: ${t[i]}\n${peer}: ${n[i]}`);
  }
  return { diffs, timeouts: timedOut.size };
}

// The import call that interrupts (--interrupt) for module i of the run.
function interruptAt(i) {
  if (opts.interrupt === null) return 0;
  if (opts.interrupt !== 'random') return opts.interrupt;
  return 1 + ((Math.imul(opts.seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) >>> 0) % 4;
}

// A mismatch may come only from NaN bits, which the spec leaves open (an
// arithmetic NaN's sign and payload). Results print every NaN as "nan", so
// a NaN's bits reach the output only where an instruction reads them:
// reinterpret (an integer result), a float store (the memory hash) and
// copysign (the sign of its second operand). canonNaNs rewrites the module
// so that the value each of these reads goes first through a function that
// turns any NaN into the canonical one; if tova and the peer then agree, the
// mismatch was NaN bits only and is not counted. Everything else, the
// comparisons and branches on NaNs above all, runs unchanged: binaryen's
// --denan, used before, made every NaN 0 where it arose, so a wrong NaN
// comparison could pass as "NaN bits only".
const NAN_READERS = /^(\s*)(f32\.store|f64\.store|i32\.reinterpret_f32|i64\.reinterpret_f64|f32\.copysign|f64\.copysign)\b/;
const CANON = {
  f32: '(func $__tova_canon_f32 (param f32) (result f32) local.get 0 local.get 0 f32.ne ' +
    'if (result f32) f32.const nan else local.get 0 end)',
  f64: '(func $__tova_canon_f64 (param f64) (result f64) local.get 0 local.get 0 f64.ne ' +
    'if (result f64) f64.const nan else local.get 0 end)',
};
// The rewritten module ({ file, rewritten: how many reads }; no file when
// nothing reads a NaN's bits), or null when wabt cannot round-trip it. The
// two functions go last in the index space and their types last in the type
// section, so no index the module uses moves.
function canonNaNs(file) {
  const w = spawnSync('wasm2wat', [file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (w.status !== 0) return null;
  const out = [];
  let n = 0;
  for (const line of w.stdout.split('\n')) {
    const m = NAN_READERS.exec(line);
    if (m) { out.push(`${m[1]}call $__tova_canon_${m[2].includes('64') ? 'f64' : 'f32'}`); n++; }
    out.push(line);
  }
  if (n === 0) return { file: null, rewritten: 0 }; // nothing to rewrite
  // the module's last field ends with the module's own ")": the functions
  // go before that one
  const text = out.join('\n').trimEnd();
  if (!text.endsWith(')')) return null;
  const wat = file.replace(/(\.wasm)?$/, '.canon.wat'), d = file.replace(/(\.wasm)?$/, '.canon.wasm');
  fs.writeFileSync(wat, `${text.slice(0, -1)}\n  ${CANON.f32}\n  ${CANON.f64})\n`);
  const g = spawnSync('wat2wasm', [wat, '-o', d], { encoding: 'utf8' });
  fs.rmSync(wat, { force: true });
  return g.status === 0 ? { file: d, rewritten: n } : null;
}
function nanOnly(file, at = 0) {
  const c = canonNaNs(file);
  // none, or no instruction reads a NaN's bits: the difference is not NaN bits
  if (!c || !c.rewritten) return false;
  const r = compare(c.file, at);
  fs.rmSync(c.file, { force: true });
  return !r.skip && r.diffs.length === 0;
}

// xorshift32 stream: the bytes binaryen turns into a module.
function randomBytes(seed, i) {
  let s = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  for (let k = 0; k < 8; k++) next();
  const len = 1024 + (next() % 7168);
  const b = Buffer.alloc(len);
  for (let k = 0; k < len; k++) b[k] = next() & 0xff;
  return b;
}

function reduce(file, name, at) {
  const out = path.join(root, 'test', 'diff', 'regressions', name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const work = path.join(root, 'fuzz-crashes', 'reduce-' + process.pid);
  fs.mkdirSync(work, { recursive: true });
  const t = path.join(work, 't.wasm'), w = path.join(work, 'w.wasm');
  const cmd = `${process.execPath} ${__filename} --bin ${opts.bin}${at ? ` --interrupt ${at}` : ''} --check ${t}`;
  // -b: where wasm-reduce finds wasm-opt (it runs it on every candidate)
  const binDir = path.dirname(spawnSync('sh', ['-c', 'command -v wasm-opt'], { encoding: 'utf8' }).stdout.trim());
  const r = spawnSync('wasm-reduce', [file, `--command=${cmd}`, '-t', t, '-w', w, '-b', binDir + '/',
    ...FEATURES],
    { cwd: work, encoding: 'utf8', timeout: 600000 });
  if (r.status === 0 && fs.existsSync(w)) {
    fs.copyFileSync(w, out);
    console.log(`  minimized: ${path.relative(root, out)} (${fs.statSync(out).size} bytes)`);
  } else {
    console.log(`  wasm-reduce failed (${r.status}): keeping ${file}`);
  }
  fs.rmSync(work, { recursive: true, force: true });
}

// test/diff/c/*.c -> <tmp>/<name>-O<level>.wasm (SIMD-free: no -msimd128).
function compileCPrograms(tmp) {
  const dir = path.join(root, 'test', 'diff', 'c');
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.c')) continue;
    for (const o of ['-O0', '-O1', '-O2', '-Os']) {
      const out = path.join(tmp, f.replace(/\.c$/, '') + o + '.wasm');
      const r = spawnSync('clang', ['--target=wasm32', '-nostdlib', o, '-Wl,--no-entry',
        '-Wl,--export-dynamic', '-o', out, path.join(dir, f)], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.error(`difffuzz: clang failed on ${f} ${o}:\n${r.stderr || r.error}`);
        process.exit(2);
      }
      opts.files.push(out);
    }
  }
}

// Module i of this seed into `file`. Every third module comes from
// test/diff/gen_stack.js (stack shapes aimed at the compiler), the others
// from binaryen; of those, one in two is also optimized: binaryen's raw output
// is expression trees, optimized code (locals, folded constants, loops) is
// what compiled programs look like and reaches other compiler paths.
function generate(i, input, file) {
  if (i % 3 === 2) {
    const wat = file.replace(/\.wasm$/, '.wat');
    fs.writeFileSync(wat, genStack((opts.seed * 100003 + i) >>> 0));
    return spawnSync('wat2wasm', [wat, '-o', file], { encoding: 'utf8' }).status === 0;
  }
  fs.writeFileSync(input, randomBytes(opts.seed, i));
  const flavor = OPT_FLAVORS[i % OPT_FLAVORS.length];
  return spawnSync('wasm-opt', [input, '-ttf', '-o', file, ...FEATURES, ...flavor],
    { encoding: 'utf8' }).status === 0;
}

function main() {
  ensureBin();
  if (opts.mode === 'check') {
    const at = interruptAt(0);
    const r = compare(opts.files[0], at);
    console.log(r.diffs && r.diffs.length && !nanOnly(opts.files[0], at) ? 'mismatch' : 'same');
    return 0;
  }
  let ran = 0, skipped = 0, bad = 0, timeouts = 0, nanDiffs = 0;
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(require('os').tmpdir(), 'difffuzz-'));
  if (opts.cPrograms) compileCPrograms(tmp);
  const items = opts.mode === 'files' ? opts.files.map((f) => ({ file: f, name: path.basename(f) }))
    : Array.from({ length: opts.n }, (_, i) => ({ i }));
  for (const it of items) {
    let file = it.file;
    if (file === undefined) {
      const input = path.join(tmp, 'in.bin');
      file = path.join(tmp, 'm.wasm');
      fs.writeFileSync(input, randomBytes(opts.seed, it.i));
      it.name = `diff-${opts.seed}-${it.i}.wasm`;
      if (!generate(it.i, input, file)) { skipped++; continue; }
    }
    const at = interruptAt(it.i !== undefined ? it.i : items.indexOf(it));
    const r = compare(file, at);
    if (items.length >= 1000 && (ran + skipped) % 500 === 499) // long offline runs: a sign of life
      console.error(`difffuzz: ${ran + skipped + 1} of ${items.length}, ${bad} mismatching so far`);
    if (r.skip) { skipped++; continue; }
    ran++;
    timeouts += r.timeouts || 0;
    if (!r.diffs.length) continue;
    if (nanOnly(file, at)) { // named, so that a campaign's can be looked at again
      nanDiffs++;
      console.log(`NaN bits only: ${it.name}${at ? ` (--interrupt ${at})` : ''}`);
      continue;
    }
    bad++;
    fs.mkdirSync(path.join(root, 'fuzz-crashes'), { recursive: true });
    const saved = path.join(root, 'fuzz-crashes', it.name);
    if (path.resolve(file) !== path.resolve(saved)) fs.copyFileSync(file, saved);
    console.log(`MISMATCH ${it.name}${at ? ` (--interrupt ${at})` : ''}: saved ${path.relative(root, saved)}`);
    for (const d of r.diffs.slice(0, 4)) console.log('  ' + d.replace(/\n/g, '\n  '));
    if (opts.reduce) reduce(saved, it.name, at);
    if (!opts.keepGoing) break;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`difffuzz: ${ran} modules compared, ${bad} mismatching, ${nanDiffs} differing in ` +
    `NaN bits only, ${skipped} skipped, ${timeouts} exports timed out, ${secs}s`);
  return bad ? 1 : 0;
}

process.exit(main());
