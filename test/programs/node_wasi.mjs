// node_wasi.mjs: run a WASI command under Node's node:wasi, the reference
// the differential tests compare tova with.
//   node node_wasi.mjs [--dir HOST::GUEST] [--env K=V] FILE.wasm [ARGS...]
// Exits with the program's exit status. Also runs under Bun (bench/coremark.sh).
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { argv, exit } from 'node:process';

const preopens = {};
const env = {};
let i = 2;
for (; i < argv.length && argv[i].startsWith('--'); i += 2) {
  const value = argv[i + 1];
  if (argv[i] === '--dir') {
    const [host, guest] = value.split('::');
    preopens[guest ?? host] = host;
  } else if (argv[i] === '--env') {
    const eq = value.indexOf('=');
    env[value.slice(0, eq)] = value.slice(eq + 1);
  } else {
    console.error(`node_wasi: unknown option ${argv[i]}`);
    exit(2);
  }
}
const file = argv[i];
const wasi = new WASI({ version: 'preview1', args: [file, ...argv.slice(i + 1)], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
// wasiImport rather than getImportObject(): Bun's node:wasi has only the former.
const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
exit(wasi.start(instance));
