// runWasi: a WASI command as a runtime task, with its arguments, environment
// and captured standard streams; its exit status is its result.
import { describe, test, expect, beforeAll } from 'bun:test';
import { execFileSync } from 'child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, writeSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
const rt = require('../../index.js');
const { rejection } = require('./helpers.js');

let HELLO, READ, NAP, DIR;
beforeAll(() => {
  DIR = mkdtempSync(join(tmpdir(), 'tova-wasi-'));
  execFileSync('wat2wasm', [join(__dirname, 'fixtures', 'wasi-hello.wat'), '-o', join(DIR, 'h.wasm')]);
  execFileSync('wat2wasm', [join(__dirname, 'fixtures', 'wasi-read.wat'), '-o', join(DIR, 'r.wasm')]);
  execFileSync('wat2wasm', [join(__dirname, 'fixtures', 'wasi-nap.wat'), '-o', join(DIR, 'n.wasm')]);
  NAP = readFileSync(join(DIR, 'n.wasm'));
  HELLO = readFileSync(join(DIR, 'h.wasm'));
  READ = readFileSync(join(DIR, 'r.wasm'));
});

// A stdin nobody writes: a FIFO held open for reading and writing never
// reaches end of input.
function silentStdin(name) {
  const fifo = join(DIR, name);
  execFileSync('mkfifo', [fifo]);
  return openSync(fifo, 'r+');
}

// fixtures/wasi-nap.wat's checksum, computed here the way the module does.
function napChecksum() {
  const M = 1n << 64n;
  const wrap = (x) => ((x % M) + M) % M;
  const nap = (k, f) => wrap(BigInt(k) * 1000003n + BigInt(Math.trunc(f * 3)) +
    BigInt(Math.trunc(Math.fround(Math.fround(k) * 0.5))) + BigInt(k));
  const mid = (k) => {
    const d = k / 4;
    const a = nap(k, d);
    return wrap(a * 31n) ^ wrap(nap(k + 1, d + 0.5) + BigInt(Math.trunc(d)));
  };
  let s = 0n, h = 0;
  for (let i = 0; i < 20; i++) {
    s = wrap(((s << 5n) | (s >> 59n)) % M + mid(i));
    h += i;
  }
  return wrap(s + BigInt(Math.trunc(h))) & ((1n << 63n) - 1n);
}

describe('runWasi', () => {
  test('a program whose nested calls sleep: every sleep parks the task, values survive', async () => {
    // Run under TOVA_TIER=native by scripts/test.sh too, where each park
    // leaves three native frames (docs/native-tier.md).
    const runs = await Promise.all([0, 1, 2].map(() => rt.runWasi(NAP, { stdout: 'pipe' })));
    for (const r of runs) {
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString()).toBe(`${napChecksum()}\n`);
    }
  });

  test('arguments, environment, captured stdout and stderr, exit status', async () => {
    const r = await rt.runWasi(HELLO, {
      args: ['hello', 'first-arg'],
      env: { GREETING: 'hi' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    expect(r.exitCode).toBe(3);
    expect(r.stdout.toString()).toBe('first-argGREETING=hi');
    expect(r.stderr.toString()).toBe('err\n');
  });

  test('many WASI programs at once, each with its own streams', async () => {
    const runs = [];
    for (let i = 0; i < 20; i++) runs.push(rt.runWasi(HELLO, { args: ['p', `n${i}`], stdout: 'pipe', stderr: 'pipe' }));
    const out = await Promise.all(runs);
    out.forEach((r, i) => {
      expect(r.exitCode).toBe(3);
      expect(r.stdout.toString()).toBe(`n${i}`);
    });
  });

  // Before, the deadline could not stop a read of a stream: this test hung.
  test('a program waiting for input nobody writes is stopped by its deadline', async () => {
    const fd = silentStdin('in1');
    try {
      const e = await rejection(rt.runWasi(READ, { stdin: fd, timeout: 100 }));
      expect(e.code).toBe('TOVA_TIMEOUT');
      // Input that does come is read as usual.
      writeSync(fd, 'hello');
      expect((await rt.runWasi(READ, { stdin: fd, timeout: 5000 })).exitCode).toBe(5);
    } finally {
      closeSync(fd);
    }
  });

  test('bad input rejects with a code', async () => {
    expect((await rejection(rt.runWasi(HELLO, { stdout: 'elsewhere' }))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(rt.runWasi(HELLO, { preopens: { '/d': '/no/such/dir' } }))).code).toBeDefined();
    const noStart = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect((await rejection(rt.runWasi(noStart, {}))).code).toBe('TOVA_NOT_FOUND');
  });
});
