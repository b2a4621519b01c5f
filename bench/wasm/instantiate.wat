;; A small but not empty module for the instantiation-rate benchmark: one page
;; of memory with a data segment, a mutable global, a funcref table with an
;; element segment and a few functions, the pieces a compiled Tova module
;; typically has. Instantiating it must allocate and initialise each of them.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "tova benchmark data segment")
  (global $counter (export "counter") (mut i64) (i64.const 0))
  (table 4 funcref)
  (elem (i32.const 0) $inc $get $twice $add)
  (type $unary (func (param i64) (result i64)))
  (func $inc (param $x i64) (result i64)
    (global.set $counter (i64.add (global.get $counter) (local.get $x)))
    (global.get $counter))
  (func $get (param $x i64) (result i64) (global.get $counter))
  (func $twice (param $x i64) (result i64) (i64.mul (local.get $x) (i64.const 2)))
  (func $add (export "add") (param $a i64) (param $b i64) (result i64)
    (i64.add (local.get $a) (local.get $b)))
  (func (export "dispatch") (param $slot i32) (param $x i64) (result i64)
    (call_indirect (type $unary) (local.get $x) (local.get $slot)))
  (func (export "peek") (result i64)
    (i64.load8_u (i32.const 16))))
