// Channels under random use from JS and WebAssembly at once: sync and async
// sends and receives, batch receives, selects with timeouts and defaults,
// WebAssembly senders and receivers with deadlines, and closes that replace a
// channel, over capacities 0, 1 and 4. Every value is unique. Checked: none
// is received twice, none that was never sent, and every value a sender was
// told was taken reaches a receiver (a receive that completes just before a
// deadline is not thrown away). Fixed seeds: the interleavings vary, the
// operations do not.
import { describe, test, expect } from 'bun:test';
const tova = require('../../index.js');
const { parkingModule } = require('./parking-fixture.js');

const W = parkingModule();
const MIN64 = -(2n ** 63n);

async function run(seed0) {
  let seed = seed0;
  const rnd = (n) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
  const sent = new Set(), got = new Set(), taken = new Set();
  let dups = 0, bogus = 0, nextv = 1;
  const note = (v) => { v = Number(v); if (!sent.has(v)) bogus++; if (got.has(v)) dups++; got.add(v); };
  const caps = [0, 1, 4];
  const chs = caps.map((c) => tova.channelCreate(c));
  const pending = [];
  for (let i = 0; i < 1500; i++) {
    const c = chs[rnd(3)];
    switch (rnd(9)) {
      case 0: { const v = nextv++; sent.add(v); try { if (tova.channelSend(c, v)) taken.add(v); } catch (_) { /* closed */ } break; }
      case 1: { try { const v = tova.channelReceive(c); if (v !== null && v !== undefined) note(v); } catch (_) { /* closed */ } break; }
      case 2: { const v = nextv++; sent.add(v); pending.push(tova.channelSendAsync(c, v).then(() => taken.add(v), () => {})); break; }
      case 3: pending.push(tova.channelRecv(c).then((v) => { if (v !== null && v !== undefined) note(v); }, () => {})); break;
      case 4: {
        const cases = [];
        for (let k = 0; k < 2 + rnd(2); k++) {
          const op = rnd(2) ? 'send' : 'recv';
          const cs = { chan: chs[rnd(3)], op };
          if (op === 'send') { cs.value = nextv++; sent.add(cs.value); }
          cases.push(cs);
        }
        const opts = rnd(3) === 0 ? { default: true } : { timeout: 1 + rnd(20) };
        pending.push(tova.channelSelect(cases, opts).then((r) => {
          if (r.index >= 0 && !r.closed) {
            if (cases[r.index].op === 'recv') note(r.value);
            else taken.add(cases[r.index].value);
          }
        }, () => {}));
        break;
      }
      case 5: {
        const v = nextv++;
        sent.add(v);
        pending.push(tova.execWasm(W, 'send_one', [c, v], { timeout: 1 + rnd(30) }).then((s) => { if (s === 0) taken.add(v); }, () => {}));
        break;
      }
      case 6:
        pending.push(tova.execWasm(W, 'recv_one', [c], { timeout: 1 + rnd(30) }).then((v) => { if (BigInt(v) !== MIN64) note(v); }, () => {}));
        break;
      case 7: { const b = tova.channelReceiveBatch(c, 1 + rnd(5)); if (b) for (const v of b) note(v); break; }
      case 8:
        if (rnd(40) === 0) {
          const k = rnd(3), old = chs[k];
          chs[k] = tova.channelCreate(caps[k]);
          tova.channelClose(old);
          let v;
          while ((v = tova.channelReceive(old)) !== null && v !== undefined) note(v);
        } else {
          await new Promise((r) => setImmediate(r));
        }
        break;
    }
  }
  // Close first, so that nothing still running (a WebAssembly sender on a
  // worker) can buffer a value after the last drain; then let every pending
  // operation settle, and drain what the closed channels still hold.
  for (const c of chs) tova.channelClose(c);
  await Promise.all(pending);
  for (const c of chs) {
    let v;
    while ((v = tova.channelReceive(c)) !== null && v !== undefined) note(v);
  }
  const lost = [...taken].filter((v) => !got.has(v));
  return { dups, bogus, lost: lost.length, received: got.size, taken: taken.size };
}

describe('channels under random use from JS and WebAssembly', () => {
  for (const seed of [3, 17, 2026]) {
    test(`seed ${seed}: nothing duplicated, invented or lost`, async () => {
      const r = await run(seed);
      expect(r.received).toBeGreaterThan(100); // it did exchange values
      expect({ dups: r.dups, bogus: r.bogus, lost: r.lost }).toEqual({ dups: 0, bogus: 0, lost: 0 });
    });
  }
});
