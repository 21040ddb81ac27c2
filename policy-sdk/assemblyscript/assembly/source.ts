// Where the input classes of abi.ts read their members from: the JSON document of ABI 1.0
// (JsonSource, over the lazy ObjectView of json.ts) or the slot layout of ABI 1.1 (SlotSource,
// ABI.md section 12), read straight from the call's input through the Extism kernel, a slot at a
// time, so that a member a plugin never reads is never copied, let alone parsed.
//
// Every accessor names the member twice, by JSON name and by slot number; each source uses the one
// its layout has. Objects of the JSON document are sources of their own; the slot layout is flat,
// so its "objects" are the source itself.
import { JsonReader, ObjectView } from "./json";

@external("extism:host/env", "input_length")
declare function input_length(): u64;
@external("extism:host/env", "input_load_u64")
declare function input_load_u64(offset: u64): u64;
@external("extism:host/env", "input_load_u8")
declare function input_load_u8(offset: u64): u8;

/**
 * Length of the current call's 1.1 input. A string's last bytes are read as one word only when 8 bytes remain before
 * it: the JavaScript Extism host faults on an `input_load_u64` that passes the end of the input (the Java host fills
 * with zeros), and a plugin must decide the same under every Extism host.
 */
let inputEnd: u64 = 0;

/** The `n` (< 8) bytes at `from` as a little-endian word, never reading past the end of the input. */
function loadTail(from: u64, n: i32): u64 {
  if (from + 8 <= inputEnd) return input_load_u64(from);
  let w: u64 = 0;
  for (let j = n - 1; j >= 0; j--) w = (w << 8) | <u64>input_load_u8(from + <u64>j);
  return w;
}

/** Slot numbers of the 1.1 layout (ABI.md section 12). Append only. */
export namespace Slot {
  export const ABI_VERSION: i32 = 0;
  export const TENANT_ID: i32 = 1;
  export const TENANT_TIER: i32 = 2;
  export const TENANT_LABELS: i32 = 3;
  export const TASK_ID: i32 = 4;
  export const SESSION_ID: i32 = 5;
  export const WORKLOAD: i32 = 6;
  export const MODEL_REF: i32 = 7;
  export const ENGINE: i32 = 8;
  export const PRIORITY: i32 = 9;
  export const MAX_TOKENS: i32 = 10;
  export const DEADLINE_MS: i32 = 11;
  export const CTX: i32 = 12;
  export const REQUEST_LABELS: i32 = 13;
  export const PROMPT_CHARS: i32 = 14;
  export const PROMPT: i32 = 15;
  export const TIME_MS: i32 = 16;
  export const RUNNING: i32 = 17;
  export const QUEUED: i32 = 18;
  export const MAX_CONCURRENT: i32 = 19;
  export const MAX_QUEUED: i32 = 20;
  export const TOKENS_PER_MINUTE_USED: i32 = 21;
  export const TOKENS_PER_MINUTE: i32 = 22;
  export const QUEUES: i32 = 23;
  export const MODEL_ID: i32 = 24;
  export const MODEL_STATE: i32 = 25;
  export const CANDIDATES: i32 = 26;
  /** No slot: a member only the JSON layout has a name for (the layout's objects). */
  export const NONE: i32 = -1;
}

/** Slots of one candidate in the 1.1 layout. */
export namespace CandidateSlot {
  export const REPLICA_ID: i32 = 0;
  export const POOL_ID: i32 = 1;
  export const ENGINE: i32 = 2;
  export const FREE_SLOTS: i32 = 3;
  export const LABELS: i32 = 4;
}

/** "SLB1", little-endian: the first four bytes of every 1.1 input. */
const MAGIC: u32 = 0x31424c53;
const HEADER_BYTES: u64 = 16;
const ABSENT: u32 = 0xffffffff;
/** A null integer of the 1.1 layout. */
export const NULL_INT: i64 = i64.MIN_VALUE;

export abstract class InputSource {
  /** The object member `name`; the slot layout has no objects and answers itself. */
  abstract object(name: string): InputSource | null;
  abstract string(name: string, slot: i32, fallback: string): string;
  abstract nullableString(name: string, slot: i32): string | null;
  abstract int(name: string, slot: i32, fallback: i64): i64;
  /** An integer that may be null (`has` false) — read `has` first, then `value`. */
  abstract hasInt(name: string, slot: i32): bool;
  abstract stringMap(name: string, slot: i32): Map<string, string>;
  /** The value of `key` in the string map `name`, without building the map. */
  abstract entry(name: string, slot: i32, key: string): string | null;
  /** Queue depth per pool id (`snapshot.queues`). */
  abstract depths(): Map<string, i64>;
}

export class JsonSource extends InputSource {
  constructor(public view: ObjectView) {
    super();
  }

  static of(view: ObjectView | null): JsonSource | null {
    return view === null ? null : new JsonSource(view);
  }

  object(name: string): InputSource | null {
    return JsonSource.of(this.view.object(name));
  }
  string(name: string, slot: i32, fallback: string): string {
    return this.view.string(name, fallback);
  }
  nullableString(name: string, slot: i32): string | null {
    return this.view.nullableString(name);
  }
  int(name: string, slot: i32, fallback: i64): i64 {
    return this.view.int(name, fallback);
  }
  hasInt(name: string, slot: i32): bool {
    const r = this.view.seek(name);
    return r !== null && !r.isNull();
  }
  stringMap(name: string, slot: i32): Map<string, string> {
    return this.view.stringMap(name);
  }
  entry(name: string, slot: i32, key: string): string | null {
    return this.view.entry(name, key);
  }
  depths(): Map<string, i64> {
    const m = new Map<string, i64>();
    const pools = this.view.object("queues");
    if (pools !== null) {
      const n = pools.size();
      for (let i = 0; i < n; i++) {
        const pool = pools.memberAt(i);
        const r = pools.reader;
        m.set(pool, r.isNull() ? 0 : new ObjectView(r, r.pos).int("depth", 0));
      }
    }
    return m;
  }
}

/** The call's 1.1 input, read through the kernel: one `input_load_u64` per slot, a few per string. */
export class SlotSource extends InputSource {
  private slots: u32;
  private length: u64;

  /** Checks the header of the call's input; fails the call if it is not the 1.1 layout. */
  constructor() {
    super();
    this.length = input_length();
    inputEnd = this.length;
    const head = this.length >= HEADER_BYTES ? input_load_u64(0) : 0;
    if (<u32>head != MAGIC || ((<u32>(head >>> 32)) & 0xffff) != 1) {
      throw new Error("input is not in the ABI 1.1 slot layout (is the plugin declaring the ABI version it reads?)");
    }
    this.slots = <u32>input_load_u64(8);
  }

  /** The raw 8 bytes of top-level slot `i`; a slot past the host's count reads as absent. */
  slot(i: i32): u64 {
    if (i < 0 || <u32>i >= this.slots) return <u64>ABSENT;
    return input_load_u64(HEADER_BYTES + (<u64>i << 3));
  }

  object(name: string): InputSource | null {
    return this;
  }
  string(name: string, slot: i32, fallback: string): string {
    const s = readString(this.slot(slot));
    return s === null ? fallback : s;
  }
  nullableString(name: string, slot: i32): string | null {
    return readString(this.slot(slot));
  }
  int(name: string, slot: i32, fallback: i64): i64 {
    if (slot < 0 || <u32>slot >= this.slots) return fallback;
    const v = <i64>this.slot(slot);
    return v == NULL_INT ? fallback : v;
  }
  hasInt(name: string, slot: i32): bool {
    if (slot < 0 || <u32>slot >= this.slots) return false;
    return <i64>this.slot(slot) != NULL_INT;
  }
  stringMap(name: string, slot: i32): Map<string, string> {
    return readStringMap(this.slot(slot));
  }
  entry(name: string, slot: i32, key: string): string | null {
    return readEntry(this.slot(slot), key);
  }
  depths(): Map<string, i64> {
    const m = new Map<string, i64>();
    const ref = this.slot(Slot.QUEUES);
    const at = <u32>ref;
    if (at == ABSENT) return m;
    const n = <u32>(ref >>> 32);
    for (let i: u32 = 0; i < n; i++) {
      const e = <u64>at + (<u64>i << 4);
      const k = readString(input_load_u64(e));
      if (k !== null) m.set(k, <i64>input_load_u64(e + 8));
    }
    return m;
  }

  /** Number of candidates of a route input (0 for admit). */
  candidateCount(): i32 {
    const ref = this.slot(Slot.CANDIDATES);
    return <u32>ref == ABSENT ? 0 : <i32>(ref >>> 32);
  }

  /** Slot `field` of candidate `i` (0 <= i < candidateCount()), absent past the host's stride. */
  candidateSlot(i: i32, field: i32): u64 {
    const at = <u64><u32>this.slot(Slot.CANDIDATES);
    const strideWord = input_load_u64(at);
    const stride = <u32>strideWord;
    if (<u32>field >= stride) return <u64>ABSENT;
    return input_load_u64(at + 8 + ((<u64>i * <u64>stride + <u64>field) << 3));
  }
}

// Scratch buffers reused by every call: the string is decoded from here, so reading a member
// allocates only the string itself (each allocation is also work for the end-of-call collection).
let scratch = new ArrayBuffer(256);
let keyScratch = new ArrayBuffer(64);

function room(buf: ArrayBuffer, n: i32): ArrayBuffer {
  return buf.byteLength >= n ? buf : new ArrayBuffer(max(n, buf.byteLength << 1));
}

/** The string a slot points to, or null when absent. */
export function readString(ref: u64): string | null {
  const at = <u32>ref;
  if (at == ABSENT) return null;
  const n = <i32>(ref >>> 32);
  if (n == 0) return "";
  const buf = room(scratch, n);
  scratch = buf;
  copyInput(changetype<usize>(buf), <u64>at, n);
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>n);
}

/** Copies `n` input bytes from `from` to guest address `to`, eight per kernel call. */
function copyInput(to: usize, from: u64, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) store<u64>(to + <usize>i, input_load_u64(from + <u64>i));
  if (i < n) {
    let w = loadTail(from + <u64>i, n - i);
    for (; i < n; i++) {
      store<u8>(to + <usize>i, <u8>w);
      w >>>= 8;
    }
  }
}

/** A map slot as a Map (empty when absent). */
export function readStringMap(ref: u64): Map<string, string> {
  const m = new Map<string, string>();
  const at = <u32>ref;
  if (at == ABSENT) return m;
  const n = <u32>(ref >>> 32);
  for (let i: u32 = 0; i < n; i++) {
    const e = <u64>at + (<u64>i << 4);
    const k = readString(input_load_u64(e));
    const v = readString(input_load_u64(e + 8));
    if (k !== null) m.set(k, v === null ? "" : v);
  }
  return m;
}

/**
 * The value of `key` in a map slot, or null. Compares the key's UTF-8 bytes in place, eight at a
 * time, so a lookup allocates only the key's bytes and the value it returns.
 */
export function readEntry(ref: u64, key: string): string | null {
  const at = <u32>ref;
  if (at == ABSENT) return null;
  const n = <u32>(ref >>> 32);
  const wantLength = String.UTF8.byteLength(key);
  const want = room(keyScratch, wantLength);
  keyScratch = want;
  const p = changetype<usize>(want);
  String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, p);
  for (let i: u32 = 0; i < n; i++) {
    const e = <u64>at + (<u64>i << 4);
    const k = input_load_u64(e);
    if (<u32>k == ABSENT || <i32>(k >>> 32) != wantLength) continue;
    if (inputEquals(<u64><u32>k, p, wantLength)) return readString(input_load_u64(e + 8));
  }
  return null;
}

function inputEquals(from: u64, p: usize, n: i32): bool {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    if (input_load_u64(from + <u64>i) != load<u64>(p + <usize>i)) return false;
  }
  if (i < n) {
    const w = loadTail(from + <u64>i, n - i);
    const bits = <u64>(n - i) << 3;
    const mask = (<u64>1 << bits) - 1;
    let mine: u64 = 0;
    for (let j = n - 1; j >= i; j--) mine = (mine << 8) | <u64>load<u8>(p + <usize>j);
    if ((w & mask) != mine) return false;
  }
  return true;
}

/** A JSON input document as a source (ABI 1.0, and plugin tests that build inputs from JSON). */
export function jsonSource(bytes: ArrayBuffer): InputSource {
  return new JsonSource(new ObjectView(new JsonReader(bytes), changetype<usize>(bytes)));
}
