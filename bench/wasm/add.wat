;; The unit of work of the task-spawning benchmarks: add(a, b) = a + b over
;; i64, the same signature as the seed plan's add fixture.
(module
  (func (export "add") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1))))
