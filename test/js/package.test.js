// The package layout: which prebuilt addon fits the running process, and the
// loader's order (build/ first, then prebuilds/<platform>-<arch>/). Runs a
// copy of index.js + lib/ in a temp dir, in a subprocess. The full check
// (npm pack, install with npm and Bun, run under Node and Bun) is
// scripts/pack-test.sh.
import { describe, test, expect, beforeAll, afterAll } from 'bun:test';
import { spawnSync } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { tmpdir } from 'os';

const tova = require('../..');
const prebuilds = require('../../lib/prebuilds.js');
const ROOT = join(__dirname, '..', '..');
let dir;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tova-package-'));
  copyFileSync(join(ROOT, 'index.js'), join(dir, 'index.js'));
  mkdirSync(join(dir, 'lib'));
  copyFileSync(join(ROOT, 'lib', 'prebuilds.js'), join(dir, 'lib', 'prebuilds.js'));
  writeFileSync(join(dir, 'probe.js'),
    "const b = require('./index.js'); console.log(JSON.stringify({ ok: b.isRuntimeAvailable(), " +
    "from: b.runtimePath(), err: b.runtimeLoadError(), health: b.isRuntimeAvailable() && b.healthCheck(), " +
    "info: b.isRuntimeAvailable() && b.runtimeInfo() }));");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probe() {
  const r = spawnSync(process.execPath, ['probe.js'], {
    cwd: dir, encoding: 'utf8', timeout: 10000, env: { ...process.env, HOME: dir, TOVA_RUNTIME_PATH: '' },
  });
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

describe('prebuilds', () => {
  test('matchingAddons: napi files of this platform, this libc first-class, others never', () => {
    const pdir = prebuilds.prebuildDir(dir);
    mkdirSync(pdir, { recursive: true });
    const other = prebuilds.libc() === 'musl' ? 'glibc' : 'musl';
    for (const f of ['tova_runtime.napi.node', `tova_runtime.napi.${other}.node`, 'tova_runtime.abi115.node',
      'README.txt', 'tova']) writeFileSync(join(pdir, f), 'x');
    if (prebuilds.libc()) writeFileSync(join(pdir, `tova_runtime.napi.${prebuilds.libc()}.node`), 'x');
    const names = prebuilds.matchingAddons(dir).map((p) => p.slice(pdir.length + 1));
    const expected = prebuilds.libc()
      ? [`tova_runtime.napi.${prebuilds.libc()}.node`, 'tova_runtime.napi.node']
      : ['tova_runtime.napi.node'];
    expect(names).toEqual(expected);
    rmSync(join(dir, 'prebuilds'), { recursive: true, force: true });
  });

  test('the name npm run prebuild gives is one the loader takes', () => {
    expect(prebuilds.addonFileName()).toMatch(/^tova_runtime\.napi(\.(glibc|musl))?\.node$/);
    const pdir = prebuilds.prebuildDir(dir);
    mkdirSync(pdir, { recursive: true });
    writeFileSync(join(pdir, prebuilds.addonFileName()), 'x');
    expect(prebuilds.matchingAddons(dir)).toEqual([join(pdir, prebuilds.addonFileName())]);
    rmSync(join(dir, 'prebuilds'), { recursive: true, force: true });
  });

  test('loader: the prebuild when there is no build/, build/ first when both exist', () => {
    if (!tova.isRuntimeAvailable()) throw new Error('this test needs the built addon');
    const pdir = prebuilds.prebuildDir(dir);
    mkdirSync(pdir, { recursive: true });
    copyFileSync(tova.runtimePath(), join(pdir, prebuilds.addonFileName()));
    let out = probe();
    expect(out.ok).toBe(true);
    expect(out.from).toBe(join(pdir, prebuilds.addonFileName()));
    expect(out.health).toBe('tova_runtime ok');
    // Its native tier is a file of its own, found beside it under the
    // prebuild's name; without it the addon runs interpreted and says why.
    const backend = join(dirname(tova.runtimePath()), 'tova_llvm.so');
    if (/tiers: interp, native/.test(tova.runtimeInfo()) && existsSync(backend)) {
      expect(out.info).toContain('no tova_llvm.so beside');
      copyFileSync(backend, join(pdir, prebuilds.backendFileName()));
      out = probe();
      expect(out.info).toMatch(/^tiers: interp, native \(LLVM/);
    }

    mkdirSync(join(dir, 'build'));
    copyFileSync(tova.runtimePath(), join(dir, 'build', 'tova_runtime.node'));
    out = probe();
    expect(out.from).toBe(join(dir, 'build', 'tova_runtime.node'));
    rmSync(join(dir, 'build'), { recursive: true, force: true });
    rmSync(join(dir, 'prebuilds'), { recursive: true, force: true });
  });

  test('without any addon the reason names the platform and where it looked', () => {
    const out = probe();
    expect(out.ok).toBe(false);
    expect(out.err).toContain(`${process.platform}-${process.arch}`);
    expect(out.err).toContain(join('prebuilds', `${process.platform}-${process.arch}`));
    expect(out.err).toContain('npm rebuild tova_runtime');
  });
});
