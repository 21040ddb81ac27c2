;; Benchmark policy (not an example): copies its whole input into linear memory 8 bytes at a time (as
;; the PDKs read input) and allows every task without looking at it. Against floor-constant, its cost
;; is what reading the input through the Extism kernel functions adds to a call.
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi_version\":\"1.0\",\"name\":\"floor-read-input\",\"version\":\"1.0.0\",\"hooks\":[\"admit\"],\"needs\":[]}")
  (data (i32.const 256) "{\"decision\":\"allow\",\"reason\":\"\"}")

  ;; Copies guest memory [ptr, ptr+len) into a new kernel block, 8 bytes at a time, as the PDKs do.
  (func $emit (param $ptr i32) (param $len i32)
    (local $block i64)
    (local $i i32)
    (local.set $block (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done
      (loop $words
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $len)))
        (call $store_u64
          (i64.add (local.get $block) (i64.extend_i32_u (local.get $i)))
          (i64.load (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $words)))
    (block $end
      (loop $bytes
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (call $store_u8
          (i64.add (local.get $block) (i64.extend_i32_u (local.get $i)))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $bytes)))
    (call $output_set (local.get $block) (i64.extend_i32_u (local.get $len))))

  (func (export "describe") (result i32)
    (call $emit (i32.const 0) (i32.const 94))
    (i32.const 0))

  (func (export "admit") (result i32)
    (local $len i64)
    (local $i i64)
    (local.set $len (call $input_length))
    (block $done
      (loop $words
        (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
        (i64.store (i32.add (i32.const 4096) (i32.wrap_i64 (local.get $i))) (call $input_load_u64 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $words)))
    (call $emit (i32.const 256) (i32.const 32))
    (i32.const 0))
)
