;; Test policy (not an example): version 3.0.0 of "route-preferred-pool" spins in route and never returns.
;; A route candidate the shadow tests bind to show that a spinning candidate never changes a live placement.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi_version\":\"1.0\",\"name\":\"route-preferred-pool\",\"version\":\"3.0.0\",\"hooks\":[\"route\"],\"needs\":[]}")
  (data (i32.const 112) "{\"decision\":\"allow\",\"reason\":\"\"}")

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
    (call $emit (i32.const 0) (i32.const 98))
    (i32.const 0))

  ;; Required by ABI v1 for every plugin; never called because describe lists only "route".
  (func (export "admit") (result i32)
    (call $emit (i32.const 112) (i32.const 32))
    (i32.const 0))

  (func (export "route") (result i32)
    (local $n i64)
    (loop $spin
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (br_if $spin (i32.const 1)))
    (i32.const 0))
)
