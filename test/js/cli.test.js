// The `tova` command (build/tova): run --invoke, validate, traps, bad input.
import { describe, test, expect, beforeAll, afterAll } from 'bun:test';
import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'fs';
import { join } from 'path';
import { tmpdir } from 'os';

const { mathModule } = require('./wasm-builder.js');

const CLI = join(__dirname, '..', '..', 'build', 'tova');
let dir;
let mathPath;

function tova(...args) {
  const r = spawnSync(CLI, args, { encoding: 'utf8', timeout: 20000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tova-cli-'));
  mathPath = join(dir, 'math.wasm');
  writeFileSync(mathPath, mathModule());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tova CLI', () => {
  test('the CLI was built', () => {
    expect(existsSync(CLI)).toBe(true);
  });

  test('run --invoke prints the results, one per line', () => {
    expect(tova('run', mathPath, '--invoke', 'add', '40', '2')).toEqual({ code: 0, out: '42\n', err: '' });
    expect(tova('run', mathPath, '--invoke', 'divmod', '17', '5').out).toBe('3\n2\n');
    expect(tova('run', mathPath, '--invoke', 'add32', '2147483647', '1').out).toBe('-2147483648\n');
    expect(tova('run', mathPath, '--invoke', 'fib', '90').out).toBe('2880067194370816120\n');
    expect(tova('run', mathPath, '--invoke', 'fadd', '0.5', '0.25').out).toBe('0.75\n');
  });

  test('a trap exits 1 with the trap message', () => {
    const r = tova('run', mathPath, '--invoke', 'div32', '1', '0');
    expect(r.code).toBe(1);
    expect(r.err).toContain('integer divide by zero');
    expect(tova('run', mathPath, '--invoke', 'boom').err).toContain('unreachable');
  });

  test('wrong export or arguments are errors, not crashes', () => {
    const missing = tova('run', mathPath, '--invoke', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('nope');
    const fewer = tova('run', mathPath, '--invoke', 'add', '1');
    expect(fewer.code).not.toBe(0);
    const notNumber = tova('run', mathPath, '--invoke', 'add', 'x', '1');
    expect(notNumber.code).not.toBe(0);
  });

  test('validate says ok, or names section, offset and rule', () => {
    expect(tova('validate', mathPath)).toEqual({ code: 0, out: 'ok\n', err: '' });
    const bad = join(dir, 'bad.wasm');
    const bytes = Buffer.from(mathModule());
    writeFileSync(bad, bytes.subarray(0, bytes.length - 3));
    const r = tova('validate', bad);
    expect(r.code).not.toBe(0);
    expect(r.out + r.err).toMatch(/offset \d+/);
    const missingFile = tova('validate', join(dir, 'absent.wasm'));
    expect(missingFile.code).not.toBe(0);
  });
});
