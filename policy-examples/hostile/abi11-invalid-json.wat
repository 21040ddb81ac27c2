;; Hostile policy, ABI 1.1: admit ignores its slot input and returns text that is not JSON.
;; Expected: error kind "invalid_output", exactly as for a 1.0 plugin (outputs are JSON in both).
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi_version\":\"1.1\",\"name\":\"abi11-invalid-json\",\"version\":\"1.0.0\",\"hooks\":[\"admit\"],\"needs\":[]}")
  (data (i32.const 128) "{\"decision\": allow")

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
    (call $emit (i32.const 0) (i32.const 96))
    (i32.const 0))

  (func (export "admit") (result i32)
    (call $emit (i32.const 128) (i32.const 18))
    (i32.const 0))
)
