;; Hostile policy: logs 1,000 lines of 100 bytes through Extism log_info on every call, then allows.
;; Expected: the call succeeds; the host keeps only the first 4 KiB of logs and marks the cut.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi_version\":\"1.0\",\"name\":\"log-flood\",\"version\":\"1.0.0\",\"hooks\":[\"admit\"],\"needs\":[]}")
  (data (i32.const 88) "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx!")
  (data (i32.const 192) "{\"decision\":\"allow\",\"reason\":\"logged a lot\"}")

  ;; Copies guest memory [ptr, ptr+len) into a new Extism kernel block and makes it the output.
  (func $emit (param $ptr i32) (param $len i32)
    (local $block i64)
    (local $i i32)
    (local.set $block (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (call $store_u8
          (i64.add (local.get $block) (i64.extend_i32_u (local.get $i)))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (call $output_set (local.get $block) (i64.extend_i32_u (local.get $len))))

  (func (export "describe") (result i32)
    (call $emit (i32.const 0) (i32.const 87))
    (i32.const 0))

  (func (export "admit") (result i32)
    (local $i i32)
    (local $block i64)
    (local $j i32)
    (loop $lines
      (local.set $block (call $alloc (i64.const 100)))
      (local.set $j (i32.const 0))
      (loop $copy
        (call $store_u8 (i64.add (local.get $block) (i64.extend_i32_u (local.get $j)))
          (i32.load8_u (i32.add (i32.const 88) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $copy (i32.lt_u (local.get $j) (i32.const 100))))
      (call $log_info (local.get $block))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $lines (i32.lt_u (local.get $i) (i32.const 1000))))
    (call $emit (i32.const 192) (i32.const 44))
    (i32.const 0))
)
