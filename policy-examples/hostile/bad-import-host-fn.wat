;; Hostile policy: imports a host function that is not part of the Extism kernel.
;; Expected: the upload is refused (FORBIDDEN_IMPORT) with a message naming 'env.read_secret'.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "env" "read_secret" (func $read_secret (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi_version\":\"1.0\",\"name\":\"bad-import-host-fn\",\"version\":\"1.0.0\",\"hooks\":[\"admit\"],\"needs\":[]}")
  (data (i32.const 104) "{\"decision\":\"allow\",\"reason\":\"\"}")

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
    (drop (call $read_secret (i32.const 0)))
    (call $emit (i32.const 104) (i32.const 32))
    (i32.const 0))
)
