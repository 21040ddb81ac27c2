;; Hostile policy: tries to make decisions depend on time and entropy. It reads the WASI realtime
;; and monotonic clocks and 8 bytes of WASI random, and denies with all three in the reason as hex:
;; "t=<realtime ns> m=<monotonic ns> r=<random>". The host freezes both clocks at snapshot.time_ms and
;; seeds random from request.task_id, so the same input must always give the same reason.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"abi_version\":\"1.0\",\"name\":\"nondeterminism-probe\",\"version\":\"1.0.0\",\"hooks\":[\"admit\"],\"needs\":[]}")
  (data (i32.const 104) "{\"decision\":\"deny\",\"reason\":\"t=0000000000000000 m=0000000000000000 r=0000000000000000\"}")

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

  ;; Writes the 16 hex digits of v at ptr, most significant first.
  (func $hex (param $ptr i32) (param $v i64)
    (local $i i32)
    (local $d i32)
    (loop $digit
      (local.set $d (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.extend_i32_u (i32.mul (i32.sub (i32.const 15) (local.get $i)) (i32.const 4)))) (i64.const 15))))
      (i32.store8 (i32.add (local.get $ptr) (local.get $i))
        (select (i32.add (local.get $d) (i32.const 48)) (i32.add (local.get $d) (i32.const 87)) (i32.lt_u (local.get $d) (i32.const 10))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $i) (i32.const 16)))))

  (func (export "admit") (result i32)
    (drop (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 60000)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 60008)))
    (drop (call $random_get (i32.const 60016) (i32.const 8)))
    (call $hex (i32.const 135) (i64.load (i32.const 60000)))
    (call $hex (i32.const 154) (i64.load (i32.const 60008)))
    (call $hex (i32.const 173) (i64.load (i32.const 60016)))
    (call $emit (i32.const 104) (i32.const 87))
    (i32.const 0))
)
