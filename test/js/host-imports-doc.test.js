// docs/host-imports.md's WAT examples, taken from the document itself: each
// compiles with wat2wasm and does, run as a task, what its comment says.
import { describe, test, expect, beforeAll } from 'bun:test';
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
const rt = require('../../index.js');

const examples = {}; // first word after ";; " -> the compiled bytes
beforeAll(() => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'host-imports.md'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'tova-doc-'));
  const blocks = [...doc.matchAll(/```wat\n([\s\S]*?)```/g)].map((m) => m[1]);
  blocks.forEach((wat, i) => {
    const src = join(dir, `e${i}.wat`), out = join(dir, `e${i}.wasm`);
    writeFileSync(src, wat);
    execFileSync('wat2wasm', [src, '-o', out]);
    examples[wat.match(/^;; (\S+)/)[1]] = readFileSync(out);
  });
});

const drain = (ch) => {
  const got = [];
  for (let v; (v = rt.channelReceive(ch)) !== null;) got.push(Number(v));
  return got;
};

describe('docs/host-imports.md examples', () => {
  test('there is one per import group, and each compiles', () => {
    expect(Object.keys(examples).sort()).toEqual(
      ['chan_create:', 'chan_receive:', 'chan_send', 'chan_try_send', 'select:', 'sleep,'].sort());
  });

  test('chan_send / chan_close sends 0..n-1, then closes', async () => {
    const ch = rt.channelCreate(16);
    expect(Number(await rt.execWasm(examples.chan_send, 'main', [ch, 5n]))).toBe(5);
    expect(drain(ch)).toEqual([0, 1, 2, 3, 4]);
  });

  test('chan_receive sums until the channel is closed', async () => {
    const ch = rt.channelCreate(8);
    const sum = rt.execWasm(examples['chan_receive:'], 'main', [ch]);
    for (const v of [1, 2, 3]) await rt.channelSendAsync(ch, v);
    rt.channelClose(ch);
    expect(Number(await sum)).toBe(6);
  });

  test('chan_try_send / chan_try_receive never park', async () => {
    const ch = rt.channelCreate(1);
    expect(Number(await rt.execWasm(examples.chan_try_send, 'main', [ch]))).toBe(42);
    const full = rt.channelCreate(0); // no receiver: the try-send finds it full
    expect(Number(await rt.execWasm(examples.chan_try_send, 'main', [full]))).toBe(-1);
    rt.channelClose(ch);
    rt.channelClose(full);
  });

  test('sleep, yield, now_ms: a 20 ms sleep takes at least 20 ms', async () => {
    expect(Number(await rt.execWasm(examples['sleep,'], 'main', []))).toBeGreaterThanOrEqual(20);
  });

  test('select receives from either channel, or times out', async () => {
    const a = rt.channelCreate(1), b = rt.channelCreate(1);
    rt.channelSend(b, 7);
    expect(Number(await rt.execWasm(examples['select:'], 'main', [a, b]))).toBe(7);
    expect(Number(await rt.execWasm(examples['select:'], 'main', [a, b]))).toBe(-1);
    rt.channelClose(a);
    rt.channelClose(b);
  });

  test('chan_create makes a channel JS can use by its id', async () => {
    const ch = Number(await rt.execWasm(examples['chan_create:'], 'main', []));
    expect(ch).toBeGreaterThan(0);
    expect(rt.channelSend(ch, 9)).toBe(true);
    expect(Number(rt.channelReceive(ch))).toBe(9);
    rt.channelClose(ch);
  });
});
