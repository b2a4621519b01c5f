// The part of `bun:test` that the runtime's concurrency tests use, for Node:
// test/js/node/run.js runs those test files under Node, where a
// ThreadSanitizer build of the addon can be loaded (Bun's own threads trip
// TSan's interceptors; Node's do not). describe/test/beforeAll register, run()
// runs in order; expect() has the matchers those files use, with Bun's
// meaning (toEqual: deep equality of values).
'use strict';
const assert = require('assert');
const util = require('util');

const tests = [];
const befores = [];
const prefix = [];

function describe(name, body) {
  prefix.push(name);
  try {
    body();
  } finally {
    prefix.pop();
  }
}

function test(name, fn, timeoutMs) {
  tests.push({ name: [...prefix, name].join(' > '), fn, timeoutMs: timeoutMs || 5000 });
}

function beforeAll(fn) {
  befores.push(fn);
}

function show(v) {
  return util.inspect(v, { depth: 4, breakLength: Infinity });
}

function matchers(actual, negated) {
  const check = (ok, what) => {
    if (ok === negated) throw new assert.AssertionError({ message: `expected ${show(actual)} ${negated ? 'not ' : ''}${what}` });
  };
  const deepEqual = (a, b) => {
    try {
      assert.deepStrictEqual(a, b);
      return true;
    } catch {
      return false;
    }
  };
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(deepEqual(actual, e), `to equal ${show(e)}`),
    toBeNull: () => check(actual === null, 'to be null'),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeDefined: () => check(actual !== undefined, 'to be defined'),
    toBeTruthy: () => check(!!actual, 'to be truthy'),
    toBeFalsy: () => check(!actual, 'to be falsy'),
    toBeGreaterThan: (e) => check(actual > e, `to be > ${show(e)}`),
    toBeGreaterThanOrEqual: (e) => check(actual >= e, `to be >= ${show(e)}`),
    toBeLessThan: (e) => check(actual < e, `to be < ${show(e)}`),
    toBeLessThanOrEqual: (e) => check(actual <= e, `to be <= ${show(e)}`),
    toBeInstanceOf: (c) => check(actual instanceof c, `to be an instance of ${c.name}`),
    toContain: (e) => check(actual != null && actual.includes(e), `to contain ${show(e)}`),
    toMatch: (re) => check(typeof actual === 'string' && (typeof re === 'string' ? actual.includes(re) : re.test(actual)), `to match ${re}`),
    toThrow: () => {
      let threw = false;
      try {
        actual();
      } catch {
        threw = true;
      }
      check(threw, 'to throw');
    },
  };
}

function expect(actual) {
  const m = matchers(actual, false);
  m.not = matchers(actual, true);
  return m;
}

// Runs what the loaded files registered; resolves to the number failed.
async function run(log) {
  for (const fn of befores) await fn();
  let failed = 0;
  for (const t of tests) {
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([
        Promise.resolve().then(t.fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]);
      log(`(pass) ${t.name} [${Date.now() - t0} ms]`);
    } catch (e) {
      failed++;
      log(`(fail) ${t.name}: ${e && e.stack ? e.stack : e}`);
    } finally {
      clearTimeout(timer);
    }
  }
  log(`${tests.length - failed} pass, ${failed} fail`);
  return failed;
}

module.exports = { describe, test, beforeAll, expect, run };
