;; Dense f64 matrix multiply C = A x B of n x n row-major matrices in linear
;; memory (A at 0, B at n*n*8, C at 2*n*n*8): f64 loads, stores, multiply-add
;; and address arithmetic in a triple loop.
;; The inputs are filled inside WebAssembly with multiples of 0.25, so every
;; product and partial sum is exact in f64 and JS can recompute the checksum:
;;   A[i][j] = ((3i + 5j) mod 17) * 0.25 - 1.5
;;   B[i][j] = ((7i + 2j) mod 13) * 0.5  - 2.0
;; Returns trunc(16 * sum of all C[i][j]) as i64. n is limited to 512 (6 MiB).
(module
  (memory (export "memory") 100)
  (func (export "matmul") (param $n64 i64) (result i64)
    (local $n i32) (local $i i32) (local $j i32) (local $k i32)
    (local $a i32) (local $b i32) (local $c i32) (local $row i32)
    (local $sum f64) (local $total f64)
    (local.set $n (i32.wrap_i64 (local.get $n64)))
    (if (i32.or (i32.lt_s (local.get $n) (i32.const 1))
                (i32.gt_s (local.get $n) (i32.const 512)))
      (then (return (i64.const 0))))
    (local.set $a (i32.const 0))
    (local.set $b (i32.mul (i32.mul (local.get $n) (local.get $n)) (i32.const 8)))
    (local.set $c (i32.mul (local.get $b) (i32.const 2)))
    ;; Fill A and B.
    (local.set $i (i32.const 0))
    (loop $fill_i
      (local.set $j (i32.const 0))
      (loop $fill_j
        (local.set $row (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
                                 (i32.const 3)))
        (f64.store (i32.add (local.get $a) (local.get $row))
          (f64.sub
            (f64.mul
              (f64.convert_i32_s
                (i32.rem_u (i32.add (i32.mul (local.get $i) (i32.const 3))
                                    (i32.mul (local.get $j) (i32.const 5)))
                           (i32.const 17)))
              (f64.const 0.25))
            (f64.const 1.5)))
        (f64.store (i32.add (local.get $b) (local.get $row))
          (f64.sub
            (f64.mul
              (f64.convert_i32_s
                (i32.rem_u (i32.add (i32.mul (local.get $i) (i32.const 7))
                                    (i32.mul (local.get $j) (i32.const 2)))
                           (i32.const 13)))
              (f64.const 0.5))
            (f64.const 2.0)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $fill_j (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill_i (i32.lt_s (local.get $i) (local.get $n))))
    ;; C[i][j] = sum over k of A[i][k] * B[k][j], in increasing k.
    (local.set $i (i32.const 0))
    (loop $mul_i
      (local.set $j (i32.const 0))
      (loop $mul_j
        (local.set $sum (f64.const 0))
        (local.set $k (i32.const 0))
        (loop $mul_k
          (local.set $sum
            (f64.add (local.get $sum)
              (f64.mul
                (f64.load (i32.add (local.get $a)
                  (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 3))))
                (f64.load (i32.add (local.get $b)
                  (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j)) (i32.const 3)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $mul_k (i32.lt_s (local.get $k) (local.get $n))))
        (f64.store (i32.add (local.get $c)
                     (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
                   (local.get $sum))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $mul_j (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $mul_i (i32.lt_s (local.get $i) (local.get $n))))
    ;; Checksum over C, read back from memory.
    (local.set $i (i32.const 0))
    (loop $sum_i
      (local.set $total
        (f64.add (local.get $total)
          (f64.load (i32.add (local.get $c) (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $sum_i (i32.lt_s (local.get $i) (i32.mul (local.get $n) (local.get $n)))))
    (i64.trunc_f64_s (f64.mul (local.get $total) (f64.const 16)))))
