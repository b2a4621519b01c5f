;; Tight integer loops: no calls, no memory, only locals, arithmetic and one
;; back-edge per iteration. Both take and return i64 so they are called the
;; same way as every other benchmark entry.
(module
  ;; sum_sq_mod(n) = sum over i in [0, n) of (i * i) mod 1000003, in i64.
  ;; The remainder is a real division in every engine, JIT included.
  (func (export "sum_sq_mod") (param $n i64) (result i64)
    (local $i i64) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
        (local.set $acc
          (i64.add (local.get $acc)
            (i64.rem_u (i64.mul (local.get $i) (local.get $i)) (i64.const 1000003))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $acc))

  ;; mix(n): cheap i32 operations only, so the time is almost all instruction
  ;; dispatch (the worst case for an interpreter against a JIT). i32 wraps, so
  ;; JS recomputes it with Math.imul:
  ;;   acc = 0; for (i = 0; i < n; i++) acc = (acc + ((i * i) ^ (i >>> 3))) ^ (acc >>> 13)
  (func (export "mix") (param $n64 i64) (result i64)
    (local $n i32) (local $i i32) (local $acc i32)
    (local.set $n (i32.wrap_i64 (local.get $n64)))
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $next
        (local.set $acc
          (i32.xor
            (i32.add
              (local.get $acc)
              (i32.xor
                (i32.mul (local.get $i) (local.get $i))
                (i32.shr_u (local.get $i) (i32.const 3))))
            (i32.shr_u (local.get $acc) (i32.const 13))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_s (local.get $i) (local.get $n)))))
    (i64.extend_i32_u (local.get $acc))))
