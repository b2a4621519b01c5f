;; Producer and consumer tasks for the channel throughput benchmark, using the
;; runtime's host imports (the seed plan's contract):
;;   tova.chan_send(ch: i32, value: i64) -> i32     0 on success
;;   tova.chan_receive(ch: i32) -> i64               waits for a value
;; producer(ch, count) sends 0..count-1 and returns how many sends succeeded;
;; consumer(ch, count) receives count values and returns their sum.
(module
  (import "tova" "chan_send" (func $send (param i32 i64) (result i32)))
  (import "tova" "chan_receive" (func $recv (param i32) (result i64)))
  (func (export "producer") (param $ch i32) (param $count i64) (result i64)
    (local $i i64) (local $ok i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_s (local.get $i) (local.get $count)))
        (if (i32.eqz (call $send (local.get $ch) (local.get $i)))
          (then (local.set $ok (i64.add (local.get $ok) (i64.const 1)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $ok))
  (func (export "consumer") (param $ch i32) (param $count i64) (result i64)
    (local $i i64) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_s (local.get $i) (local.get $count)))
        (local.set $sum (i64.add (local.get $sum) (call $recv (local.get $ch))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum)))
