;; Hostile policy: tries to read data of earlier calls. Each admit copies the first 64 bytes of its
;; input into linear memory and answers with the previous call's copy, hex-encoded, in the reason.
;; Instances are never shared between tenants, so a tenant only ever sees its own earlier input
;; (and a fresh instance sees zeros).
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi_version\":\"1.0\",\"name\":\"cross-call-memory\",\"version\":\"1.0.0\",\"hooks\":[\"admit\"],\"needs\":[]}")
  ;; Output template at 1024: {"decision":"allow","reason":"<128 hex digits>"}
  (data (i32.const 1024) "{\"decision\":\"allow\",\"reason\":\"")
  (data (i32.const 1182) "\"}")

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
    (call $emit (i32.const 0) (i32.const 95))
    (i32.const 0))

  (func $hexdigit (param $d i32) (result i32)
    (select (i32.add (local.get $d) (i32.const 48)) (i32.add (local.get $d) (i32.const 87))
      (i32.lt_u (local.get $d) (i32.const 10))))

  (func (export "admit") (result i32)
    (local $i i32)
    (local $b i32)
    (local $n i64)
    ;; previous input (kept at 2048..2111) -> hex at 1054..1181
    (loop $hex
      (local.set $b (i32.load8_u (i32.add (i32.const 2048) (local.get $i))))
      (i32.store8 (i32.add (i32.const 1054) (i32.shl (local.get $i) (i32.const 1)))
        (call $hexdigit (i32.shr_u (local.get $b) (i32.const 4))))
      (i32.store8 (i32.add (i32.const 1055) (i32.shl (local.get $i) (i32.const 1)))
        (call $hexdigit (i32.and (local.get $b) (i32.const 15))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $hex (i32.lt_u (local.get $i) (i32.const 64))))
    ;; remember this input's first 64 bytes
    (local.set $n (call $input_length))
    (local.set $i (i32.const 0))
    (loop $keep
      (i32.store8 (i32.add (i32.const 2048) (local.get $i))
        (select
          (call $input_load_u8 (i64.extend_i32_u (local.get $i)))
          (i32.const 0)
          (i64.lt_u (i64.extend_i32_u (local.get $i)) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $keep (i32.lt_u (local.get $i) (i32.const 64))))
    (call $emit (i32.const 1024) (i32.const 160))
    (i32.const 0))
)
