'use strict';
// The Bun Workers peer of the task benchmark: the usual way to spread many
// small WebAssembly calls over threads in JS. W workers each hold an instance
// of add.wasm; the N calls go out in batches (typed arrays, transferred),
// round-robin, and come back the same way.
const path = require('path');
const { Worker } = require('worker_threads');

class AddPool {
  static async start(wasmBytes, workers) {
    const pool = new AddPool();
    pool.workers = [];
    pool.pending = new Map();
    pool.nextId = 0;
    await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
      const w = new Worker(path.join(__dirname, 'add-worker.js'), { workerData: { wasm: wasmBytes } });
      w.on('error', reject);
      w.on('message', (msg) => {
        if (msg.ready) return resolve();
        const done = pool.pending.get(msg.id);
        pool.pending.delete(msg.id);
        done(msg.out);
      });
      pool.workers.push(w);
    })));
    return pool;
  }

  // add(a[i], b[i]) for every i, in batches of `batch`; resolves to a BigInt64Array.
  run(a, b, batch) {
    const n = a.length;
    const out = new BigInt64Array(n);
    const jobs = [];
    for (let start = 0, k = 0; start < n; start += batch, k++) {
      const end = Math.min(n, start + batch);
      const id = this.nextId++;
      const ca = a.slice(start, end), cb = b.slice(start, end);
      jobs.push(new Promise((resolve) => {
        this.pending.set(id, (res) => { out.set(res, start); resolve(); });
      }));
      this.workers[k % this.workers.length].postMessage({ id, a: ca, b: cb }, [ca.buffer, cb.buffer]);
    }
    return Promise.all(jobs).then(() => out);
  }

  stop() { return Promise.all(this.workers.map((w) => w.terminate())); }
}

module.exports = { AddPool };
