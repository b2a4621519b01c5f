;; Sieve of Eratosthenes over a byte array in linear memory: byte loads and
;; stores, nested loops, bounds checks. Returns how many primes are below n
;; (664579 for n = 10,000,000). The memory holds up to 16 MiB of flags.
(module
  (memory (export "memory") 256)
  (func (export "sieve") (param $n64 i64) (result i64)
    (local $n i32) (local $i i32) (local $j i32) (local $count i32)
    (local.set $n (i32.wrap_i64 (local.get $n64)))
    ;; Refuse sizes that do not fit in memory instead of trapping half way.
    (if (i32.or (i32.lt_s (local.get $n) (i32.const 2))
                (i32.gt_u (local.get $n) (i32.const 16777216)))
      (then (return (i64.const 0))))
    ;; flags[k] = 1 means k is composite; clear them so the call can be repeated.
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $outer_done
      (loop $outer
        (br_if $outer_done (i32.gt_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
        (if (i32.eqz (i32.load8_u (local.get $i)))
          (then
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $inner_done
              (loop $inner
                (br_if $inner_done (i32.ge_u (local.get $j) (local.get $n)))
                (i32.store8 (local.get $j) (i32.const 1))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $inner)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    ;; Count the numbers in [2, n) still unmarked.
    (local.set $i (i32.const 2))
    (block $count_done
      (loop $count_loop
        (br_if $count_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $count
          (i32.add (local.get $count) (i32.eqz (i32.load8_u (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $count_loop)))
    (i64.extend_i32_u (local.get $count))))
