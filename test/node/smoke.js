#!/usr/bin/env node
// Node smoke test: loads the package with plain node, runs tasks, channels and
// (when the engine is in the build) WebAssembly, and exits by itself.
//   node test/node/smoke.js
'use strict';
const assert = require('assert');
const path = require('path');
const tova = require(path.join(__dirname, '..', '..'));
const { mathModule } = require(path.join(__dirname, '..', 'js', 'wasm-builder.js'));

async function main() {
  if (!tova.isRuntimeAvailable()) {
    console.error(tova.runtimeLoadError());
    process.exit(1);
  }
  assert.strictEqual(tova.healthCheck(), 'tova_runtime ok');

  // Tasks.
  assert.strictEqual(await tova.spawnTask(42), 42);
  assert.strictEqual(await tova.spawnTask(2n ** 60n), 2n ** 60n);
  const n = 100000;
  const all = await tova.concurrentAll(Array.from({ length: n }, (_, i) => i));
  assert.strictEqual(all.length, n);
  assert.strictEqual(all[n - 1], n - 1);

  // Channels: try-operations, close, waiting forms.
  const ch = tova.channelCreate(2);
  assert.strictEqual(tova.channelSend(ch, 1), true);
  assert.strictEqual(tova.channelSend(ch, 2), true);
  assert.strictEqual(tova.channelSend(ch, 3), false);
  assert.strictEqual(tova.channelReceive(ch), 1);
  const pending = tova.channelSendAsync(ch, 3);
  assert.strictEqual(tova.channelReceive(ch), 2);
  await pending;
  assert.strictEqual(await tova.channelRecv(ch), 3);
  const waiting = tova.channelRecv(ch);
  tova.channelClose(ch);
  assert.strictEqual(await waiting, null);
  assert.throws(() => tova.channelSend(ch, 1), (e) => e.code === 'TOVA_CLOSED');

  // WebAssembly.
  const math = mathModule();
  let wasm = 'skipped';
  try {
    tova.compile(math);
    wasm = 'ok';
  } catch (e) {
    if (e.code !== 'TOVA_INVALID_MODULE' && e.code !== 'TOVA_UNSUPPORTED') throw e;
    wasm = `skipped (${e.message})`;
  }
  if (wasm === 'ok') {
    assert.strictEqual(await tova.execWasm(math, 'add', [3, 4]), 7);
    assert.strictEqual(await tova.execWasm(math, 'fib', [10]), 55);
    await assert.rejects(tova.execWasm(math, 'div32', [1, 0]), (e) => e.code === 'TOVA_TRAP');
    const rs = await tova.concurrentWasm(Array.from({ length: 1000 }, (_, i) => ({ wasm: math, func: 'add', args: [i, i] })));
    assert.strictEqual(rs[999], 1998);
    const shared = await tova.concurrentWasmShared(Array.from({ length: 1000 }, (_, i) => ({ wasm: math, func: 'add', args: [i, 1] })));
    assert.strictEqual(shared[999], 1000);
    const bulk = await tova.callBulk(tova.compile(math), 'add32', new Int32Array([1, 2, 3, 4]));
    assert.deepStrictEqual(Array.from(bulk), [3, 7]);
  }

  // Left pending on purpose: must not keep node alive.
  tova.channelRecv(tova.channelCreate(1));
  console.log(`node smoke test: ok (tasks, channels, wasm ${wasm}) using ${tova.runtimePath()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
