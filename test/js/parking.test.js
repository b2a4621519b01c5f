// WebAssembly tasks that park on channels, timers and selects; the Tova
// compiler's block modes; cancellation and deadlines; JS select and batches.
import { describe, test, expect, beforeAll } from 'bun:test';
const rt = require('../../index.js');
const { rejection } = require('./helpers.js');
const { parkingModule, watModule } = require('./parking-fixture.js');

let W;
beforeAll(() => {
  W = parkingModule();
});

const MIN64 = -(2n ** 63n);

describe('channels between WebAssembly and JS', () => {
  test('a WebAssembly producer feeds a JS consumer, then closes', async () => {
    const ch = rt.channelCreate(4);
    const produced = rt.execWasmWithChannels(W, 'produce_and_close', [ch, 100]);
    const got = [];
    for await (const v of rt.channelValues(ch)) got.push(v);
    expect(await produced).toBe(100);
    expect(got).toEqual([...Array(100).keys()]);
  });

  test('a JS send wakes a parked WebAssembly receiver', async () => {
    const ch = rt.channelCreate(0);
    const p = rt.execWasm(W, 'recv_one', [ch]);
    await Bun.sleep(10);
    await rt.channelSendAsync(ch, 12345); // settles only when the parked task takes it
    expect(await p).toBe(12345);
  });

  test('a WebAssembly send settles a pending channelRecv', async () => {
    const ch = rt.channelCreate(0);
    const pending = rt.channelRecv(ch);
    expect(await rt.execWasm(W, 'send_one', [ch, 77])).toBe(0);
    expect(await pending).toBe(77);
  });

  test('closed channels: receive gives i64 min, send gives -1', async () => {
    const ch = rt.channelCreate(1);
    rt.channelClose(ch);
    expect(await rt.execWasm(W, 'recv_one', [ch])).toBe(MIN64);
    expect(await rt.execWasm(W, 'send_one', [ch, 1])).toBe(-1);
    expect(await rt.execWasm(W, 'send_one', [999999, 1])).toBe(-1);
  });

  test('try-operations from WebAssembly', async () => {
    const ch = rt.channelCreate(1);
    expect(await rt.execWasm(W, 'try_ops', [ch, 5])).toBe(0); // sent, then received
    rt.channelSend(ch, 9);
    expect(await rt.execWasm(W, 'try_ops', [ch, 6])).toBe(10); // full, then received 9
    const empty = rt.channelCreate(0);
    expect(await rt.execWasm(W, 'try_ops', [empty, 1])).toBe(11); // full (no receiver), empty
    rt.channelClose(ch);
    expect(await rt.execWasm(W, 'try_ops', [ch, 1])).toBe(-11); // closed both ways
    expect(await rt.execWasm(W, 'try_ops', [999999, 1])).toBe(-11); // unknown both ways
  });

  test('WebAssembly producers and consumers, many tasks', async () => {
    const ch = rt.channelCreate(0);
    const tasks = [];
    for (let i = 0; i < 50; i++) tasks.push({ wasm: W, func: 'send_one', args: [ch, i + 1] });
    const sum = rt.execWasm(W, 'sum_until_closed', [ch]);
    const sent = await rt.concurrentWasmWithChannels(tasks);
    expect(sent.every((s) => s === 0)).toBe(true);
    rt.channelClose(ch);
    expect(await sum).toBe(50 * 51 / 2);
  });

  test('sleep, yield and now_ms', async () => {
    const slept = await rt.execWasm(W, 'nap', [20]);
    expect(slept).toBeGreaterThanOrEqual(20);
    expect(await rt.execWasm(W, 'polite', [500])).toBe(500);
  });

  test('a WebAssembly select takes the channel that is ready, or times out', async () => {
    const a = rt.channelCreate(1), b = rt.channelCreate(1);
    rt.channelSend(b, 44);
    expect(await rt.execWasm(W, 'select2', [a, b, -1])).toBe(2044);
    expect(await rt.execWasm(W, 'select2', [a, b, 15])).toBe(-1);
    expect(await rt.execWasm(W, 'select2', [a, b, 0])).toBe(-1);
    const p = rt.execWasm(W, 'select2', [a, b, -1]);
    await Bun.sleep(5);
    rt.channelSend(a, 7);
    expect(await p).toBe(1007);
  });
});

describe('the Tova compiler\'s block modes', () => {
  test('concurrentWasmFirst: the first success wins, a spinning task is cancelled', async () => {
    const r = await rt.concurrentWasmFirst([
      { wasm: W, func: 'spin', args: [] },
      { wasm: W, func: 'quick', args: [21] },
    ]);
    expect(r).toBe(42);
  });

  test('concurrentWasmFirst: all failing rejects with an error of theirs', async () => {
    const e = await rejection(rt.concurrentWasmFirst([
      { wasm: W, func: 'boom', args: [] },
      { wasm: W, func: 'boom', args: [] },
    ]));
    expect(e.code).toBe('TOVA_TRAP');
    expect(e.message).toContain('unreachable');
  });

  test('concurrentWasmTimeout: a spinning task makes it reject TOVA_TIMEOUT', async () => {
    const e = await rejection(rt.concurrentWasmTimeout([
      { wasm: W, func: 'quick', args: [1] },
      { wasm: W, func: 'spin', args: [] },
    ], 30));
    expect(e.code).toBe('TOVA_TIMEOUT');
    const ok = await rt.concurrentWasmTimeout([{ wasm: W, func: 'quick', args: [4] }], 5000);
    expect(ok).toEqual([8]);
  });

  test('concurrentWasmCancelOnError: the first error cancels a spinning task', async () => {
    const e = await rejection(rt.concurrentWasmCancelOnError([
      { wasm: W, func: 'spin', args: [] },
      { wasm: W, func: 'boom', args: [] },
    ]));
    expect(e.code).toBe('TOVA_TRAP');
    expect(await rt.concurrentWasmCancelOnError([{ wasm: W, func: 'quick', args: [2] }])).toEqual([4]);
  });

  test('empty task lists settle', async () => {
    expect(await rt.concurrentWasmFirst([])).toBe(null);
    expect(await rt.concurrentWasmTimeout([], 10)).toEqual([]);
    expect(await rt.concurrentWasmCancelOnError([])).toEqual([]);
  });
});

describe('cancellation and deadlines', () => {
  test('execWasm with a timeout stops a runaway loop', async () => {
    const e = await rejection(rt.execWasm(W, 'spin', [], { timeout: 20 }));
    expect(e.code).toBe('TOVA_TIMEOUT');
  });

  test('the timeout option of every concurrent call stops a runaway task', async () => {
    const spinning = [{ wasm: W, func: 'quick', args: [1] }, { wasm: W, func: 'spin', args: [] }];
    // The block modes and the plan's names alike: each call settles, TOVA_TIMEOUT,
    // and the same calls without the runaway task still give their results.
    for (const name of ['concurrentWasm', 'concurrentWasmShared', 'concurrentWasmWithChannels',
      'concurrentWasmCancelOnError']) {
      const e = await rejection(rt[name](spinning, { timeout: 25 }));
      expect(`${name}: ${e.code}`).toBe(`${name}: TOVA_TIMEOUT`);
      expect(await rt[name]([{ wasm: W, func: 'quick', args: [3] }], { timeout: 5000 })).toEqual([6]);
    }
    // first: no task succeeds before the deadline, so it rejects with the timeout.
    const e = await rejection(rt.concurrentWasmFirst([{ wasm: W, func: 'spin', args: [] },
      { wasm: W, func: 'spin', args: [] }], { timeout: 25 }));
    expect(e.code).toBe('TOVA_TIMEOUT');
    expect(await rt.concurrentWasmFirst([{ wasm: W, func: 'spin', args: [] },
      { wasm: W, func: 'quick', args: [5] }], { timeout: 5000 })).toBe(10);
    // A parked task, too (it waits on a channel nobody sends to).
    const ch = rt.channelCreate(0);
    const p = await rejection(rt.concurrentWasmWithChannels([{ wasm: W, func: 'recv_one', args: [ch] }],
      { timeout: 25 }));
    expect(p.code).toBe('TOVA_TIMEOUT');
    rt.channelClose(ch);
  }, 30000); // a hang guard: about 160 ms under TSan, once over 5 s on a loaded machine

  test('spawnWasm handles cancel spinning, deep, parked and sleeping tasks', async () => {
    const ch = rt.channelCreate(0);
    const handles = [
      rt.spawnWasm(W, 'spin', []),
      rt.spawnWasm(W, 'deep', [2000]),
      rt.spawnWasm(W, 'recv_one', [ch]),
      rt.spawnWasm(W, 'nap', [1e9]),
      rt.spawnWasm(W, 'select2', [ch, ch, -1]),
    ];
    const settled = Promise.allSettled(handles.map((h) => h.result));
    await Bun.sleep(20);
    for (const h of handles) {
      expect(typeof h.id).toBe('number');
      h.cancel();
    }
    for (const r of await settled) {
      expect(r.status).toBe('rejected');
      expect(r.reason.code).toBe('TOVA_CANCELLED');
    }
    // The withdrawn receivers took nothing.
    expect(rt.channelSend(ch, 1)).toBe(false);
  });

  test('bad block-mode arguments reject with a code', async () => {
    expect((await rejection(rt.concurrentWasmTimeout([], -1))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(rt.execWasm(W, 'spin', [], { timeout: 'soon' }))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(rt.execWasm(W, 'spin\0x', []))).code).toBe('TOVA_NOT_FOUND');
  });
});

describe('channelSelect and batches from JS', () => {
  test('select takes a ready case, waits, times out, or defaults', async () => {
    const a = rt.channelCreate(1), b = rt.channelCreate(1);
    rt.channelSend(b, 5);
    expect(await rt.channelSelect([{ chan: a, op: 'recv' }, { chan: b, op: 'recv' }]))
      .toEqual({ index: 1, value: 5, closed: false });
    expect((await rt.channelSelect([{ chan: a, op: 'recv' }], { timeout: 10 })).index).toBe(-1);
    expect((await rt.channelSelect([{ chan: a, op: 'recv' }], { default: true })).index).toBe(-1);
    const waiting = rt.channelSelect([{ chan: a, op: 'recv' }, { chan: b, op: 'recv' }]);
    await rt.execWasm(W, 'send_one', [a, 99]);
    expect(await waiting).toEqual({ index: 0, value: 99, closed: false });
    const sent = await rt.channelSelect([{ chan: a, op: 'send', value: 3 }]);
    expect(sent.index).toBe(0);
    expect(rt.channelReceive(a)).toBe(3);
    rt.channelClose(b);
    expect(await rt.channelSelect([{ chan: b, op: 'recv' }])).toEqual({ index: 0, value: null, closed: true });
  });

  test('batched send and receive move many values per call', () => {
    const ch = rt.channelCreate(1000);
    expect(rt.channelSendBatch(ch, new Int32Array([1, 2, 3]))).toBe(3);
    expect(rt.channelSendBatch(ch, [4, 5])).toBe(2);
    const big = new BigInt64Array([2n ** 60n]);
    expect(rt.channelSendBatch(ch, big)).toBe(1);
    expect(Array.from(rt.channelReceiveBatch(ch, 5))).toEqual([1, 2, 3, 4, 5]);
    const rest = rt.channelReceiveBatch(ch, 10);
    expect(rest instanceof BigInt64Array).toBe(true);
    expect(rest[0]).toBe(2n ** 60n);
    const small = rt.channelCreate(2);
    expect(rt.channelSendBatch(small, new Float64Array([1, 2, 3]))).toBe(2); // stops when full
    rt.channelClose(small);
    expect(Array.from(rt.channelReceiveBatch(small, 10))).toEqual([1, 2]);
    expect(rt.channelReceiveBatch(small, 10)).toBe(null);
    expect(() => rt.channelSendBatch(small, [1])).toThrow();
  });
});

describe('one error rule: promise calls reject with a code', () => {
  test('a throwing getter inside the array rejects TOVA_BAD_ARGUMENT naming the element', async () => {
    const values = [1, 2, 3];
    Object.defineProperty(values, 1, { get() { throw new Error('boom from getter'); } });
    const e = await rejection(rt.concurrentAll(values));
    expect(e.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e.message).toContain('values[1]');
    expect(e.message).toContain('boom from getter');
    const tasks = [{ wasm: W, func: 'quick', args: [1] }];
    Object.defineProperty(tasks, 0, { get() { throw new Error('task getter'); } });
    const e2 = await rejection(rt.concurrentWasm(tasks));
    expect(e2.code).toBe('TOVA_BAD_ARGUMENT');
    expect(e2.message).toContain('task getter');
    const t3 = { func: 'quick', args: [1], get wasm() { throw new Error('wasm getter'); } };
    expect((await rejection(rt.concurrentWasm([t3]))).code).toBe('TOVA_BAD_ARGUMENT');
  });

  test('a Proxy over an array is an array', async () => {
    expect(await rt.concurrentAll(new Proxy([4, 5], {}))).toEqual([4, 5]);
    expect(await rt.concurrentWasm(new Proxy([{ wasm: W, func: 'quick', args: [3] }], {}))).toEqual([6]);
  });
});

describe('callBulk is bounded in time', () => {
  test('a runaway row is stopped by the timeout', async () => {
    const e = await rejection(rt.callBulk(W, 'spin', null, 8, { timeout: 30 }));
    expect(e.code).toBe('TOVA_TIMEOUT');
    expect(Array.from(await rt.callBulk(W, 'quick', new Int32Array([1, 2, 3]), undefined, { timeout: 5000 })))
      .toEqual([2, 4, 6]);
  });
});

// A start function runs inside instantiation, which cannot park: what can
// complete now does, anything that would wait traps, and no channel is left
// holding a wait of a task that has already failed.
describe('tova imports in a start function', () => {
  const startModule = (body) => watModule(`(module
    (import "tova" "chan_receive" (func $recv (param i32) (result i64)))
    (import "tova" "chan_send" (func $send (param i32 i64) (result i32)))
    (import "tova" "select" (func $select (param i32 i32 i64) (result i32)))
    (import "tova" "sleep" (func $sleep (param i64)))
    (import "tova" "yield" (func $yield))
    (memory 1)
    (global $got (mut i64) (i64.const 0))
    (func $start ${body})
    (start $start)
    (func (export "got") (result i64) (global.get $got)))`);

  test('a receive with nothing to take traps, and leaves no wait behind', async () => {
    const ch = rt.channelCreate(0);
    const e = await rejection(rt.execWasm(startModule(`(global.set $got (call $recv (i32.const ${ch})))`), 'got', []));
    expect(e.code).toBe('TOVA_TRAP');
    expect(e.message).toContain('a start function cannot wait to receive');
    expect(rt.channelSend(ch, 1)).toBe(false); // nobody is waiting on it
  });

  test('what is ready completes: a buffered value, a send with room, a ready select', async () => {
    const ch = rt.channelCreate(2);
    expect(rt.channelSend(ch, 77)).toBe(true);
    expect(await rt.execWasm(startModule(`(global.set $got (call $recv (i32.const ${ch})))`), 'got', [])).toBe(77);
    expect(await rt.execWasm(startModule(`(global.set $got (i64.extend_i32_s (call $send (i32.const ${ch}) (i64.const 5))))`), 'got', [])).toBe(0);
    expect(await rt.channelRecv(ch)).toBe(5);
    expect(rt.channelSend(ch, 88)).toBe(true);
    // One receive case at address 0; the value comes back at address 8.
    const sel = startModule(`(i32.store (i32.const 0) (i32.const ${ch}))
      (drop (call $select (i32.const 0) (i32.const 1) (i64.const -1)))
      (call $yield)
      (global.set $got (i64.load (i32.const 8)))`);
    expect(await rt.execWasm(sel, 'got', [])).toBe(88);
  });

  test('a select or a sleep that would wait traps', async () => {
    const ch = rt.channelCreate(1);
    const sel = startModule(`(i32.store (i32.const 0) (i32.const ${ch}))
      (drop (call $select (i32.const 0) (i32.const 1) (i64.const 1000)))`);
    const e = await rejection(rt.execWasm(sel, 'got', []));
    expect(e.message).toContain('a start function cannot wait in a select');
    expect(rt.channelSend(ch, 1)).toBe(true); // the buffer took it: no select was left waiting
    expect(await rt.channelRecv(ch)).toBe(1);
    const nap = await rejection(rt.execWasm(startModule('(call $sleep (i64.const 5))'), 'got', []));
    expect(nap.message).toContain('a start function cannot sleep');
  });
});
