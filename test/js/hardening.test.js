// What adversarial use of the JS API found (issue 8), one test per defect.
import { describe, test, expect } from 'bun:test';
import { Worker } from 'worker_threads';
import { spawnSync } from 'child_process';
import { join } from 'path';

const tova = require('../..');
const { rejection, thrown } = require('./helpers.js');
const { mathModule } = require('./wasm-builder.js');
const { taggedConstModule, manyExportsModule, bigDataModule, nulNameModule } = require('./raw-wasm.js');

const gc = () => (typeof Bun !== 'undefined' ? Bun.gc(true) : global.gc && global.gc());

describe('module cache', () => {
  test('bytes rewritten by another thread during execWasm never poison the cache', async () => {
    // A worker flips the constant of `k` between a and b in a SharedArrayBuffer
    // while this thread runs execWasm over it. Whatever the addon read, the
    // module it caches must be the one its key describes: afterwards, fresh
    // copies of the a-bytes and the b-bytes must run a and b.
    const a = 1, b = 2;
    const { constOffset } = taggedConstModule(a, 0);
    const sab = new SharedArrayBuffer(taggedConstModule(a, 0).bytes.length);
    const shared = new Uint8Array(sab);
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    const w = new Worker(join(__dirname, 'sab-toggler.js'),
      { workerData: { bytes: sab, ctl: ctl.buffer, at: constOffset, a, b } });
    await new Promise((resolve) => w.once('message', resolve));
    const wrong = [];
    try {
      for (let round = 0; round < 300; round++) {
        const tag = 0x51000000 + round; // fresh bytes every round: a cache miss
        const A = taggedConstModule(a, tag).bytes, B = taggedConstModule(b, tag).bytes;
        shared.set(A);
        // Start while the worker is flipping (it shares 2 cores with others).
        for (let spin = 0; shared[constOffset] === a && spin < 1e7; spin++);
        const got = await tova.execWasm(shared, 'k', []);
        if (got !== a && got !== b) wrong.push({ round, got });
        const ra = await tova.execWasm(Uint8Array.from(A), 'k', []);
        const rb = await tova.execWasm(Uint8Array.from(B), 'k', []);
        if (ra !== a || rb !== b) wrong.push({ round, ra, rb });
      }
    } finally {
      Atomics.store(ctl, 0, 1);
      await w.terminate();
    }
    expect(wrong).toEqual([]);
  }, 60000);

  test('bounded by bytes: big modules run once and dropped do not stay resident', async () => {
    // 24 distinct modules with 8 MiB data segments (192 MiB of wasm). The
    // cache keeps each module's bytes twice (key + module), so an entry-count
    // bound alone keeps ~384 MiB; a byte bound keeps a fixed amount.
    const MiB = 1024 * 1024;
    await tova.execWasm(bigDataModule(64 * 1024, 1), 'k', []);
    gc();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 24; i++) {
      expect(await tova.execWasm(bigDataModule(8 * MiB, 100 + i), 'k', [])).toBe(100 + i);
      gc();
    }
    gc();
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(256 * MiB);
  }, 120000);
});

describe('exports', () => {
  test('compile() of a module with 250K exports lists them all, with signatures', () => {
    // Not a timing assertion but a guard against hanging: the quadratic
    // export listing of main took 50 s for 200K exports here (about 80 s for
    // 250K); linear takes well under a second. The test's bound is 20 s.
    const n = 250000;
    const m = tova.compile(manyExportsModule(n));
    expect(m.exports.length).toBe(n);
    expect(m.exports[n - 1]).toEqual({ name: `e${n - 1}`, kind: 'function', params: [], results: ['i32'] });
    expect(m.exports[12345].name).toBe('e12345');
  }, 20000);

  test('a module with 200K exports runs its last export', async () => {
    const bytes = manyExportsModule(200000);
    expect(await tova.execWasm(bytes, 'e199999', [])).toBe(7);
    expect((await rejection(tova.execWasm(bytes, 'e200000', []))).code).toBe('TOVA_NOT_FOUND');
  }, 60000);
});

describe('names with NUL', () => {
  // Either rejected as a bad argument or matched exactly: never cut at the NUL.
  const expectNotCut = async (p, exact) => {
    let got;
    try {
      got = await p;
    } catch (e) {
      expect(['TOVA_BAD_ARGUMENT', 'TOVA_NOT_FOUND']).toContain(e.code);
      return;
    }
    expect(got).toEqual(exact);
  };

  for (const withNul of [false, true]) {
    test(`execWasm(m, 'a\\0b') does not run 'a' (module ${withNul ? 'has' : 'lacks'} 'a\\0b')`, async () => {
      const m = nulNameModule(withNul);
      const exact = withNul ? 2 : undefined;
      expect(await tova.execWasm(m, 'a', [])).toBe(1);
      await expectNotCut(tova.execWasm(m, 'a\0b', []), exact);
      await expectNotCut(tova.execWasm(tova.compile(m), 'a\0b', []), exact);
      await expectNotCut(tova.concurrentWasm([{ wasm: m, func: 'a\0b', args: [] }]).then((r) => r[0]), exact);
      await expectNotCut(tova.callBulk(m, 'a\0b', undefined, 1).then((r) => r[0]), exact);
    });
  }
});

describe('numbers in messages print as JS prints them', () => {
  const ch = () => tova.channelCreate(1);
  const messageOf = (v) => thrown(() => tova.channelSend(ch(), v)).message;

  test('channelSend: non-finite, fractional, unsafe and extreme numbers', () => {
    const values = [NaN, Infinity, -Infinity, 0.1, -0.5, 2 ** 60, -(2 ** 70), 1e21, 1.2345678901234568e20,
      1e-7, 1.5e-7, 0.000001, 123.456, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2];
    for (const v of values) {
      const msg = messageOf(v);
      expect(msg).toMatch(new RegExp(`got ${String(v).replace(/[.+]/g, '\\$&')}$|value ${String(v).replace(/[.+]/g, '\\$&')} is outside`));
      expect(msg).not.toMatch(/\b(nan|inf)\b/);
    }
  });

  test('callBulk argument errors', async () => {
    const math = mathModule();
    for (const v of [NaN, Infinity, 0.1, 1e300]) {
      const e = await rejection(tova.callBulk(math, 'add32', new Float64Array([v, 1])));
      expect(e.code).toBe('TOVA_BAD_ARGUMENT');
      expect(e.message).toContain(String(v));
      expect(e.message).not.toMatch(/\b(nan|inf)\b/);
    }
  });
});

describe('callBulk is bounded', () => {
  const math = mathModule();
  // `boom` traps at once: without a bound the huge call would reserve its
  // results and fail with a trap rather than be refused up front.
  for (const [func, rows] of [['boom', 2 ** 31], ['boom', 2 ** 32 - 1], ['nothing', 2 ** 32 - 1], ['boom', 2 ** 40]]) {
    test(`${func} x ${rows} rows is refused with TOVA_BAD_ARGUMENT before reserving memory`, async () => {
      const e = await rejection(tova.callBulk(math, func, undefined, rows));
      expect(e.code).toBe('TOVA_BAD_ARGUMENT');
      expect(e.message).toContain('callBulk');
    });
  }

  test('sane counts still run', async () => {
    const r = await tova.callBulk(mathModule(), 'bump', undefined, 1000);
    expect(r.length).toBe(1000);
    expect(r[0]).toBeGreaterThan(0);
    const sums = await tova.callBulk(math, 'add32', new Int32Array([1, 2, 3, 4]));
    expect(Array.from(sums)).toEqual([3, 7]);
  });
});

describe('channel ids', () => {
  test('a closed and drained channel\'s id stays closed while its slot is reused', () => {
    const old = tova.channelCreate(1);
    tova.channelSend(old, 5);
    tova.channelClose(old);
    expect(tova.channelReceive(old)).toBe(5); // drained now
    const seen = new Set();
    for (let i = 0; i < 200000; i++) {
      const id = tova.channelCreate(0);
      expect(id).not.toBe(old);
      seen.add(id);
      tova.channelClose(id);
    }
    expect(seen.size).toBe(200000);
    const e = thrown(() => tova.channelSend(old, 1));
    expect(e.code).toBe('TOVA_CLOSED');
    expect(tova.channelReceive(old)).toBe(null);
  }, 60000);
});

// What the API fuzzer (api-fuzz.test.js) found, one test per defect.
describe('api fuzz findings', () => {
  const addon = require(tova.runtimePath());
  const m = mathModule();

  // Under Node with --expose-gc the detached buffer is really freed, and
  // reading it after the getter crashed the process (SIGSEGV); under Bun the
  // stale bytes did not convert and the call quietly fell back. So the case
  // runs in a Node child, which must exit cleanly with the right answers.
  test('concurrentWasmPacked reads its options before the arguments\' buffer (a getter may detach it)', () => {
    const node = spawnSync('node', ['--version']);
    const script = `
      const tova = require(${JSON.stringify(join(__dirname, '..', '..'))});
      const addon = require(tova.runtimePath());
      const { mathModule } = require(${JSON.stringify(join(__dirname, 'wasm-builder.js'))});
      const m = mathModule();
      (async () => {
        for (let round = 0; round < 20; round++) {
          const a = new Float64Array(new ArrayBuffer(40 << 20), 0, 80);
          for (let i = 0; i < a.length; i++) a[i] = i;
          const opts = { get timeout() { structuredClone(a.buffer, { transfer: [a.buffer] }); gc(); return 1000; } };
          const r = addon.concurrentWasmPacked('concurrentWasm', m, 'add32', a, 2, opts);
          if (a.length !== 0) throw new Error('not detached');
          if (r !== undefined && (await r).length !== 0) throw new Error('ran on a detached buffer');
        }
        console.log('ok');
      })();`;
    const runs = [[process.execPath, []]];
    if (node.status === 0) runs.push(['node', ['--expose-gc']]);
    for (const [bin, flags] of runs) {
      const body = bin === 'node' ? script : script.replace('gc();', 'Bun.gc(true);');
      const r = spawnSync(bin, [...flags, '-e', body], { encoding: 'utf8', timeout: 120000 });
      expect({ bin, signal: r.signal, status: r.status, out: r.stdout.trim(), err: r.stderr.slice(-300) })
        .toEqual({ bin, signal: null, status: 0, out: 'ok', err: '' });
    }
  });

  test('a sparse task array of length 2^32 - 1 is refused at once, not walked', async () => {
    const a = [];
    a.length = 2 ** 32 - 1;
    const t0 = performance.now();
    const e = await rejection(tova.concurrentWasm(a));
    // Refused either way: its first task is a hole, or its length cannot be allocated.
    expect(['TOVA_BAD_ARGUMENT', 'TOVA_NOMEM']).toContain(e.code);
    expect(performance.now() - t0).toBeLessThan(60000); // a hang guard (it walked 2^32 holes), not a timing claim
  });

  test('an array-like claiming 10M tasks fails at its first without touching the rest', async () => {
    const e = await rejection(addon.concurrentWasm({ length: 1e7 }));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('tasks[0]');
  });

  test('channelSelect: a case whose getter throws is a coded error naming the case and what was thrown', async () => {
    const e = await rejection(tova.channelSelect([{ get chan() { throw new Error('x marks'); }, op: 'recv' }]));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toBe('channelSelect: cases[0]: reading it threw: x marks');
    const o = await rejection(tova.channelSelect([], { get timeout() { throw new Error('no'); } }));
    expect(o.code).toBe('TOVA_BAD_ARGUMENT');
    expect(o.message).toContain('options.timeout: reading it threw: no');
  });

  test('channelSelect with no cases and nothing to end it is refused (it could never settle)', async () => {
    for (const opts of [undefined, {}, { default: false }]) {
      const e = await rejection(tova.channelSelect([], opts));
      expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    }
    expect((await tova.channelSelect([], { default: true })).index).toBe(-1);
  });

  test('what a getter throws leaves as a coded error with the thrown value as cause, on both surfaces', async () => {
    const boom = Symbol('boom');
    const opts = { get timeout() { throw boom; } };
    // Read by the addon's option reader: named, with what was thrown.
    const e1 = await rejection(tova.execWasm(m, 'add32', [1, 2], opts));
    expect(e1.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e1.message).toContain('execWasm: options.timeout: reading it threw');
    // The .node file's promise functions may throw or reject: either is coded.
    const failure = async (fn) => {
      let r;
      try {
        r = fn();
      } catch (e) {
        return e;
      }
      return rejection(r);
    };
    const e2 = await failure(() => addon.execWasm(m, 'add32', [1, 2], opts));
    expect(e2.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e2.message).toContain('execWasm: options.timeout: reading it threw');
    // Read anywhere else (here: the args array's own getter, by N-API):
    // the export's guard codes it and keeps the thrown value as cause.
    const args = [1, 2];
    Object.defineProperty(args, 1, { get() { throw boom; } });
    const e5 = await failure(() => addon.execWasm(m, 'add32', args));
    expect(e5.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e5.message).toContain('execWasm');
    expect(e5.cause).toBe(boom);
    const { proxy, revoke } = Proxy.revocable([], {});
    revoke();
    const e3 = await rejection(tova.concurrentWasm(proxy));
    expect(e3.code).toBe('TOVA_BAD_ARGUMENT');
    const e4 = thrown(() => tova.compile(proxy));
    expect(e4.code).toBe('TOVA_BAD_ARGUMENT');
  });

  test('channelSendBatch: a bad element stops the batch and says how many were taken', () => {
    const ch = tova.channelCreate(8);
    const values = [1, 2, 3];
    Object.defineProperty(values, 2, { get() { throw new Error('third'); } });
    const e = thrown(() => tova.channelSendBatch(ch, values));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('values[2]');
    expect(e.message).toContain('2 values taken before it');
    expect(tova.channelReceive(ch)).toBe(1);
    expect(tova.channelReceive(ch)).toBe(2);
    tova.channelClose(ch);
  });

  test('channelReceiveBatch: max is a bound, not a size (2^28 from a channel of 5000: all, in order)', () => {
    const ch = tova.channelCreate(5000);
    const vals = new Float64Array(5000);
    for (let i = 0; i < vals.length; i++) vals[i] = i * 3;
    expect(tova.channelSendBatch(ch, vals)).toBe(5000);
    const got = tova.channelReceiveBatch(ch, 2 ** 28);
    expect(got.length).toBe(5000);
    for (let i = 0; i < got.length; i++) if (got[i] !== i * 3) throw new Error(`value ${i}: ${got[i]}`);
    expect(tova.channelReceiveBatch(ch, 2 ** 28).length).toBe(0);
    tova.channelClose(ch);
    expect(tova.channelReceiveBatch(ch, 10)).toBe(null);
  });

  test('spawnWasm on bad input still returns a handle: id 0, result rejected, cancel, unref and ref no-ops', async () => {
    const cases = [[tova.spawnWasm(m, 'nope', []), 'TOVA_NOT_FOUND'], [addon.spawnWasm(m, 'nope', []), 'TOVA_NOT_FOUND'],
      [tova.spawnWasm([300], 'x', []), 'TOVA_BAD_ARGUMENT'], [addon.spawnWasm(m, 'add32', [1]), 'TOVA_BAD_ARGUMENT']];
    for (const [h, code] of cases) {
      expect(h.id).toBe(0);
      expect(typeof h.cancel).toBe('function');
      h.cancel();
      expect(h.unref()).toBe(h);
      expect(h.ref()).toBe(h);
      const e = await rejection(h.result);
      expect(e.code).toBe(code);
    }
  });

  test('a handle\'s functions work detached from it and after the task ended', async () => {
    const h = addon.spawnWasm(m, 'add32', [2, 3]);
    const { cancel, unref, ref } = h;
    expect(await h.result).toBe(5);
    // Called without `this`, and on an ended task: no effect, no throw.
    cancel();
    unref();
    ref();
    expect(h.unref()).toBe(h);
  });
});
