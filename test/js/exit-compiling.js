// Exit test script: the process ends while the background compiler is busy
// with its first module (LLVM starting up, then compiling): exit must
// neither crash nor wait for the compile. argv[2]: milliseconds after the
// first result before process.exit(), or 'natural' to let the event loop
// end by itself.
'use strict';
const tova = require('../..');
const { watModule } = require('./parking-fixture.js');

// Eight functions with nested loops and memory: a small module (compiled
// whole at once in the default tier) that keeps LLVM busy for a while.
const funcs = Array.from({ length: 8 }, (_, k) => `
  (func (export "f${k}") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    (block $out (loop $outer
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $in (loop $inner
        (br_if $in (i32.ge_u (local.get $j) (i32.const 64)))
        (i32.store (i32.shl (local.get $j) (i32.const 2))
          (i32.add (i32.load (i32.shl (local.get $j) (i32.const 2)))
                   (i32.mul (local.get $i) (i32.const ${k + 3}))))
        (local.set $acc (i32.xor (local.get $acc) (i32.load (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $inner)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (local.get $acc))`).join('\n');
const M = watModule(`(module (memory 1) ${funcs})`);

const when = process.argv[2] || 'natural';
tova.execWasm(M, 'f0', [3]).then((r) => {
  if (typeof r !== 'number') throw new Error(`bad result ${r}`);
  console.log('done');
  if (when !== 'natural') setTimeout(() => process.exit(0), Number(when));
});
