// Without a built addon the package still loads: isRuntimeAvailable() is false
// and every function throws TOVA_UNAVAILABLE saying how to build it and why
// loading failed. Runs a copy of index.js from a temp dir (so build/ is not
// next to it) in a subprocess.
import { describe, test, expect, beforeAll, afterAll } from 'bun:test';
import { spawnSync } from 'child_process';
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { tmpdir } from 'os';

const tova = require('../..');
const ROOT = join(__dirname, '..', '..');
let dir;

const probe = `
const b = require('./index.js');
const out = { available: b.isRuntimeAvailable(), loadError: b.runtimeLoadError(), errors: {} };
if (!out.available) for (const name of ['healthCheck', 'spawnTask', 'concurrentAll', 'channelCreate', 'channelSend',
                    'channelReceive', 'channelClose', 'execWasm', 'concurrentWasm', 'compile', 'callBulk']) {
  try { b[name](1, 2, 3); out.errors[name] = null; }
  catch (e) { out.errors[name] = { code: e.code, message: e.message, isError: e instanceof Error }; }
}
if (out.available) out.health = b.healthCheck();
console.log(JSON.stringify(out));
`;

function runProbe(env) {
  const r = spawnSync(process.execPath, ['probe.js'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 10000,
    env: { ...process.env, HOME: dir, USERPROFILE: dir, ...env },
  });
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tova-fallback-'));
  copyFileSync(join(ROOT, 'index.js'), join(dir, 'index.js'));
  mkdirSync(join(dir, 'lib'));
  copyFileSync(join(ROOT, 'lib', 'prebuilds.js'), join(dir, 'lib', 'prebuilds.js'));
  writeFileSync(join(dir, 'probe.js'), probe);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fallback without the addon', () => {
  test('isRuntimeAvailable() is false and every function throws TOVA_UNAVAILABLE', () => {
    const out = runProbe({ TOVA_RUNTIME_PATH: join(dir, 'nowhere') });
    expect(out.available).toBe(false);
    for (const [name, e] of Object.entries(out.errors)) {
      expect(e).not.toBeNull();
      expect(e.isError).toBe(true);
      expect(e.code).toBe('TOVA_UNAVAILABLE');
      expect(e.message).toContain('npm install');
      expect(e.message).toContain('npm run build');
      expect(e.message).toContain('cmake');
      expect(e.message).toContain('nowhere'); // says where it looked
      expect(e.message).toContain('not found');
      if (name === 'healthCheck') expect(e.message).toBe(out.loadError);
    }
  });

  test('a file that is not an addon is reported with the loader error', () => {
    const bogus = join(dir, 'bogus', 'tova_runtime.node');
    mkdirSync(dirname(bogus), { recursive: true });
    writeFileSync(bogus, 'not a shared library');
    const out = runProbe({ TOVA_RUNTIME_PATH: join(dir, 'bogus') });
    expect(out.available).toBe(false);
    expect(out.errors.spawnTask.code).toBe('TOVA_UNAVAILABLE');
    expect(out.loadError).toContain(bogus);
    expect(out.loadError).not.toContain(`${bogus}: not found`);
  });

  test('TOVA_RUNTIME_PATH finds the addon as a file or a directory', () => {
    const built = tova.runtimePath();
    expect(built).toBeTruthy();
    for (const p of [built, dirname(built)]) {
      const out = runProbe({ TOVA_RUNTIME_PATH: p });
      expect(out.available).toBe(true);
      expect(out.loadError).toBeNull();
      expect(out.health).toBe('tova_runtime ok');
    }
  });

  test('~/.tova/lib is the last place looked', () => {
    const lib = join(dir, '.tova', 'lib');
    mkdirSync(lib, { recursive: true });
    copyFileSync(tova.runtimePath(), join(lib, 'tova_runtime.node'));
    const out = runProbe({ TOVA_RUNTIME_PATH: '' });
    expect(out.available).toBe(true);
    rmSync(join(dir, '.tova'), { recursive: true, force: true });
  });
});
