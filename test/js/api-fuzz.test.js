// Fuzzing of the public API: every function the package (index.js) and the
// addon file itself export, called with generated bad arguments in a child
// process (api-fuzz-child.js), so that a crash is seen as the child's signal
// or status and a hang as a call that never returns.
//
// The oracle (checked by the child, call by call): a call returns, throws an
// Error with a message and a documented `code`, or returns a promise (or a
// handle holding one) that settles, rejecting only with such an Error. After
// the abuse the runtime still works, and the child exits by itself.
//
// Reproduce a reported call alone (it is generated from seed and index only):
//   node_modules/.bin/bun test/js/api-fuzz-child.js seed=S mode=M heavy=H from=I calls=1
// (node --expose-gc ... for the runs under Node; each report prints its line). TOVA_FUZZ_SEED=N replaces
// the seeds below, TOVA_FUZZ_CALLS=N the length of the random runs.
import { describe, test, expect } from 'bun:test';
import { spawn, spawnSync } from 'child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const CHILD = join(__dirname, 'api-fuzz-child.js');
const HANG_MS = 30000; // a call that has not returned by then is a hang: the child is killed
const EXIT_MS = 20000; // the child must exit this soon after its main is done
const RUN_MS = 300000; // safety net for one child process
const MAX_RESTARTS = 6; // after a crash or hang, go on after the call that caused it

const envSeed = process.env.TOVA_FUZZ_SEED;
const randomCalls = process.env.TOVA_FUZZ_CALLS || '3000';
const seed = (s) => (envSeed !== undefined ? Number(envSeed) : s);

function haveNode() {
  return spawnSync('node', ['--version'], { encoding: 'utf8' }).status === 0;
}

// systematic: every pool value in every argument slot of every export;
// random: a seeded mix. Under Node with --expose-gc the saboteur values really
// free what they detach (Bun hides some of what that reveals).
const RUNS = [
  { name: 'bun, systematic', bin: process.execPath, flags: [], mode: 'systematic', seed: seed(1), heavy: 1 },
  { name: 'bun, random', bin: process.execPath, flags: [], mode: 'random', seed: seed(20261202), calls: randomCalls },
  { name: 'node, systematic', bin: 'node', flags: ['--expose-gc'], mode: 'systematic', seed: seed(7), heavy: 0, needsNode: true },
];

// ---- running a child ---------------------------------------------------------------

function parseLog(text) {
  const ev = { calls: new Map(), returned: new Set(), settled: new Map(), violations: [], summaries: [], skipped: [], post: null, end: null };
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    const tag = line.slice(0, sp);
    const rest = line.slice(sp + 1);
    try {
      if (tag === 'C') {
        const [i, , ...json] = rest.split(' ');
        ev.calls.set(Number(i), JSON.parse(json.join(' ')));
        ev.last = Number(i);
      } else if (tag === 'W') ev.returned.add(Number(rest.split(' ')[0]));
      else if (tag === 'R') ev.settled.set(Number(rest.split(' ')[0]), rest.split(' ')[1]);
      else if (tag === 'V') ev.violations.push(JSON.parse(rest));
      else if (tag === 'S') ev.summaries.push(JSON.parse(rest));
      else if (tag === 'K') ev.skipped.push(decodeURIComponent(rest));
      else if (tag === 'P') ev.post = JSON.parse(rest);
      else if (tag === 'E') ev.end = Number(rest);
    } catch (_) {
      // a line cut by a crash: the call it belongs to is still known by its C line
    }
  }
  return ev;
}

// One child process, watched through its log: killed when a call does not
// return within HANG_MS, when it has not exited EXIT_MS after its main is done,
// or after RUN_MS in all.
function spawnWatched(bin, args, logPath) {
  return new Promise((resolve) => {
    // stdout is the fuzzed WASI programs'; stderr has what a crash prints.
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env } });
    let out = '';
    child.stderr.on('data', (d) => { out = (out + d).slice(-20000); });
    let killedFor = null;
    let text = '';
    let offset = 0;
    let pendingCall = null, pendingSince = 0, endSeen = 0;
    const started = Date.now();
    const fd = openSync(logPath, 'a+');
    const poll = () => {
      const size = fstatSync(fd).size;
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        offset = size;
        text += buf.toString('utf8');
        const lines = text.split('\n');
        for (const l of lines.slice(0, -1)) {
          if (l.startsWith('C ')) { pendingCall = l.split(' ')[1]; pendingSince = Date.now(); }
          else if (l.startsWith('W ') && l.split(' ')[1] === pendingCall) pendingCall = null;
          else if (l.startsWith('E ')) endSeen = Date.now();
        }
        text = lines[lines.length - 1];
      }
      const now = Date.now();
      const kill = (why) => { if (!killedFor) { killedFor = why; child.kill('SIGKILL'); } };
      if (pendingCall !== null && now - pendingSince > HANG_MS) kill(`hang: call #${pendingCall} had not returned after ${HANG_MS} ms`);
      else if (endSeen && now - endSeen > EXIT_MS) kill(`did not exit within ${EXIT_MS} ms after its main was done`);
      else if (now - started > RUN_MS) kill(`still running after ${RUN_MS} ms`);
    };
    const timer = setInterval(poll, 100);
    child.on('close', (status, signal) => {
      clearInterval(timer);
      const exitedAt = Date.now();
      closeSync(fd);
      resolve({ status, signal, killedFor, output: out, exitedAt, ms: exitedAt - started });
    });
  });
}

// A run: the child, restarted after the call that crashed or hung it.
async function runFuzz(run) {
  const dir = mkdtempSync(join(tmpdir(), 'tova-api-fuzz-run-'));
  const result = { run, segments: [], crashes: [], violations: [], summaries: [], ms: 0 };
  const skip = [];
  let from = 0;
  try {
    for (let attempt = 0; attempt <= MAX_RESTARTS; attempt++) {
      const logPath = join(dir, `log-${attempt}`);
      const calls = run.mode === 'systematic' ? 'all' : String(Number(run.calls) - from);
      const args = [...run.flags, CHILD, `seed=${run.seed}`, `mode=${run.mode}`, `calls=${calls}`, `from=${from}`,
        `heavy=${run.heavy ? 1 : 0}`, `skip=${skip.map(encodeURIComponent).join(',')}`, `log=${logPath}`];
      const r = await spawnWatched(run.bin, args, logPath);
      const ev = parseLog(readFileSync(logPath, 'utf8'));
      result.ms += r.ms;
      result.segments.push({ from, ...r, ev });
      result.violations.push(...ev.violations);
      result.summaries.push(...ev.summaries.filter((s) => s.calls));
      skip.push(...ev.skipped);
      const clean = r.status === 0 && r.signal === null && !r.killedFor;
      if (clean) break;
      // The call in flight: the last one started and not settled.
      const inflight = ev.last !== undefined && !ev.settled.has(ev.last) ? ev.last : null;
      const call = inflight !== null ? ev.calls.get(inflight) : null;
      if (!(r.killedFor && r.killedFor.startsWith('did not exit'))) {
        result.crashes.push({
          runtime: run.name, seed: run.seed, mode: run.mode, call: inflight, target: call && call.target, args: call && call.args,
          returned: inflight !== null && ev.returned.has(inflight),
          what: r.killedFor || (r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`),
          // without what the WASI hello program writes to an inherited stderr
          output: r.output.split('\n').filter((l) => !/^(?:prog|first|GREETING=hi|err)*$/.test(l)).slice(-8).join('\n'),
        });
      }
      if (inflight === null || ev.end) break;
      if (call && call.heavy) skip.push(`${call.heavy}@${call.target.split('.')[0]}`);
      from = inflight + 1;
      if (run.mode === 'random' && from >= Number(run.calls)) break;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  result.last = result.segments[result.segments.length - 1];
  return result;
}

// ---- reports -------------------------------------------------------------------------

function repro(r, v) {
  const bin = r.run.bin === 'node' ? 'node --expose-gc' : 'node_modules/.bin/bun';
  // The same runtime and options: the systematic plan depends on both.
  return `${bin} test/js/api-fuzz-child.js seed=${v.seed} mode=${v.mode} heavy=${r.run.heavy ? 1 : 0} from=${v.call} calls=1`;
}
function groupViolations(r) {
  const groups = new Map();
  for (const v of r.violations) {
    const key = `${v.target || '(outside any call)'}: ${v.kind}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(v);
  }
  return [...groups].map(([key, list]) => {
    const ex = list.slice(0, 2).map((v) => `\n    e.g. call #${v.call} (${(v.args || []).join(' | ')}) -> ${v.detail}\n    repro: ${repro(r, v)}`);
    return `${key} (x${list.length})${ex.join('')}`;
  });
}

const memo = new Map();
function fuzz(run) {
  if (!memo.has(run.name)) memo.set(run.name, runFuzz(run));
  return memo.get(run.name);
}

const TEST_MS = RUN_MS * (MAX_RESTARTS + 1);

for (const run of RUNS) {
  describe(`api fuzz: ${run.name}, seed ${run.seed}`, () => {
    const skipped = () => run.needsNode && !haveNode();

    test('no crash and no hang', async () => {
      if (skipped()) return console.warn('node not on PATH: skipped');
      const r = await fuzz(run);
      const calls = r.segments.reduce((n, seg) => n + seg.ev.calls.size, 0);
      console.log(`api fuzz ${run.name} seed ${run.seed}: ${calls} calls in ${r.ms} ms, ${r.segments.length} process(es), ` +
        `${r.crashes.length} crash(es)/hang(s), ${r.violations.length} violation(s)`);
      const report = r.crashes.map((c) =>
        `${c.what} (${c.runtime}, seed ${c.seed}, ${c.mode}) at call #${c.call}: ${c.target}(${(c.args || []).join(' | ')})` +
        `${c.returned ? ' [after it returned]' : ''}\n    repro: ${repro(r, c)}\n    output: ${c.output}`);
      expect(report).toEqual([]);
    }, TEST_MS);

    test('every failure is an Error with a message and a documented code; every promise settles', async () => {
      if (skipped()) return;
      const r = await fuzz(run);
      expect(groupViolations(r)).toEqual([]);
    }, TEST_MS);

    test('the runtime still works after the abuse', async () => {
      if (skipped()) return;
      const r = await fuzz(run);
      expect(r.last.ev.post).not.toBeNull();
      expect(r.last.ev.post.failures).toEqual([]);
    }, TEST_MS);

    test('the child exits by itself, promptly, when its JS is done', async () => {
      if (skipped()) return;
      const r = await fuzz(run);
      const last = r.last;
      expect(last.ev.end).not.toBeNull();
      expect(last.killedFor).toBeNull();
      expect(last.signal).toBeNull();
      expect(last.status).toBe(0);
      expect(last.exitedAt - last.ev.end).toBeLessThan(EXIT_MS);
    }, TEST_MS);
  });
}

describe('api fuzz: coverage', () => {
  test('every exported function has a fuzz case (or is listed as not to be called) and was called', async () => {
    const r = await fuzz(RUNS[0]);
    const s = r.summaries[r.summaries.length - 1];
    expect(s).toBeDefined();
    // Derived from the exports at run time: a new export without a case fails here.
    expect(s.uncovered).toEqual([]);
    for (const name of Object.keys(s.notCalled)) expect(s.exported.some((e) => e.endsWith(`.${name}`))).toBe(true);
    expect(s.targets.length).toBeGreaterThan(50);
    // Counted from the log's call lines: a segment that crashed has no summary.
    const calls = {};
    for (const seg of r.segments) for (const c of seg.ev.calls.values()) calls[c.target] = (calls[c.target] || 0) + 1;
    const uncalled = s.targets.filter((t) => !(calls[t] > 0));
    expect(uncalled).toEqual([]);
    // Both surfaces: the package and the .node file Tova's bridge calls.
    expect(s.targets.some((t) => t.startsWith('pkg.'))).toBe(true);
    expect(s.targets.some((t) => t.startsWith('node.'))).toBe(true);
  }, TEST_MS);
});
