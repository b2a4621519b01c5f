// The on-disk cache of native code (src/engine/native/cache.c), through the
// `tova` command: a second process links the first one's compiled code
// instead of compiling, gets the same results and traps, and a damaged,
// truncated or foreign entry is recompiled, never trusted.
import { describe, test, expect, beforeAll, afterAll, setDefaultTimeout } from 'bun:test';
import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, truncateSync, statSync, utimesSync, mkdirSync, existsSync, chmodSync } from 'fs';
import { join } from 'path';
import { tmpdir } from 'os';

const CLI = process.env.TOVA_CLI || join(__dirname, '..', '..', 'build', 'tova');
const hasNative = /native \(LLVM/.test(spawnSync(CLI, ['--version'], { encoding: 'utf8' }).stdout || '');
setDefaultTimeout(60000);

let dir, cache, mod;

// fib(n), a division that traps on zero, and a function that calls a helper
// (memory.grow) so that the cached code links to the runtime's symbols.
const WAT = `(module
  (memory 1)
  (func $fib (export "fib") (param $n i64) (result i64)
    (if (result i64) (i64.lt_s (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                     (call $fib (i64.sub (local.get $n) (i64.const 2)))))))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

function run(...args) {
  const env = { ...process.env, TOVA_CACHE_DIR: cache, TOVA_TIER: 'native', TOVA_NATIVE_DEBUG: '1' };
  const r = spawnSync(CLI, ['run', mod, '--invoke', ...args], { encoding: 'utf8', env, timeout: 30000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const entries = () => readdirSync(cache).filter((f) => f.endsWith('.o'));

// What the tests below build modules of: fib over i64 (recursive), and a
// loop summing n squares mod 1000003 over i32 or i64 (called once, it runs
// long: an OSR entry's unit).
const FIB_FUNC = `(func $fib (export "fib") (param $n i64) (result i64)
  (if (result i64) (i64.lt_s (local.get $n) (i64.const 2)) (then (local.get $n))
    (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                   (call $fib (i64.sub (local.get $n) (i64.const 2)))))))`;
const sumFunc = (t) => `(func (export "sum") (param $n ${t}) (result ${t}) (local $i ${t}) (local $acc ${t})
  (loop $l
    (local.set $acc (${t}.add (local.get $acc)
      (${t}.rem_u (${t}.mul (local.get $i) (local.get $i)) (${t}.const 1000003))))
    (local.set $i (${t}.add (local.get $i) (${t}.const 1)))
    (br_if $l (${t}.lt_s (local.get $i) (local.get $n))))
  (local.get $acc))`;
// A module of these functions, assembled into dir/<name>.wasm.
function assemble(name, ...funcs) {
  const w = join(dir, `${name}.wat`), out = join(dir, `${name}.wasm`);
  writeFileSync(w, `(module ${funcs.join('\n')})`);
  expect(spawnSync('wat2wasm', [w, '-o', out]).status).toBe(0);
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tova-cache-test-'));
  cache = join(dir, 'cache', 'nested'); // made by the runtime, levels and all
  const src = join(dir, 'm.wat');
  mod = join(dir, 'm.wasm');
  writeFileSync(src, WAT);
  const r = spawnSync('wat2wasm', [src, '-o', mod], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wat2wasm: ${r.stderr}`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasNative)('native code cached on disk', () => {
  test('the first process compiles and stores; the next links it and computes the same', () => {
    const first = run('fib', '25');
    expect(first.code).toBe(0);
    expect(first.out.trim()).toBe('75025');
    expect(first.err).toContain('optimise');
    expect(entries().length).toBe(1);
    const second = run('fib', '25');
    expect(second.out.trim()).toBe('75025');
    expect(second.err).toContain('from the cache');
    expect(second.err).not.toContain('optimise');
    // Traps and helper calls work in the cached code.
    const trap = run('div', '7', '0');
    expect(trap.code).toBe(1);
    expect(trap.err).toContain('integer divide by zero');
    expect(trap.err).toContain('from the cache');
    expect(run('div', '-9', '2').out.trim()).toBe('-4');
    expect(run('grow', '1').out.trim()).toBe('1');
  });

  test('a damaged or truncated entry is compiled again, and replaced', () => {
    const [name] = entries();
    const path = join(cache, name);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[bad.length - 100] ^= 0xff; // one flipped byte in the object
    writeFileSync(path, bad);
    const r = run('fib', '20');
    expect(r.out.trim()).toBe('6765');
    expect(r.err).toContain('optimise');
    expect(readFileSync(path).equals(good)).toBe(true); // the fresh code took its place
    truncateSync(path, 30);
    const t = run('fib', '21');
    expect(t.out.trim()).toBe('10946');
    expect(t.err).toContain('optimise');
    expect(run('fib', '22').err).toContain('from the cache');
  });

  test('another module, or the same module under other code generation options, is another entry', () => {
    const before = entries().length;
    const env = { ...process.env, TOVA_CACHE_DIR: cache, TOVA_TIER: 'native', TOVA_NATIVE_DEBUG: '1', TOVA_NATIVE_CG: '1' };
    const r = spawnSync(CLI, ['run', mod, '--invoke', 'fib', '10'], { encoding: 'utf8', env });
    expect(r.stdout.trim()).toBe('55');
    expect(r.stderr).toContain('optimise');
    expect(entries().length).toBe(before + 1);
  });

  test('the directory stays within TOVA_CACHE_MAX: the least recently used entries go first', () => {
    const small = join(dir, 'bounded');
    mkdirSync(small, { recursive: true });
    const runIn = (max, ...args) => {
      const env = { ...process.env, TOVA_CACHE_DIR: small, TOVA_TIER: 'native', TOVA_NATIVE_DEBUG: '1' };
      if (max) env.TOVA_CACHE_MAX = String(max);
      const r = spawnSync(CLI, ['run', mod, '--invoke', ...args], { encoding: 'utf8', env, timeout: 30000 });
      return { out: r.stdout, err: r.stderr };
    };
    const listed = () => readdirSync(small).filter((f) => f.endsWith('.o'));
    const old = new Date(Date.now() - 3 * 3600 * 1000);
    // Two entries of one module: the default options and TOVA_NATIVE_CG=1's.
    const first = runIn(0, 'fib', '10');
    expect(first.out.trim()).toBe('55');
    const [a] = listed();
    // That process stored two files (the unit, and this machine's target
    // text) and swept once, at its first store: a sweep reads every entry,
    // so later stores only add to what it counted (cache.c BOUNDED).
    expect(readdirSync(small).filter((f) => f.endsWith('.target')).length).toBe(1);
    expect(first.err.match(/the code cache swept/g)?.length).toBe(1);
    const size = statSync(join(small, a)).size;
    // A load marks the entry used: its time moves from three hours ago to now.
    utimesSync(join(small, a), old, old);
    expect(runIn(0, 'fib', '11').err).toContain('from the cache');
    expect(statSync(join(small, a)).mtimeMs).toBeGreaterThan(old.getTime() + 3600 * 1000);
    // A temporary file an hour old (a process died mid-store) goes at the next
    // store; a fresh one (a store in progress) stays.
    // (named as cache.c names them: <32 hex digits>.o.<pid>.<hex>.tmp)
    const stale = `${'a'.repeat(32)}.o.4194303.7ffc3a5b9e10.tmp`, fresh = `${'b'.repeat(32)}.o.4194304.7ffc3a5b9e10.tmp`;
    writeFileSync(join(small, stale), 'x');
    utimesSync(join(small, stale), old, old);
    writeFileSync(join(small, fresh), 'x');
    // Room for one entry and a half: storing a second entry removes the
    // least recently used one (a, made old again), keeps the new one.
    utimesSync(join(small, a), old, old);
    // (plus room for the remembered target texts, this machine's and the
    // one of TOVA_NATIVE_CG=1's: link.h; small, but as big as these units)
    const [target] = readdirSync(small).filter((f) => f.endsWith('.target'));
    const texts = 2 * statSync(join(small, target)).size;
    const env = { ...process.env, TOVA_CACHE_DIR: small, TOVA_TIER: 'native', TOVA_NATIVE_DEBUG: '1',
                  TOVA_NATIVE_CG: '1', TOVA_CACHE_MAX: String(Math.floor(size * 1.5 + texts)) };
    const r = spawnSync(CLI, ['run', mod, '--invoke', 'fib', '12'], { encoding: 'utf8', env, timeout: 30000 });
    expect(r.stdout.trim()).toBe('144');
    expect(r.stderr).toContain('optimise');
    const after = listed();
    expect(after.length).toBe(1);
    expect(after[0]).not.toBe(a);
    expect(existsSync(join(small, stale))).toBe(false);
    expect(existsSync(join(small, fresh))).toBe(true);
    // Without the bound (the default, 512M) both fit again.
    expect(runIn(0, 'fib', '13').err).toContain('optimise');
    expect(listed().length).toBe(2);
  });

  test('TOVA_CACHE_DIR empty: nothing is read or written', () => {
    const home = join(dir, 'home-none');
    mkdirSync(home);
    const env = { ...process.env, TOVA_TIER: 'native', TOVA_NATIVE_DEBUG: '1', TOVA_CACHE_DIR: '',
                  HOME: home, XDG_CACHE_HOME: join(home, 'xdg') };
    const before = entries().length;
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(CLI, ['run', mod, '--invoke', 'fib', '12'], { encoding: 'utf8', env });
      expect(r.stdout.trim()).toBe('144');
      expect(r.stderr).toContain('optimise');
    }
    expect(entries().length).toBe(before);
    expect(readdirSync(home)).toEqual([]);
  });

  // The tova command (as the Bun/Node package) keeps code in the user's
  // cache directory unless TOVA_CACHE_DIR says otherwise (tova.h
  // tova_set_code_cache), and only in a directory nobody else may write to.
  test('unset: the user cache directory ($XDG_CACHE_HOME, else ~/.cache), never a directory others may write', () => {
    const home = join(dir, 'home');
    mkdirSync(home);
    const env = { ...process.env, TOVA_TIER: 'native', TOVA_NATIVE_DEBUG: '1', HOME: home };
    delete env.TOVA_CACHE_DIR;
    delete env.XDG_CACHE_HOME;
    const once = (e) => spawnSync(CLI, ['run', mod, '--invoke', 'fib', '12'], { encoding: 'utf8', env: e });
    const user = join(home, process.platform === 'darwin' ? 'Library/Caches' : '.cache', 'tova_runtime');
    expect(once(env).stderr).toContain('optimise');
    expect(readdirSync(user).filter((f) => f.endsWith('.o')).length).toBe(1);
    expect(statSync(user).mode & 0o777).toBe(0o700);
    const again = once(env);
    expect(again.stdout.trim()).toBe('144');
    expect(again.stderr).toContain('from the cache');
    // XDG_CACHE_HOME first (an absolute one)
    const xdg = join(dir, 'xdg');
    expect(once({ ...env, XDG_CACHE_HOME: xdg }).stderr).toContain('optimise');
    expect(readdirSync(join(xdg, 'tova_runtime')).filter((f) => f.endsWith('.o')).length).toBe(1);
    // A directory others may write to is not trusted: nothing read or written.
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const o = once({ ...env, TOVA_CACHE_DIR: open });
    expect(o.stdout.trim()).toBe('144');
    expect(readdirSync(open)).toEqual([]);
  });
  // The tiered modes (the default): which units a run compiles depends on
  // when its functions turned hot, so a run lists the cached units it
  // compiled, in order (src/engine/native/manifest.h), and the next process
  // links them from the cache before anything runs hot.
  test('a tiered run lists its units; the next process links them at once, and a stale list costs nothing', () => {
    const c = join(dir, 'replay');
    // A loop called once (an OSR entry's unit) beside a recursive function.
    const lp = assemble('loop', FIB_FUNC, sumFunc('i64'));
    const tiered = (...args) => {
      const env = { ...process.env, TOVA_CACHE_DIR: c, TOVA_NATIVE_DEBUG: '1' };
      delete env.TOVA_TIER;
      const r = spawnSync(CLI, ['run', lp, '--invoke', ...args], { encoding: 'utf8', env, timeout: 60000 });
      return { out: r.stdout.trim(), err: r.stderr };
    };
    const linked = (err) => /(\d+) of the (\d+) units of the module's last run linked from the cache/.exec(err);
    // Long enough, interpreted, for the background compiler to finish.
    const first = tiered('sum', '40000000');
    expect(first.out).toBe('19995899404300');
    expect(first.err).toContain('optimise');
    expect(linked(first.err)).toBe(null); // nothing listed yet
    const second = tiered('sum', '40000000');
    expect(second.out).toBe('19995899404300');
    const m = linked(second.err);
    expect(m).not.toBe(null);
    expect(Number(m[1])).toBeGreaterThan(0);
    expect(m[1]).toBe(m[2]);
    expect(second.err).toContain('OSR entry of function 1 ready'); // the loop's entry, linked
    expect(second.err).not.toContain('optimise'); // nothing compiled
    // The recursive function was in the module's unit: native from the start.
    expect(tiered('fib', '30').out).toBe('832040');
    // Units gone from the cache (evicted) while the list stays: the replay
    // stops at the first missing one and the run compiles as usual.
    expect(readdirSync(c).filter((f) => f.endsWith('.list')).length).toBe(1); // the module's list
    for (const f of readdirSync(c)) if (f.endsWith('.o')) rmSync(join(c, f));
    // (120M squares: long enough, even on a loaded machine, that the loop's
    // compile lands before the call ends; Node's WebAssembly gives the sum)
    const stale = tiered('sum', '120000000');
    expect(stale.out).toBe('59987684345700');
    expect(linked(stale.err)[1]).toBe('0');
    expect(stale.err).toContain('optimise');
    // ... and lists what it compiled instead, for the next run.
    const again = linked(tiered('sum', '120000000').err);
    expect(Number(again[1])).toBeGreaterThan(0);
    expect(again[1]).toBe(again[2]);
    // A TOVA_TIER=native run lists nothing: its code was made for another
    // layout of the interpreter's cells (no loop counters), which a tiered
    // run must not link (the next test).
    rmSync(c, { recursive: true });
    const env = { ...process.env, TOVA_CACHE_DIR: c, TOVA_TIER: 'native', TOVA_NATIVE_DEBUG: '1' };
    const ahead = spawnSync(CLI, ['run', lp, '--invoke', 'fib', '20'], { encoding: 'utf8', env });
    expect(ahead.stdout.trim()).toBe('6765');
    expect(readdirSync(c).filter((f) => f.endsWith('.list'))).toEqual([]);
    const later = tiered('sum', '120000000');
    expect(later.out).toBe('59987684345700');
    expect(later.err).toContain('optimise');
  });

  // Native code leaves for the interpreter at offsets into the
  // interpreter's cells, whose layout depends on the tier (the tiered modes
  // put loop counters in: compile.h LOOP_HEAD). A unit compiled under the
  // default tier, linked by a TOVA_TIER=native process over the same cache,
  // resumed parked calls at wrong cells (CI, session 32: wasi.test.js's
  // sleeping program summed wrong); the key now says which layout.
  test('a program whose units are all in the cache links them itself: LLVM is never loaded', () => {
    // The addon, as Tova loads it. The units come from the cache; the key's
    // target text (LLVM's description of this CPU) is remembered beside them
    // (src/engine/native/link.h), so nothing needs LLVM. Our own linker
    // knows ELF x86-64 objects; elsewhere LLVM links them (and is loaded).
    const c = join(dir, 'no-llvm');
    const wasm = assemble('sum32', sumFunc('i32')), probe = join(dir, 'probe.js');
    writeFileSync(probe, `const fs = require('fs');
      const tova = require(${JSON.stringify(join(__dirname, '..', '..'))});
      Promise.resolve(tova.execWasm(fs.readFileSync(${JSON.stringify(wasm)}), 'sum', [40000000])).then((v) => {
        const maps = fs.existsSync('/proc/self/maps') ? fs.readFileSync('/proc/self/maps', 'utf8') : null;
        console.log(JSON.stringify({ v: String(v), llvm: maps === null ? null : maps.includes('tova_llvm') }));
      });`);
    const runProbe = () => {
      const env = { ...process.env, TOVA_CACHE_DIR: c, TOVA_NATIVE_DEBUG: '1' };
      delete env.TOVA_TIER;
      const r = spawnSync(process.execPath, [probe], { encoding: 'utf8', env, timeout: 60000 });
      expect(r.status).toBe(0);
      return { ...JSON.parse(r.stdout.trim().split('\n').pop()), err: r.stderr };
    };
    const first = runProbe(); // compiles the loop's OSR entry (and the module's unit, if in time)
    expect(first.v).toBe('1933684410');
    expect(first.err).toContain('optimise');
    expect(readdirSync(c).filter((f) => f.endsWith('.target')).length).toBe(1);
    // Runs until one compiles nothing (a process may exit before its
    // module's unit is compiled; the next one compiles it and lists it).
    let second = null;
    for (let i = 0; i < 5 && !second; i++) {
      const r = runProbe();
      expect(r.v).toBe('1933684410');
      if (!r.err.includes('optimise')) second = r;
    }
    expect(second).not.toBe(null);
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(second.err).toContain('linked without LLVM');
      expect(second.llvm).toBe(false);
    }
    // The remembered text gone: LLVM is loaded to say it again, and the
    // units are still found (the same key), and linked by our linker.
    for (const f of readdirSync(c)) if (f.endsWith('.target')) rmSync(join(c, f));
    const third = runProbe();
    expect(third.v).toBe('1933684410');
    expect(third.err).not.toContain('optimise');
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(third.llvm).toBe(true);
      expect(third.err).toContain('linked without LLVM');
    }
    expect(readdirSync(c).filter((f) => f.endsWith('.target')).length).toBe(1);
  });

  test('compiled ahead (tova compile, precompileWasm): later runs compile nothing', () => {
    const c = join(dir, 'ahead');
    // A loop that runs long in the first call, and a recursive function.
    const wasm = assemble('ahead', FIB_FUNC, sumFunc('i32'));
    const env = { ...process.env, TOVA_CACHE_DIR: c, TOVA_NATIVE_DEBUG: '1' };
    delete env.TOVA_TIER;
    const compile = () => spawnSync(CLI, ['compile', wasm], { encoding: 'utf8', env });
    const made = compile();
    expect(made.status).toBe(0);
    // the module's unit and the loop's entry
    expect(made.stdout).toMatch(/ahead\.wasm: 2 units of native code in the code cache/);
    const again = compile(); // all there already: linked, nothing compiled
    expect(again.stdout).toMatch(/ahead\.wasm: 2 units of native code in the code cache/);
    expect(again.stderr).not.toContain('optimise');
    // Each call runs long enough interpreted (0.1-0.2 s) that the cache's
    // units, linked on the compiler thread as the module is compiled, are
    // surely there before it ends, also on a loaded machine: a 20 ms fib(27)
    // once ended first in CI (the link is asynchronous by design: a first
    // call never waits for it).
    for (const [fn, arg, want] of [['sum', '100000000', '-1825597176'], ['fib', '32', '2178309']]) {
      const r = spawnSync(CLI, ['run', wasm, '--invoke', fn, arg], { encoding: 'utf8', env });
      expect(r.stdout.trim()).toBe(want);
      expect(r.stderr).not.toContain('optimise'); // nothing compiled
      expect(r.stderr).toMatch(/units of the module's last run linked from the cache/);
      if (process.platform === 'linux' && process.arch === 'x64') expect(r.stderr).toContain('linked without LLVM');
    }
    // Without a cache, or under another policy, it says why and fails.
    const none = spawnSync(CLI, ['compile', wasm], { encoding: 'utf8', env: { ...env, TOVA_CACHE_DIR: '' } });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no code cache');
    // The same from JS: precompileWasm, in a process of its own (the cache
    // directory is fixed at the first compile).
    const js = join(dir, 'ahead.js'), c2 = join(dir, 'ahead-js');
    writeFileSync(js, `const t = require(${JSON.stringify(join(__dirname, '..', '..'))});
      const b = require('fs').readFileSync(${JSON.stringify(wasm)});
      console.log(t.precompileWasm(b), t.precompileWasm(t.compile(b)));`);
    const r = spawnSync(process.execPath, [js], { encoding: 'utf8', env: { ...env, TOVA_CACHE_DIR: c2 } });
    expect(r.status).toBe(0);
    const [n1, n2] = r.stdout.trim().split(' ').map(Number);
    expect(n1).toBe(2);
    expect(n2).toBe(2);
    expect(readdirSync(c2).filter((f) => f.endsWith('.list')).length).toBe(1);
  });

  test('code compiled for one interpreter layout is never linked under another', () => {
    const c = join(dir, 'layouts');
    const wasiTest = join(__dirname, 'wasi.test.js');
    // The default layout's units, compiled ahead: a tiered run may end
    // before its own compile lands (a loaded machine), and then the cache
    // would hold one layout only and test nothing.
    const nap = join(dir, 'nap.wasm');
    expect(spawnSync('wat2wasm', [join(__dirname, 'fixtures', 'wasi-nap.wat'), '-o', nap]).status).toBe(0);
    const ahead = spawnSync(CLI, ['compile', nap], { encoding: 'utf8', env: { ...process.env, TOVA_CACHE_DIR: c } });
    expect(ahead.stdout).toContain('2 units of native code');
    const objects = () => readdirSync(c).filter((f) => f.endsWith('.o')).length;
    expect(objects()).toBe(2);
    for (const tier of ['native', 'auto', 'native', 'auto']) {
      const env = { ...process.env, TOVA_CACHE_DIR: c, TOVA_TIER: tier };
      const r = spawnSync(process.execPath, ['test', wasiTest, '-t', 'nested calls sleep'],
        { encoding: 'utf8', env, timeout: 60000 });
      expect(`${tier}: ${r.status} ${/\d+ fail/.exec(r.stderr)}`).toBe(`${tier}: 0 0 fail`);
    }
    // A native run compiles its module synchronously, for its own layout,
    // beside the default layout's two.
    expect(objects()).toBeGreaterThan(2);
  });

  // TOVA_NATIVE_PERFMAP (src/engine/native/perfmap.c): where each linked
  // function landed, for `perf report`, whether compiled or from the cache.
  test('TOVA_NATIVE_PERFMAP writes /tmp/perf-<pid>.map with every function of the unit', () => {
    for (const source of ['compiled', 'from the cache']) {
      const env = { ...process.env, TOVA_TIER: 'native', TOVA_NATIVE_PERFMAP: '1' };
      if (source === 'compiled') delete env.TOVA_CACHE_DIR; else env.TOVA_CACHE_DIR = cache;
      const r = spawnSync(CLI, ['run', mod, '--invoke', 'fib', '15'], { encoding: 'utf8', env });
      expect(r.stdout.trim()).toBe('610');
      const path = `/tmp/perf-${r.pid}.map`;
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      rmSync(path);
      const fns = lines.map((l) => {
        const [addr, size, name] = l.split(' ');
        return { start: BigInt('0x' + addr), size: BigInt('0x' + size), name };
      });
      const names = fns.map((f) => f.name);
      // The entries of fib, div and grow from the interpreter, and fib's body
      // (called by itself; the other two bodies are inlined in their entries).
      for (const n of ['wasm_f0', 'tova_entry_0', 'tova_entry_1', 'tova_entry_2'])
        expect(names).toContain(n);
      fns.sort((a, b) => (a.start < b.start ? -1 : 1));
      for (let i = 0; i < fns.length; i++) {
        expect(fns[i].size > 0n).toBe(true);
        if (i > 0) expect(fns[i - 1].start + fns[i - 1].size <= fns[i].start).toBe(true);
      }
    }
    // Off unless asked.
    const env = { ...process.env, TOVA_TIER: 'native' };
    delete env.TOVA_NATIVE_PERFMAP;
    const r = spawnSync(CLI, ['run', mod, '--invoke', 'fib', '15'], { encoding: 'utf8', env });
    expect(r.stdout.trim()).toBe('610');
    expect(existsSync(`/tmp/perf-${r.pid}.map`)).toBe(false);
  });
});
