'use strict';
// Timing and the result table shared by the benchmark programs. Numbers are
// printed, never asserted on: a slow run is information, not a failure. What
// IS checked is each result value, so a wrong engine cannot look fast.

// Every tova figure is a cold start unless the caller names a code cache:
// tova keeps compiled code in the user's cache directory between processes
// (docs/native-tier.md), so a benchmark's second run would find its first
// run's code. Setting process.env from JS does not reach the addon's
// getenv under Bun, so a benchmark run without TOVA_CACHE_DIR runs itself
// again with it set empty (no cache); the columns that measure a program
// run again pass caches of their own to their child processes.
if (process.env.TOVA_CACHE_DIR === undefined) {
  const r = require('child_process').spawnSync(process.execPath, process.argv.slice(1),
    { stdio: 'inherit', env: { ...process.env, TOVA_CACHE_DIR: '' } });
  process.exit(r.status === null ? 1 : r.status);
}

function now() { return performance.now(); }

// The JS runtime we are in, for labels: the peer is its WebAssembly / Workers.
const JS_HOST = typeof Bun !== 'undefined' ? 'Bun' : 'Node';
const JS_HOST_VERSION = typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : `Node ${process.version}`;

// Runs fn `runs` times (awaiting it if it returns a promise) and keeps the
// fastest run: on a shared, noisy machine the minimum is the most stable figure.
async function best(runs, fn) {
  let ms = Infinity;
  let value;
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    value = await fn();
    const t = now() - t0;
    if (t < ms) ms = t;
  }
  return { ms, value };
}

function fmtMs(ms) {
  if (ms == null || !isFinite(ms)) return '-';
  if (ms >= 100) return ms.toFixed(0) + ' ms';
  if (ms >= 10) return ms.toFixed(1) + ' ms';
  return ms.toFixed(2) + ' ms';
}

function fmtRate(count, ms) {
  if (ms == null || !isFinite(ms) || ms <= 0) return '';
  const perSec = count / (ms / 1000);
  if (perSec >= 1e6) return (perSec / 1e6).toFixed(2) + 'M/s';
  if (perSec >= 1e3) return (perSec / 1e3).toFixed(1) + 'K/s';
  return perSec.toFixed(0) + '/s';
}

// A row: { name, tova: {ms, note?} | {skip: reason}, peer: {name, ms}, count?,
//          check: 'ok ...' | 'WRONG ...', target? } ; rates shown when count is set.
class Table {
  constructor(title) { this.title = title; this.rows = []; this.notes = []; }
  add(row) { this.rows.push(row); }
  note(text) { this.notes.push(text); }
  print() {
    // Rows may carry more peers (r.others: [{ name, ms } or { name, skip }]),
    // shown in one column after the ratio.
    const more = this.rows.some((r) => r.others && r.others.length);
    const head = ['benchmark', 'tova', 'peer', 'ratio tova/peer', ...(more ? ['other peers'] : []), 'target', 'check'];
    const others = (r) => (r.others || []).map((o) => `${o.name} ${o.skip ? 'skipped' : fmtMs(o.ms)}`).join(', ') || '-';
    const lines = this.rows.map((r) => {
      const cell = (side) => {
        if (!side) return '-';
        if (side.skip) return 'skipped';
        const rate = r.count ? ' (' + fmtRate(r.count, side.ms) + ')' : '';
        return fmtMs(side.ms) + rate;
      };
      const peer = r.peer && !r.peer.skip ? `${r.peer.name}: ${cell(r.peer)}` : cell(r.peer);
      let ratio = '-';
      if (r.tova && !r.tova.skip && r.peer && !r.peer.skip) ratio = (r.tova.ms / r.peer.ms).toFixed(2) + 'x';
      return [r.name, cell(r.tova), peer, ratio, ...(more ? [others(r)] : []), r.target || '', r.check || ''];
    });
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
    const fmt = (cols) => cols.map((c, i) => String(c).padEnd(widths[i])).join(' | ').trimEnd();
    console.log('\n' + this.title);
    console.log(fmt(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    for (const l of lines) console.log(fmt(l));
    // One line per distinct reason, naming the rows it applies to.
    const skips = new Map();
    for (const r of this.rows) {
      for (const [who, side] of [['tova', r.tova], ['peer', r.peer], ...(r.others || []).map((o) => [o.name, o])]) {
        if (!side || !side.skip) continue;
        const key = `${who} skipped: ${side.skip}`;
        if (!skips.has(key)) skips.set(key, new Set());
        skips.get(key).add(r.name);
      }
    }
    for (const [reason, names] of skips) console.log(`  ${reason}  [${[...names].join('; ')}]`);
    for (const n of this.notes) console.log('  note: ' + n);
  }
}

// Compare a result with its expected value (numbers or BigInts alike).
function check(label, got, expected) {
  const same = got != null && BigInt(got) === BigInt(expected);
  return same ? `ok ${label}=${got}` : `WRONG ${label}=${got} expected ${expected}`;
}

// Rejects after ms so a stuck asynchronous call cannot hang a benchmark
// program; a call that blocks the JS thread is bounded by run.sh's timeout.
function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

module.exports = { JS_HOST, JS_HOST_VERSION, now, best, fmtMs, fmtRate, Table, check, withTimeout };
