// Channels from JS: try-operations, waiting forms, close semantics, errors.
import { describe, test, expect } from 'bun:test';

const tova = require('../..');
const { rejection, thrown } = require('./helpers.js');

// Resolves true if p settles within a few event-loop turns, else false.
async function settlesSoon(p) {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 2));
  return done;
}

describe('try-operations', () => {
  test('handles are distinct non-negative numbers', () => {
    const a = tova.channelCreate(1);
    const b = tova.channelCreate(1);
    expect(typeof a).toBe('number');
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).not.toBe(a);
  });

  test('FIFO, false when full, null when empty', () => {
    const ch = tova.channelCreate(3);
    expect(tova.channelReceive(ch)).toBeNull();
    expect(tova.channelSend(ch, 1)).toBe(true);
    expect(tova.channelSend(ch, 2)).toBe(true);
    expect(tova.channelSend(ch, 3)).toBe(true);
    expect(tova.channelSend(ch, 4)).toBe(false);
    expect(tova.channelReceive(ch)).toBe(1);
    expect(tova.channelSend(ch, 4)).toBe(true);
    expect([tova.channelReceive(ch), tova.channelReceive(ch), tova.channelReceive(ch)]).toEqual([2, 3, 4]);
    expect(tova.channelReceive(ch)).toBeNull();
  });

  test('int64 values cross exactly: numbers when safe, BigInt beyond', () => {
    const ch = tova.channelCreate(8);
    const values = [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n, 7n];
    for (const v of values) expect(tova.channelSend(ch, v)).toBe(true);
    expect(tova.channelReceive(ch)).toBe(Number.MAX_SAFE_INTEGER);
    expect(tova.channelReceive(ch)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(tova.channelReceive(ch)).toBe(2n ** 53n);
    expect(tova.channelReceive(ch)).toBe(-(2n ** 63n));
    expect(tova.channelReceive(ch)).toBe(2n ** 63n - 1n);
    expect(tova.channelReceive(ch)).toBe(7);
  });

  test('bad values are TOVA_BAD_ARGUMENT, nothing is rounded', () => {
    const ch = tova.channelCreate(4);
    for (const bad of [2 ** 53, 0.5, NaN, 'x', undefined, 2n ** 64n]) {
      const e = thrown(() => tova.channelSend(ch, bad));
      expect(e.code).toBe('TOVA_BAD_ARGUMENT');
      expect(e.message).toContain('channelSend');
    }
    expect(tova.channelReceive(ch)).toBeNull();
  });

  test('bad capacity and handles', () => {
    expect(thrown(() => tova.channelCreate(-1)).code).toBe('TOVA_BAD_ARGUMENT');
    expect(thrown(() => tova.channelCreate(1.5)).code).toBe('TOVA_BAD_ARGUMENT');
    expect(thrown(() => tova.channelCreate('3')).code).toBe('TOVA_BAD_ARGUMENT');
    expect(thrown(() => tova.channelSend(-1, 1)).code).toBe('TOVA_BAD_ARGUMENT');
    const ch = tova.channelCreate(1);
    for (const bad of [ch + 0.5, 1e-300, 2 ** 32, Infinity, NaN]) { // never rounded to a handle
      expect(thrown(() => tova.channelSend(bad, 1)).code).toBe('TOVA_BAD_ARGUMENT');
      expect(thrown(() => tova.channelReceive(bad)).code).toBe('TOVA_BAD_ARGUMENT');
    }
    expect(tova.channelSend(ch, 7)).toBe(true); // the handle itself still works
    expect(tova.channelReceive(ch)).toBe(7);
  });

  test('unknown channel is TOVA_NOT_FOUND with the id in the message', () => {
    const id = 4000000000;
    for (const fn of [() => tova.channelSend(id, 1), () => tova.channelReceive(id), () => tova.channelClose(id)]) {
      const e = thrown(fn);
      expect(e.code).toBe('TOVA_NOT_FOUND');
      expect(e.message).toContain(String(id));
    }
  });

  test('capacity 0: try-send fails without a waiting receiver', () => {
    const ch = tova.channelCreate(0);
    expect(tova.channelSend(ch, 1)).toBe(false);
    expect(tova.channelReceive(ch)).toBeNull();
  });
});

describe('close', () => {
  test('receivers drain buffered values, then get null', () => {
    const ch = tova.channelCreate(4);
    tova.channelSend(ch, 10);
    tova.channelSend(ch, 20);
    tova.channelClose(ch);
    expect(tova.channelReceive(ch)).toBe(10);
    expect(tova.channelReceive(ch)).toBe(20);
    expect(tova.channelReceive(ch)).toBeNull();
    expect(tova.channelReceive(ch)).toBeNull();
  });

  test('send after close throws TOVA_CLOSED naming the channel', () => {
    const ch = tova.channelCreate(4);
    tova.channelClose(ch);
    const e = thrown(() => tova.channelSend(ch, 1));
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('TOVA_CLOSED');
    expect(e.message).toContain(`channel ${ch}`);
  });

  test('closing twice throws TOVA_CLOSED', () => {
    const ch = tova.channelCreate(1);
    tova.channelClose(ch);
    expect(thrown(() => tova.channelClose(ch)).code).toBe('TOVA_CLOSED');
  });

  test('close wakes a pending channelRecv with null', async () => {
    const ch = tova.channelCreate(1);
    const p = tova.channelRecv(ch);
    expect(await settlesSoon(p)).toBe(false);
    tova.channelClose(ch);
    expect(await p).toBeNull();
  });

  test('close rejects a pending channelSendAsync with TOVA_CLOSED', async () => {
    const ch = tova.channelCreate(0);
    const p = tova.channelSendAsync(ch, 5);
    expect(await settlesSoon(p)).toBe(false);
    tova.channelClose(ch);
    const e = await rejection(p);
    expect(e.code).toBe('TOVA_CLOSED');
    expect(e.message).toContain('channelSendAsync');
  });

  test('channelSendAsync on a closed channel rejects at once', async () => {
    const ch = tova.channelCreate(1);
    tova.channelClose(ch);
    expect((await rejection(tova.channelSendAsync(ch, 1))).code).toBe('TOVA_CLOSED');
    expect(await tova.channelRecv(ch)).toBeNull();
  });
});

describe('waiting forms', () => {
  test('channelRecv resolves at once when a value is buffered', async () => {
    const ch = tova.channelCreate(2);
    tova.channelSend(ch, 3);
    expect(await tova.channelRecv(ch)).toBe(3);
  });

  test('a pending channelRecv gets the next send', async () => {
    const ch = tova.channelCreate(2);
    const p = tova.channelRecv(ch);
    expect(await settlesSoon(p)).toBe(false);
    expect(tova.channelSend(ch, 99)).toBe(true);
    expect(await p).toBe(99);
    expect(tova.channelReceive(ch)).toBeNull(); // handed over, not buffered
  });

  test('rendezvous: channelSendAsync settles when a receiver takes the value', async () => {
    const ch = tova.channelCreate(0);
    const sent = tova.channelSendAsync(ch, 2n ** 60n);
    expect(await settlesSoon(sent)).toBe(false);
    expect(tova.channelReceive(ch)).toBe(2n ** 60n);
    expect(await sent).toBeUndefined();
  });

  test('channelSendAsync waits for room in a full channel, FIFO kept', async () => {
    const ch = tova.channelCreate(1);
    tova.channelSend(ch, 1);
    const p = tova.channelSendAsync(ch, 2);
    expect(await settlesSoon(p)).toBe(false);
    expect(tova.channelReceive(ch)).toBe(1);
    await p;
    expect(tova.channelReceive(ch)).toBe(2);
  });

  test('many receivers are served in order', async () => {
    const ch = tova.channelCreate(0);
    const ps = Array.from({ length: 50 }, () => tova.channelRecv(ch));
    for (let i = 0; i < 50; i++) expect(tova.channelSend(ch, i)).toBe(true);
    expect(await Promise.all(ps)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('producer/consumer with promises through a small channel', async () => {
    const ch = tova.channelCreate(4);
    const n = 2000;
    const producer = (async () => {
      for (let i = 0; i < n; i++) await tova.channelSendAsync(ch, i);
      tova.channelClose(ch);
    })();
    let sum = 0;
    let count = 0;
    for await (const v of tova.channelValues(ch)) {
      sum += v;
      count++;
    }
    await producer;
    expect(count).toBe(n);
    expect(sum).toBe((n * (n - 1)) / 2);
  });

  test('bad arguments reject with TOVA_BAD_ARGUMENT, unknown ids with TOVA_NOT_FOUND', async () => {
    expect((await rejection(tova.channelRecv('x'))).code).toBe('TOVA_BAD_ARGUMENT');
    const ch = tova.channelCreate(1);
    expect((await rejection(tova.channelSendAsync(ch, 0.5))).code).toBe('TOVA_BAD_ARGUMENT');
    expect((await rejection(tova.channelRecv(4000000001))).code).toBe('TOVA_NOT_FOUND');
  });
});

describe('1M send/receive pairs', () => {
  test('fill to capacity and drain, repeatedly', () => {
    const cap = 1024;
    const ch = tova.channelCreate(cap);
    let expected = 0;
    for (let round = 0; round < 1_000_000 / cap; round++) {
      for (let i = 0; i < cap; i++) tova.channelSend(ch, expected + i);
      for (let i = 0; i < cap; i++) {
        const v = tova.channelReceive(ch);
        if (v !== expected + i) throw new Error(`got ${v}, want ${expected + i}`);
      }
      expected += cap;
    }
    expect(tova.channelReceive(ch)).toBeNull();
  });
});
