;; The cost of calls from interpreted code into native code (docs/native-tier.md):
;; `drive` stays interpreted (it may call an import, so native.h's rule keeps
;; it there) and calls the trivial `work` n times; `work` runs native unless
;; the tier is interp. Compare:
;;   wat2wasm bench/wasm/drive.wat -o /tmp/drive.wasm
;;   time build/tova run --tier native /tmp/drive.wasm --invoke drive 20000000
;;   time build/tova run --tier interp /tmp/drive.wasm --invoke drive 20000000
(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (func $work (param $x i64) (result i64) (i64.add (local.get $x) (i64.const 1)))
  (func (export "drive") (param $n i64) (result i64)
    (local $i i64) (local $acc i64)
    (if (i64.lt_s (local.get $n) (i64.const 0)) (then (drop (call $yield))))
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (local.set $acc (i64.add (local.get $acc) (call $work (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $acc)))
