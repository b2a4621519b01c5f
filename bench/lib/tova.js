'use strict';
// Finds the two ways the benchmarks can reach tova_runtime:
//   - the JS package (require of the project root: index.js + the addon), and
//   - the command-line tool `tova` (build*/tova), used for engine benchmarks
//     when the addon is not built.
// Each comes back as null with a reason when it is missing, so a benchmark can
// print "skipped: why" instead of failing.
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(process.env.TOVA_RUNTIME_ROOT || path.join(__dirname, '..', '..'));

function loadApi() {
  try {
    const api = require(ROOT);
    if (typeof api.isRuntimeAvailable === 'function' && !api.isRuntimeAvailable()) {
      return { api: null, reason: `the package at ${ROOT} loads but its native addon is not available (build it: npm run build)` };
    }
    return { api, reason: null };
  } catch (e) {
    return { api: null, reason: `cannot load the tova package at ${ROOT}: ${firstLine(e.message)}` };
  }
}

// `name` is available on the API, or the reason it is not.
function need(tova, name) {
  if (!tova.api) return tova.reason;
  if (typeof tova.api[name] !== 'function') return `the JS API has no ${name}() yet`;
  return null;
}

// The CLI: $TOVA_CLI, else the newest build*/tova under the project root.
function findCli() {
  if (process.env.TOVA_CLI) {
    return fs.existsSync(process.env.TOVA_CLI)
      ? { cli: process.env.TOVA_CLI, reason: null }
      : { cli: null, reason: `TOVA_CLI=${process.env.TOVA_CLI} does not exist` };
  }
  let bestPath = null;
  let bestTime = -1;
  // build-bench/project/tova is where bench/run.sh builds it.
  const candidates = fs.readdirSync(ROOT).filter((d) => d.startsWith('build'))
    .map((d) => path.join(ROOT, d, 'tova')).concat(path.join(ROOT, 'build-bench', 'project', 'tova'));
  for (const p of candidates) {
    try {
      const st = fs.statSync(p);
      if (st.isFile() && (st.mode & 0o111) && st.mtimeMs > bestTime) { bestPath = p; bestTime = st.mtimeMs; }
    } catch (_) { /* not there */ }
  }
  return bestPath ? { cli: bestPath, reason: null } : { cli: null, reason: `no tova CLI built (looked for ${ROOT}/build*/tova and build-bench/project/tova)` };
}

function firstLine(s) { return String(s).split('\n')[0]; }

module.exports = { ROOT, loadApi, need, findCli, firstLine };
