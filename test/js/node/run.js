// Runs some of test/js's Bun test files under Node:
//   node test/js/node/run.js parking channels ...   (test/js/<name>.test.js)
// Each file's `import { ... } from 'bun:test'` becomes a require of
// bun-test-shim.js (other named imports plain requires), `Bun.sleep` a
// timer and `Bun.gc` Node's gc (with --expose-gc); the rest of the file runs as it
// is, as CommonJS with its own path (so its relative requires work). What
// for: scripts/test.sh loads a ThreadSanitizer build of the addon into Node
// and runs the runtime's concurrency tests this way (Bun cannot host TSan).
// Exits 1 when a test fails.
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');
const shim = require('./bun-test-shim.js');

globalThis.Bun = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  gc: () => { if (typeof globalThis.gc === 'function') globalThis.gc(); }, // node --expose-gc
};

// `import { a, b as c } from 'm';` -> `const { a, b: c } = require('m');`
// ('bun:test' -> the shim); any other form of import is refused.
function requireOf(names, from) {
  const target = from === 'bun:test' ? require.resolve('./bun-test-shim.js') : from;
  return `const {${names.replace(/\s+as\s+/g, ': ')}} = require(${JSON.stringify(target)});`;
}

function load(file) {
  const src = fs.readFileSync(file, 'utf8').replace(
    /^import\s*\{([^}]*)\}\s*from\s*'([^']+)';?$/gm,
    (_, names, from) => requireOf(names, from),
  );
  if (/^import\s/m.test(src)) throw new Error(`${file}: a form of import not supported here`);
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(src, file);
}

const names = process.argv.slice(2);
if (!names.length) {
  console.error('usage: node test/js/node/run.js NAME...  (test/js/NAME.test.js)');
  process.exit(2);
}
for (const n of names) load(path.join(__dirname, '..', `${n}.test.js`));
shim.run((line) => console.log(line)).then((failed) => process.exit(failed ? 1 : 0));
