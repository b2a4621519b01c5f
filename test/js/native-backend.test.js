// The native tier's LLVM part is a file of its own, tova_llvm.so, which the
// addon opens beside itself on first use (src/engine/native/backend.h):
// found through a symlinked addon, named by TOVA_NATIVE_BACKEND, and when it
// is missing or not a backend, the addon still runs (interpreted) and says
// why. Each case runs in a fresh process: the backend is opened once.
import { describe, test, expect, beforeAll, afterAll } from 'bun:test';
import { spawnSync } from 'child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { tmpdir } from 'os';

const tova = require('../..');
const addon = tova.runtimePath();
const backend = join(dirname(addon), 'tova_llvm.so');
// Only a build with the native tier and a split backend has something to test.
const split = /tiers: interp, native/.test(tova.runtimeInfo()) && existsSync(backend);
let dir;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tova-backend-'));
  // Loads the addon from argv[2], runs a module with a loop (compiled when
  // the backend is there), prints runtimeInfo and the result.
  writeFileSync(join(dir, 'probe.js'), `
    const a = require(process.argv[2]);
    const { mathModule } = require(${JSON.stringify(join(__dirname, 'wasm-builder.js'))});
    a.execWasm(mathModule(), 'fib', [25]).then((r) => {
      console.log(JSON.stringify({ info: a.runtimeInfo(), fib: Number(r) }));
    }, (e) => { console.log(JSON.stringify({ info: a.runtimeInfo(), error: e.message })); });
  `);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probe(file, env = {}) {
  const r = spawnSync(process.execPath, [join(dir, 'probe.js'), file], {
    encoding: 'utf8', timeout: 30000, env: { ...process.env, TOVA_NATIVE_BACKEND: '', ...env },
  });
  if (r.status !== 0) throw new Error(`probe failed (${r.status} ${r.signal}): ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), stderr: r.stderr };
}

describe('the LLVM backend file', () => {
  test('beside the addon: the native tier is there', () => {
    if (!split) return;
    const out = probe(addon);
    expect(out.info).toMatch(/^tiers: interp, native \(LLVM \d+\.\d+\.\d+\)/);
    expect(out.fib).toBe(75025);
    expect(out.stderr).not.toContain('runs in the interpreter only');
  });

  test('a copy of the addon alone runs interpreted and says where it looked', () => {
    if (!split) return;
    const copy = join(dir, 'alone', 'tova_runtime.node');
    require('fs').mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(addon, copy);
    for (const tier of ['', 'native']) {
      const out = probe(copy, { TOVA_TIER: tier });
      expect(out.info).toContain('tiers: interp (native backend not loaded: no tova_llvm.so beside');
      expect(out.info).toContain(join(dir, 'alone'));
      expect(out.fib).toBe(75025);
      // said once, on the first compile that could not happen (under the
      // default tier the process may end before the compiler tries)
      const said = out.stderr.split('tova_runtime: WebAssembly runs in the interpreter only').length - 1;
      if (tier === 'native') expect(said).toBe(1);
      else expect(said).toBeLessThanOrEqual(1);
    }
    // nothing to say where nothing is compiled
    expect(probe(copy, { TOVA_TIER: 'interp' }).stderr).not.toContain('runs in the interpreter only');
  });

  test('a symlink to the addon finds the backend beside the real file', () => {
    if (!split) return;
    const link = join(dir, 'tova_runtime.node');
    symlinkSync(addon, link);
    const out = probe(link);
    expect(out.info).toMatch(/^tiers: interp, native/);
    expect(out.fib).toBe(75025);
  });

  test('TOVA_NATIVE_BACKEND names the file; a missing one or another library is refused', () => {
    if (!split) return;
    const copy = join(dir, 'named', 'tova_runtime.node');
    require('fs').mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(addon, copy);
    let out = probe(copy, { TOVA_NATIVE_BACKEND: backend });
    expect(out.info).toMatch(/^tiers: interp, native/);
    out = probe(copy, { TOVA_NATIVE_BACKEND: join(dir, 'nowhere.so') });
    expect(out.info).toContain('native backend not loaded');
    expect(out.info).toContain('nowhere.so');
    expect(out.fib).toBe(75025);
    out = probe(copy, { TOVA_NATIVE_BACKEND: addon }); // a shared object, not a backend
    expect(out.info).toContain('not a tova_runtime LLVM backend');
    expect(out.fib).toBe(75025);
  });

  test('two copies of the addon in one process: the backend serves the first, the second runs interpreted', () => {
    if (!split) return;
    const copies = ['one', 'two'].map((d) => join(dir, d, 'tova_runtime.node'));
    for (const c of copies) {
      require('fs').mkdirSync(dirname(c), { recursive: true });
      copyFileSync(addon, c);
    }
    writeFileSync(join(dir, 'two.js'), `
      const { mathModule } = require(${JSON.stringify(join(__dirname, 'wasm-builder.js'))});
      const [a, b] = ${JSON.stringify(copies)}.map((f) => require(f));
      (async () => {
        const ra = await a.execWasm(mathModule(), 'fib', [25]);
        const ia = a.runtimeInfo();
        const rb = await b.execWasm(mathModule(), 'fib', [25]);
        console.log(JSON.stringify({ a: ia, b: b.runtimeInfo(), fib: [Number(ra), Number(rb)] }));
      })();
    `);
    const r = spawnSync(process.execPath, [join(dir, 'two.js')], {
      encoding: 'utf8', timeout: 30000, env: { ...process.env, TOVA_NATIVE_BACKEND: backend, TOVA_TIER: 'native' },
    });
    if (r.status !== 0) throw new Error(`two copies failed (${r.status} ${r.signal}): ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    expect(out.a).toMatch(/^tiers: interp, native/);
    expect(out.b).toContain('it already serves another copy of tova_runtime in this process');
    expect(out.fib).toEqual([75025, 75025]);
  });
});
