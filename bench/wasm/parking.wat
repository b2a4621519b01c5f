;; Tasks that park: the programs of bench/parking.js (tova beside Go).
(module
  (import "tova" "chan_send" (func $send (param i32 i64) (result i32)))
  (import "tova" "chan_receive" (func $recv (param i32) (result i64)))
  (import "tova" "select" (func $select (param i32 i32 i64) (result i32)))
  (memory 1)
  ;; Sends 0..n-1 on ch; returns n.
  (func (export "producer") (param $ch i32) (param $n i64) (result i64)
    (local $i i64)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (drop (call $send (local.get $ch) (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $n))
  ;; The work a producer does per value, a pure function of it: 32 rounds of
  ;; xorshift-multiply. It calls no import, so the native tier may run it.
  (func $work (param $x i64) (result i64)
    (local $k i32)
    (loop $round
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 29))))
      (local.set $x (i64.mul (local.get $x) (i64.const 0xbf58476d1ce4e5b9)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $k) (i32.const 32))))
    (local.get $x))
  ;; Sends work(0..n-1) on ch; returns n. Its loop calls chan_send: it runs
  ;; native with the work it calls, and leaves for the interpreter when a send
  ;; parks (docs/native-tier.md).
  (func (export "producer_work") (param $ch i32) (param $n i64) (result i64)
    (local $i i64)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (drop (call $send (local.get $ch) (call $work (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $n))
  ;; The same values as producer_work, with the work written in the sending
  ;; loop itself (how a Tova @wasm function that computes and sends reads):
  ;; the loop calls chan_send, so before native code could leave for the
  ;; interpreter all of it ran interpreted; now it runs native.
  (func (export "producer_inline") (param $ch i32) (param $n i64) (result i64)
    (local $i i64) (local $x i64) (local $k i32)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (local.set $x (local.get $i))
      (local.set $k (i32.const 0))
      (loop $round
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 29))))
        (local.set $x (i64.mul (local.get $x) (i64.const 0xbf58476d1ce4e5b9)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $round (i32.lt_u (local.get $k) (i32.const 32))))
      (drop (call $send (local.get $ch) (local.get $x)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $n))
  ;; Computes work(v) and sends it on ch: a helper that calls chan_send.
  (func $emit (param $ch i32) (param $v i64)
    (local $k i32)
    (loop $round
      (local.set $v (i64.xor (local.get $v) (i64.shr_u (local.get $v) (i64.const 29))))
      (local.set $v (i64.mul (local.get $v) (i64.const 0xbf58476d1ce4e5b9)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $k) (i32.const 32))))
    (drop (call $send (local.get $ch) (local.get $v))))
  ;; The same values again, the loop calling a helper that computes and
  ;; sends: the loop reaches chan_send through a call, so it ran interpreted
  ;; until a park could leave every native frame on the way (rt.h
  ;; wasm_native_leave_frame); now both run native.
  (func (export "producer_helper") (param $ch i32) (param $n i64) (result i64)
    (local $i i64)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (call $emit (local.get $ch) (local.get $i))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $n))
  ;; Receives n values from ch; returns their sum.
  (func (export "consumer") (param $ch i32) (param $n i64) (result i64)
    (local $i i64) (local $sum i64)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (local.set $sum (i64.add (local.get $sum) (call $recv (local.get $ch))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $sum))
  ;; n round trips: send i on out, receive the reply on in; returns the sum of replies.
  (func (export "ping") (param $out i32) (param $in i32) (param $n i64) (result i64)
    (local $i i64) (local $sum i64)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (drop (call $send (local.get $out) (local.get $i)))
      (local.set $sum (i64.add (local.get $sum) (call $recv (local.get $in))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $sum))
  ;; n replies: receive v on in, send v+1 on out; returns n.
  (func (export "pong") (param $in i32) (param $out i32) (param $n i64) (result i64)
    (local $i i64)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (drop (call $send (local.get $out) (i64.add (call $recv (local.get $in)) (i64.const 1))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $n))
  ;; n selects receiving from channels a, b, c, d; returns the sum received.
  (func (export "select4") (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $n i64) (result i64)
    (local $i i64) (local $sum i64) (local $k i32)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (i32.store (i32.const 0) (local.get $a))  (i32.store (i32.const 4) (i32.const 0))
      (i32.store (i32.const 16) (local.get $b)) (i32.store (i32.const 20) (i32.const 0))
      (i32.store (i32.const 32) (local.get $c)) (i32.store (i32.const 36) (i32.const 0))
      (i32.store (i32.const 48) (local.get $d)) (i32.store (i32.const 52) (i32.const 0))
      (local.set $k (call $select (i32.const 0) (i32.const 4) (i64.const -1)))
      (local.set $sum (i64.add (local.get $sum)
        (i64.load offset=8 (i32.mul (local.get $k) (i32.const 16)))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $sum))
  (func (export "recv_one") (param $ch i32) (result i64) (call $recv (local.get $ch)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  ;; add that also writes its memory: a task that changes its instance, so
  ;; every task of a batch gets an instance of its own (add, stateless, may
  ;; share one: src/engine/stateless.c).
  (func (export "add_mem") (param i32 i32) (result i32)
    (i32.store (i32.const 64) (local.get 0))
    (i32.add (local.get 0) (local.get 1)))
)
