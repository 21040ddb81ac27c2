;; Hostile policy: exports admit but no describe, so the host cannot learn what it is.
;; Expected: the upload is refused (MISSING_EXPORT) naming 'describe'.
(module
  (memory (export "memory") 1)
  (func (export "admit") (result i32)
    (i32.const 0))
)
