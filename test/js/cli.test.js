// The `tova` command (build/tova): run --invoke, validate, traps, bad input,
// WASI commands (exit status, args, env, --dir), --timeout, bounded input.
import { describe, test, expect, beforeAll, afterAll, setDefaultTimeout } from 'bun:test';
import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { tmpdir } from 'os';

const { mathModule } = require('./wasm-builder.js');

// TOVA_CLI runs the same tests against another build (e.g. build-asan/tova).
const CLI = process.env.TOVA_CLI || join(__dirname, '..', '..', 'build', 'tova');
let dir;
let mathPath;
// Some tests start dozens of processes: on a loaded machine that takes more
// than bun's default 5 s. A hang guard, not a time assertion.
setDefaultTimeout(60000);

function tova(...args) {
  const r = spawnSync(CLI, args, { encoding: 'utf8', timeout: 20000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// WASI test modules are written in the text format (wabt's wat2wasm, which
// scripts/setup.sh installs).
function wat(name, text) {
  const src = join(dir, `${name}.wat`);
  const out = join(dir, `${name}.wasm`);
  writeFileSync(src, text);
  const r = spawnSync('wat2wasm', [src, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wat2wasm ${name}: ${r.stderr || r.error}`);
  return out;
}

const WASI = (name, params, results = '(result i32)') =>
  `(import "wasi_snapshot_preview1" "${name}" (func $${name} (param ${params}) ${results}))`;

// Writes "hello" and "E<number of environment variables>" on stdout, then exits with
// argc + 40 through proc_exit, or returns from _start when argc == 1.
const helloWat = `(module
  ${WASI('fd_write', 'i32 i32 i32 i32')}
  ${WASI('args_sizes_get', 'i32 i32')}
  ${WASI('environ_sizes_get', 'i32 i32')}
  ${WASI('proc_exit', 'i32', '')}
  (memory (export "memory") 1)
  (data (i32.const 100) "hello\\n")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $write (i32.const 100) (i32.const 6))
    (drop (call $args_sizes_get (i32.const 200) (i32.const 204)))
    (drop (call $environ_sizes_get (i32.const 208) (i32.const 212)))
    ;; "E<count>\\n": the number of environment variables, as one digit
    (i32.store8 (i32.const 300) (i32.const 69))
    (i32.store8 (i32.const 301) (i32.add (i32.const 48) (i32.load (i32.const 208))))
    (i32.store8 (i32.const 302) (i32.const 10))
    (call $write (i32.const 300) (i32.const 3))
    (if (i32.gt_u (i32.load (i32.const 200)) (i32.const 1))
      (then (call $proc_exit (i32.add (i32.const 40) (i32.load (i32.const 200)))))))
  (func (export "exit_with") (param i32) (call $proc_exit (local.get 0))))`;

// Sleeps an hour in poll_oneoff (one relative monotonic clock subscription).
const sleeperWat = `(module
  ${WASI('poll_oneoff', 'i32 i32 i32 i32')}
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3600000000000))
    (drop (call $poll_oneoff (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))`;

const spinWat = `(module (func (export "_start") (loop (br 0))))`;

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

  test('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const r = tova('--version');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`tova ${version}`);
    // The second line names the tiers of this build and the policy.
    expect(lines[1]).toMatch(/^tiers: interp.*; policy (interp|native|tiered|auto|osr)/);
    expect(tova('version').out).toBe(r.out);
  });

  test('every type rejects whitespace and out-of-range text alike', () => {
    for (const bad of [' 1', '1 ', '\t1', '', '+', '-', '0x', '1x', '--1', '+-1']) {
      for (const [fn, other] of [['add32', '1'], ['add', '1'], ['fadd', '1']]) {
        const r = tova('run', mathPath, '--invoke', fn, bad, other);
        expect({ fn, bad, code: r.code }).toEqual({ fn, bad, code: 1 });
        expect(r.err).toContain('is not a valid');
      }
    }
    expect(tova('run', mathPath, '--invoke', 'add32', '+5', '0x10').out).toBe('21\n');
    expect(tova('run', mathPath, '--invoke', 'add', '+5', '0x10').out).toBe('21\n');
    expect(tova('run', mathPath, '--invoke', 'add32', '4294967295', '0').out).toBe('-1\n');
    expect(tova('run', mathPath, '--invoke', 'add32', '-2147483648', '0').out).toBe('-2147483648\n');
    expect(tova('run', mathPath, '--invoke', 'add32', '4294967296', '0').code).toBe(1);
    expect(tova('run', mathPath, '--invoke', 'add32', '-2147483649', '0').code).toBe(1);
    expect(tova('run', mathPath, '--invoke', 'add', '18446744073709551615', '0').out).toBe('-1\n');
    expect(tova('run', mathPath, '--invoke', 'add', '-9223372036854775808', '0').out).toBe('-9223372036854775808\n');
    expect(tova('run', mathPath, '--invoke', 'add', '18446744073709551616', '0').code).toBe(1);
    expect(tova('run', mathPath, '--invoke', 'add', '-9223372036854775809', '0').code).toBe(1);
    expect(tova('run', mathPath, '--invoke', 'fmul32', ' 2', '3').code).toBe(1);
    expect(tova('run', mathPath, '--invoke', 'fmul32', '2', '3').out).toBe('6\n');
  });

  test('validate and run refuse directories and special files clearly', () => {
    for (const cmd of [['validate'], ['run']]) {
      const d = tova(...cmd, dir);
      expect(d.code).toBe(1);
      expect(d.err).toContain('is a directory');
      const z = tova(...cmd, '/dev/zero'); // would never end if read
      expect(z.code).toBe(1);
      expect(z.err).toContain('not a regular file');
    }
    const missing = tova('validate', join(dir, 'absent.wasm'));
    expect(missing.err).toContain('absent.wasm');
  });

  test('a WASI command: output, arguments, environment, exit status', () => {
    const hello = wat('hello', helloWat);
    // _start returning normally is exit status 0
    expect(tova('run', hello)).toEqual({ code: 0, out: 'hello\nE0\n', err: '' });
    // proc_exit(40 + argc); argv[0] is the module
    expect(tova('run', hello, 'a', 'b')).toEqual({ code: 43, out: 'hello\nE0\n', err: '' });
    // options before the file; arguments after it belong to the program, even option-like ones
    const r = tova('run', '--env', 'A=1', '--env=B=2', hello, '--env', 'C=3');
    expect(r).toEqual({ code: 43, out: 'hello\nE2\n', err: '' });
    // --invoke also links WASI, and proc_exit there is the exit status too
    expect(tova('run', hello, '--invoke', 'exit_with', '7')).toEqual({ code: 7, out: '', err: '' });
    expect(tova('run', '--invoke', 'exit_with', hello, '9').code).toBe(9);
  });

  test('a reactor\'s _initialize runs before the invoked function', () => {
    const reactor = wat('reactor', `(module
      (global $g (mut i32) (i32.const 1))
      (func (export "_initialize") (global.set $g (i32.const 41)))
      (func (export "get") (result i32) (i32.add (global.get $g) (i32.const 1))))`);
    expect(tova('run', reactor, '--invoke', 'get')).toEqual({ code: 0, out: '42\n', err: '' });
  });

  test('--dir, --env and unknown options are checked', () => {
    const hello = wat('hello', helloWat);
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    expect(tova('run', '--dir', `${data}::/data`, hello).code).toBe(0);
    expect(tova('run', '--dir', data, hello).code).toBe(0);
    const absent = tova('run', '--dir', join(dir, 'nowhere'), hello);
    expect(absent.code).toBe(1);
    expect(absent.err).toContain('nowhere');
    expect(tova('run', '--env', 'NOEQUALS', hello).code).toBe(2);
    expect(tova('run', '--bogus', hello).code).toBe(2);
    expect(tova('run', '--timeout', '0', hello).code).toBe(2);
    expect(tova('run', '--timeout', ' 5', hello).code).toBe(2);
    expect(tova('run', '--dir').code).toBe(2);
  });

  test('--max-memory bounds memory.grow', () => {
    const grow = wat('grow', '(module (memory 1) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))');
    expect(tova('run', grow, '--invoke', 'grow', '100').out).toBe('1\n'); // old size in pages
    expect(tova('run', '--max-memory', '2', grow, '--invoke', 'grow', '31').out).toBe('1\n'); // 32 pages = 2 MiB
    expect(tova('run', '--max-memory', '2', grow, '--invoke', 'grow', '32').out).toBe('-1\n');
    expect(tova('run', '--max-memory', '0', grow, '--invoke', 'grow', '1').code).toBe(2);
    expect(tova('run', '--max-memory', '5000', grow, '--invoke', 'grow', '1').code).toBe(2);
  });

  test('--tier chooses the execution tier, over TOVA_TIER', () => {
    const run = (env, ...args) => {
      const r = spawnSync(CLI, args, { encoding: 'utf8', timeout: 20000, env: { ...process.env, TOVA_NATIVE_DEBUG: '1', ...env } });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const hasNative = /tiers: interp, native/.test(tova('--version').out);
    const native = run({ TOVA_TIER: 'interp' }, 'run', '--tier', 'native', mathPath, '--invoke', 'add', '2', '3');
    const interp = run({ TOVA_TIER: 'native' }, 'run', '--tier=interp', mathPath, '--invoke', 'add', '2', '3');
    expect(interp).toEqual({ code: 0, out: '5\n', err: '' }); // nothing compiled: TOVA_NATIVE_DEBUG says nothing
    if (hasNative) {
      expect(native.code).toBe(0);
      expect(native.out).toBe('5\n');
      expect(native.err).toMatch(/functions native/); // compiled before the call, whatever TOVA_TIER said
    } else {
      expect(native.code).toBe(2);
      expect(native.err).toContain('no native tier');
    }
    const bad = tova('run', '--tier', 'fast', mathPath, '--invoke', 'add', '2', '3');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--tier takes interp, native, tiered or auto');
  });

  test('a command that ends while its module compiles exits at once, cleanly', () => {
    // _start returns at once; the module's eight looping functions are still
    // being compiled (default tier: a small module is compiled whole). Exit
    // must neither crash under LLVM nor wait for the unit.
    const loops = Array.from({ length: 8 }, (_, k) => `
      (func (export "f${k}") (param $n i32) (result i32) (local $i i32) (local $acc i32)
        (block $out (loop $l
          (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
          (i32.store (i32.shl (i32.and (local.get $i) (i32.const 63)) (i32.const 2))
            (i32.mul (local.get $i) (i32.const ${k + 3})))
          (local.set $acc (i32.xor (local.get $acc)
            (i32.load (i32.shl (i32.and (local.get $acc) (i32.const 63)) (i32.const 2)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (local.get $acc))`).join('');
    const path = wat('exit-compiling', `(module (memory 1) ${loops}
      (func (export "_start") (drop (call 0 (i32.const 10)))))`);
    const hasNative = /tiers: interp, native/.test(tova('--version').out);
    for (let k = 0; k < 6; k++) {
      const r = spawnSync(CLI, ['run', path], {
        encoding: 'utf8', timeout: 20000,
        env: { ...process.env, TOVA_TIER: '', TOVA_NATIVE_DEBUG: '1' },
      });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(0);
      // the engine's exit handler ran, or the CLI ended the process while
      // LLVM was still loading (the next test)
      if (hasNative) expect(r.stderr).toMatch(/tova native: exit: (compiler stopped|the backend was still loading)/);
    }
  });

  test('a command that ends while LLVM is still loading neither waits for it nor loses output', () => {
    // The backend "file" is a FIFO nobody writes to: opening it blocks, so
    // the load on the compiler thread never ends. exit() would wait for it
    // forever (the dynamic loader's lock); the CLI must end with the
    // program's output and exit status all the same.
    const hasNative = /tiers: interp, native/.test(tova('--version').out);
    if (!hasNative) return;
    const fifo = join(dir, 'never-loads.so');
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.status !== 0) return; // no mkfifo here: nothing to test with
    // _start calls $work 3,000 times (hot at once: a small module is also
    // queued whole), then writes "done" and exits 7.
    const path = wat('exit-loading', `(module
      ${WASI('fd_write', 'i32 i32 i32 i32')}
      ${WASI('proc_exit', 'i32', '')}
      (memory (export "memory") 1)
      (data (i32.const 100) "done\\n")
      (func $work (param $n i32) (result i32) (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc))
      (func (export "_start") (local $i i32) (local $sum i32)
        (loop $l
          (local.set $sum (i32.add (local.get $sum) (call $work (i32.const 2000))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3000))))
        (i32.store (i32.const 200) (local.get $sum))
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 5))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $proc_exit (i32.const 7))))`);
    const r = spawnSync(CLI, ['run', path], {
      encoding: 'utf8', timeout: 30000,
      env: { ...process.env, TOVA_TIER: '', TOVA_NATIVE_DEBUG: '1', TOVA_NATIVE_BACKEND: fifo },
    });
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).toBe(7);
    expect(r.stdout).toBe('done\n');
    expect(r.stderr).toContain('tova native: exit: the backend was still loading, not waited for');
  });

  test('--timeout stops a runaway program, and a sleeping one', () => {
    const spin = wat('spin', spinWat);
    const a = tova('run', '--timeout', '200', spin);
    expect(a.code).toBe(124);
    expect(a.err).toContain('timed out after 200 ms');
    const b = tova('run', '--timeout', '200', mathPath, '--invoke', 'spin');
    expect(b.code).toBe(124);
    const sleeper = wat('sleeper', sleeperWat);
    const c = tova('run', '--timeout', '200', sleeper);
    expect(c.code).toBe(124);
    expect(c.err).toContain('timed out');
    // a program that finishes in time is not affected
    expect(tova('run', '--timeout', '60000', mathPath, '--invoke', 'add', '1', '2')).toEqual({ code: 0, out: '3\n', err: '' });
  });
});
