// The addon loaded in several worker_threads at once (each JS environment has
// its own pool and completion queue; channels are shared by the process).
import { describe, test, expect } from 'bun:test';
import { Worker } from 'worker_threads';
import { join } from 'path';

const tova = require('../..');

function run(workerData) {
  const w = new Worker(join(__dirname, 'worker-body.js'), { workerData });
  const msg = new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return { w, msg };
}

describe('worker_threads', () => {
  test('three workers use the addon at the same time as the main thread', async () => {
    const results = tova.channelCreate(8);
    const runs = [0, 1, 2].map((index) => run({ index, results }));
    // The main thread keeps working meanwhile.
    const mine = await tova.concurrentAll(Array.from({ length: 50000 }, (_, i) => i));
    expect(mine[49999]).toBe(49999);
    const msgs = await Promise.all(runs.map((r) => r.msg));
    const fib = [6765, 10946, 17711];
    msgs.forEach((m, i) => {
      expect(m.ok).toBe(true);
      expect(m.index).toBe(i);
      expect(m.fib).toBe(fib[i]);
      expect(m.back).toBe(i);
      expect(m.health).toBe('tova_runtime ok');
    });
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await tova.channelRecv(results));
    expect(got.sort()).toEqual([100, 101, 102]);
    await Promise.all(runs.map((r) => r.w.terminate()));
  }, 30000);

  test('workers wake the main thread\'s pending channelRecv promises', async () => {
    const ch = tova.channelCreate(0);
    const count = 500;
    const pending = Array.from({ length: 2 * count }, () => tova.channelRecv(ch));
    const runs = [0, 1].map((index) => run({ index, sendTo: ch, count }));
    const values = await Promise.all(pending);
    const msgs = await Promise.all(runs.map((r) => r.msg));
    msgs.forEach((m) => expect(m.sent).toBe(count));
    expect(values.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * count }, (_, i) => i));
    await Promise.all(runs.map((r) => r.w.terminate()));
  }, 30000);

  test('terminating a worker ends its task parked on a channel of the main thread: no receiver is left behind', async () => {
    const ch = tova.channelCreate(0);
    const { w, msg } = run({ index: 0, sumFrom: ch });
    expect((await msg).receiving).toBe(true);
    // Unbuffered: this send completes only when the worker's task takes it,
    // so the task runs and receives; then it waits for the next value.
    await tova.channelSendAsync(ch, 1);
    await w.terminate();
    // Its wait was withdrawn at the worker's teardown: nobody takes a value now.
    expect(tova.channelSend(ch, 2)).toBe(false);
    expect(tova.channelReceive(ch)).toBeNull();
  }, 30000);

  test('terminating a worker that spins in WebAssembly works, the main thread carries on', async () => {
    const { w, msg } = run({ index: 0, results: tova.channelCreate(1), spin: true });
    expect((await msg).spinning).toBe(true);
    await w.terminate();
    expect(await tova.spawnTask(5)).toBe(5);
  }, 30000);
});
