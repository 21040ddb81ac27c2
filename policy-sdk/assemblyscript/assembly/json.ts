// The JSON a policy needs, and no more: a reader that walks the host's UTF-8 input bytes in place and
// a writer that produces UTF-8 output bytes directly.
//
// Why not a general JSON library: under the host's compiler a generic parser spent ~30 µs on a
// 620-byte admit input (decode to UTF-16 first, then parse, with an allocation per token), six times
// the whole per-call budget. Reading bytes in place allocates only the strings a plugin keeps.
// Strict where it matters: malformed input aborts the call with a message naming the byte offset
// (the host never sends any), unknown members are skipped (the ABI's compatibility rule).

const QUOTE: u8 = 0x22;
const BACKSLASH: u8 = 0x5c;
const COMMA: u8 = 0x2c;
const COLON: u8 = 0x3a;
const MINUS: u8 = 0x2d;
const OPEN_OBJECT: u8 = 0x7b;
const CLOSE_OBJECT: u8 = 0x7d;
const OPEN_ARRAY: u8 = 0x5b;
const CLOSE_ARRAY: u8 = 0x5d;

/** Reads one JSON document from UTF-8 bytes. Not reusable: one reader per input. */
export class JsonReader {
  private readonly bytes: ArrayBuffer;
  private readonly base: usize;
  private readonly end: usize;
  /** Address of the next byte to read (linear memory). */
  pos: usize;
  /** The current member name: its UTF-8 bytes, unless it had escapes (then keyDecoded). */
  keyStart: usize = 0;
  keyLength: i32 = 0;
  keyDecoded: string | null = null;
  /** Address of the current member name's opening quote. */
  keyNameStart: usize = 0;

  constructor(bytes: ArrayBuffer) {
    this.bytes = bytes;
    this.base = changetype<usize>(bytes);
    this.pos = this.base;
    this.end = this.base + <usize>bytes.byteLength;
  }

  /** Aborts the call: malformed input is a host bug, never a decision. */
  fail(what: string): void {
    throw new Error("input JSON: " + what + " at byte " + (<i32>(this.pos - this.base)).toString());
  }

  private skipSpace(): void {
    let p = this.pos;
    const end = this.end;
    while (p < end) {
      const c = load<u8>(p);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      p++;
    }
    this.pos = p;
  }

  /** Next significant byte without consuming it; 0 at the end. */
  peek(): u8 {
    this.skipSpace();
    return this.pos < this.end ? load<u8>(this.pos) : 0;
  }

  private expect(c: u8): void {
    if (this.peek() != c) this.fail("expected '" + String.fromCharCode(c) + "'");
    this.pos++;
  }

  /** Consumes `{`. Follow with `while (r.member(i++))`. */
  beginObject(): void {
    this.expect(OPEN_OBJECT);
  }

  /**
   * Moves to member `index` of the current object (0 for the first): reads its key and the colon and
   * returns true, or consumes the closing brace and returns false.
   */
  member(index: i32): bool {
    let c = this.peek();
    if (c == CLOSE_OBJECT) {
      this.pos++;
      return false;
    }
    if (index > 0) {
      if (c != COMMA) this.fail("expected ',' or '}'");
      this.pos++;
      c = this.peek();
    }
    if (c != QUOTE) this.fail("expected a member name");
    this.keyNameStart = this.pos;
    const close = this.stringEnd();
    const start = this.pos + 1;
    if (this.hasEscape) {
      this.keyDecoded = this.decodeEscaped(start, close);
    } else {
      this.keyDecoded = null;
      this.keyStart = start;
      this.keyLength = <i32>(close - start);
    }
    this.pos = close + 1;
    this.expect(COLON);
    return true;
  }

  /** True if the current member's name is `name`. */
  key(name: string): bool {
    const decoded = this.keyDecoded;
    if (decoded !== null) return decoded == name;
    return utf8Equals(this.keyStart, this.keyLength, name);
  }

  /** The current member's name as a string (map keys). */
  keyString(): string {
    const decoded = this.keyDecoded;
    if (decoded !== null) return decoded;
    return String.UTF8.decodeUnsafe(this.keyStart, <usize>this.keyLength);
  }

  /** Consumes `[`. Follow with `while (r.element(i++))`. */
  beginArray(): void {
    this.expect(OPEN_ARRAY);
  }

  /** Moves to element `index` of the current array, or consumes `]` and returns false. */
  element(index: i32): bool {
    const c = this.peek();
    if (c == CLOSE_ARRAY) {
      this.pos++;
      return false;
    }
    if (index > 0) {
      if (c != COMMA) this.fail("expected ',' or ']'");
      this.pos++;
    }
    return true;
  }

  private hasEscape: bool = false;

  /** Position of the closing quote of the string starting at pos; sets hasEscape. */
  private stringEnd(): usize {
    let p = this.pos + 1;
    const end = this.end;
    let escaped = false;
    while (p < end) {
      // Eight bytes at a time up to the first quote, backslash or control byte: strings are most
      // of the input, and each loop turn costs an interrupt check and a bounds check in the host.
      while (p + 8 <= end) {
        const w = load<u64>(p);
        const hit = zeroByte(w ^ 0x2222222222222222) | zeroByte(w ^ 0x5c5c5c5c5c5c5c5c) | lowByte(w);
        if (hit != 0) {
          p += <usize>(ctz(hit) >> 3);
          break;
        }
        p += 8;
      }
      if (p >= end) break;
      const c = load<u8>(p);
      if (c == QUOTE) {
        this.hasEscape = escaped;
        return p;
      }
      if (c == BACKSLASH) {
        escaped = true;
        p += 2;
        continue;
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail("control character in a string");
      }
      p++;
    }
    this.pos = end;
    this.fail("unterminated string");
    return end;
  }

  string(): string {
    if (this.peek() != QUOTE) this.fail("expected a string");
    const close = this.stringEnd();
    const start = this.pos + 1;
    const s = this.hasEscape
      ? this.decodeEscaped(start, close)
      : String.UTF8.decodeUnsafe(start, close - start);
    this.pos = close + 1;
    return s;
  }

  nullableString(): string | null {
    if (this.peek() == 0x6e) {
      this.literal("null");
      return null;
    }
    return this.string();
  }

  /** Decodes [start, close) with escapes. The result is never longer than the source in UTF-8. */
  private decodeEscaped(start: usize, close: usize): string {
    const out = heap.alloc(close - start);
    let o = out;
    let p = start;
    while (p < close) {
      const c = load<u8>(p++);
      if (c != BACKSLASH) {
        store<u8>(o++, c);
        continue;
      }
      const e = load<u8>(p++);
      if (e == 0x22 || e == 0x5c || e == 0x2f) store<u8>(o++, e);
      else if (e == 0x6e) store<u8>(o++, 0x0a);
      else if (e == 0x74) store<u8>(o++, 0x09);
      else if (e == 0x72) store<u8>(o++, 0x0d);
      else if (e == 0x62) store<u8>(o++, 0x08);
      else if (e == 0x66) store<u8>(o++, 0x0c);
      else if (e == 0x75) {
        let cp = this.hex4(p, close);
        p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && p + 6 <= close && load<u8>(p) == BACKSLASH && load<u8>(p + 1) == 0x75) {
          const low = this.hex4(p + 2, close);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            p += 6;
          }
        }
        // A lone surrogate has no UTF-8 form: U+FFFD, as a UTF-8 decoder would give.
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
        o = putCodePoint(o, cp);
      } else {
        heap.free(out);
        this.pos = p - 1;
        this.fail("invalid escape");
      }
    }
    const s = String.UTF8.decodeUnsafe(out, o - out);
    heap.free(out);
    return s;
  }

  private hex4(p: usize, limit: usize): u32 {
    if (p + 4 > limit) {
      this.pos = p;
      this.fail("truncated \\u escape");
    }
    let v: u32 = 0;
    for (let i: usize = 0; i < 4; i++) {
      const c = <u32>load<u8>(p + i);
      let d: u32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else {
        this.pos = p + i;
        this.fail("invalid \\u escape");
        d = 0;
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /** An integer member (the ABI has no fractions). */
  int(): i64 {
    this.skipSpace();
    let p = this.pos;
    const end = this.end;
    let negative = false;
    if (p < end && load<u8>(p) == MINUS) {
      negative = true;
      p++;
    }
    const first = p;
    let v: u64 = 0;
    while (p < end) {
      const d = <u32>load<u8>(p) - 0x30;
      if (d > 9) break;
      if (v > (u64.MAX_VALUE - <u64>d) / 10) {
        this.fail("integer out of range");
      }
      v = v * 10 + <u64>d;
      p++;
    }
    if (p == first) this.fail("expected an integer");
    if (p < end) {
      const c = load<u8>(p);
      if (c == 0x2e || c == 0x65 || c == 0x45) {
        this.pos = p;
        this.fail("expected an integer, found a fraction or exponent");
      }
    }
    const limit: u64 = negative ? <u64>i64.MAX_VALUE + 1 : <u64>i64.MAX_VALUE;
    if (v > limit) this.fail("integer out of range");
    this.pos = p;
    return negative ? -(<i64>v) : <i64>v;
  }

  /** True (and consumed) if the next value is `null`. */
  isNull(): bool {
    if (this.peek() == 0x6e) {
      this.literal("null");
      return true;
    }
    return false;
  }

  private literal(word: string): void {
    const p = this.pos;
    const n = word.length;
    if (p + <usize>n > this.end) this.fail("expected " + word);
    for (let i = 0; i < n; i++) {
      if (<i32>load<u8>(p + <usize>i) != word.charCodeAt(i)) this.fail("expected " + word);
    }
    this.pos = p + <usize>n;
  }

  /** Skips one value of any type (members this SDK does not know). */
  skip(): void {
    const c = this.peek();
    if (c == QUOTE) {
      this.pos = this.stringEnd() + 1;
    } else if (c == OPEN_OBJECT || c == OPEN_ARRAY) {
      this.skipContainer();
    } else if (c == 0x74) {
      this.literal("true");
    } else if (c == 0x66) {
      this.literal("false");
    } else if (c == 0x6e) {
      this.literal("null");
    } else if (c == MINUS || (c >= 0x30 && c <= 0x39)) {
      let p = this.pos + 1;
      while (p < this.end) {
        const d = load<u8>(p);
        if (!((d >= 0x30 && d <= 0x39) || d == 0x2e || d == 0x65 || d == 0x45 || d == 0x2b || d == MINUS)) break;
        p++;
      }
      this.pos = p;
    } else {
      this.fail("expected a value");
    }
  }

  /**
   * Skips the object or array at pos by bracket depth, stepping over strings whole. Checks nesting
   * and strings only: what it skips is never read, and the host's input is well-formed JSON.
   */
  private skipContainer(): void {
    let p = this.pos;
    const end = this.end;
    let depth = 0;
    while (p < end) {
      const c = load<u8>(p);
      if (c == QUOTE) {
        this.pos = p;
        p = this.stringEnd() + 1;
        continue;
      }
      if (c == OPEN_OBJECT || c == OPEN_ARRAY) {
        depth++;
      } else if (c == CLOSE_OBJECT || c == CLOSE_ARRAY) {
        if (--depth == 0) {
          this.pos = p + 1;
          return;
        }
      }
      p++;
    }
    this.pos = end;
    this.fail("unterminated object or array");
  }

  /** An object of string values. */
  stringMap(): Map<string, string> {
    const m = new Map<string, string>();
    this.beginObject();
    let i = 0;
    while (this.member(i++)) {
      const k = this.keyString();
      m.set(k, this.string());
    }
    return m;
  }

  /** Requires that nothing but white space follows the document. */
  finish(): void {
    if (this.peek() != 0) this.fail("unexpected data after the document");
  }
}

/** High bit set in each byte of `w` that is zero; exact up to the lowest such byte. */
// @ts-ignore: decorator
@inline
function zeroByte(w: u64): u64 {
  return (w - 0x0101010101010101) & ~w & 0x8080808080808080;
}

/** High bit set in each byte of `w` below 0x20; exact up to the lowest such byte. */
// @ts-ignore: decorator
@inline
function lowByte(w: u64): u64 {
  return (w - 0x2020202020202020) & ~w & 0x8080808080808080;
}

/** True if the UTF-8 bytes [start, start+length) spell `s`. */
export function utf8Equals(start: usize, length: i32, s: string): bool {
  const n = s.length;
  // ASCII on both sides is the rule for ABI member names: compare unit by unit.
  if (length == n) {
    let i = 0;
    for (; i < n; i++) {
      const b = <i32>load<u8>(start + <usize>i);
      if (b >= 0x80) break;
      if (b != s.charCodeAt(i)) return false;
    }
    if (i == n) return true;
  } else if (length < n) {
    // UTF-8 is never shorter than the UTF-16 unit count of the same text.
    return false;
  }
  return String.UTF8.decodeUnsafe(start, <usize>length) == s;
}

const EMPTY_INDEX = new StaticArray<u32>(0);

/**
 * One JSON object of the input, indexed on first use: where each member's name and value start.
 * Lets the SDK's input classes read only the members a plugin asks for, and allocate only the
 * strings it keeps (allocation dominates the cost of guest code under the host's compiler).
 */
export class ObjectView {
  /** Shared by every view of one input; each read positions it first. */
  readonly reader: JsonReader;
  /** Per member: name address, name length (u32.MAX_VALUE when escaped) and value address. */
  private index: StaticArray<u32> = EMPTY_INDEX;
  private count: i32 = 0;
  /** Where scanning stopped: members are indexed only as far as a lookup needed. */
  private scanPos: usize;
  private complete: bool = false;

  /** A view of the object whose `{` is at `start` (after white space). */
  constructor(reader: JsonReader, start: usize) {
    this.reader = reader;
    this.scanPos = start;
  }

  /**
   * Indexes the next member; false at the end of the object. Lookups scan only as far as the member
   * they want, so a plugin reading `tenant` and `request` never scans `snapshot`.
   */
  private scanNext(): bool {
    if (this.complete) return false;
    const r = this.reader;
    r.pos = this.scanPos;
    const n = this.count;
    if (n == 0 && this.index.length == 0) {
      r.beginObject();
      this.index = new StaticArray<u32>(3 * 16);
    }
    if (!r.member(n)) {
      this.complete = true;
      return false;
    }
    let index = this.index;
    if (3 * (n + 1) > index.length) {
      const grown = new StaticArray<u32>(index.length * 2);
      memory.copy(changetype<usize>(grown), changetype<usize>(index), <usize>(3 * n) << 2);
      index = grown;
      this.index = grown;
    }
    const escaped = r.keyDecoded !== null;
    unchecked((index[3 * n] = <u32>(escaped ? r.keyNameStart : r.keyStart)));
    unchecked((index[3 * n + 1] = escaped ? u32.MAX_VALUE : <u32>r.keyLength));
    r.peek();
    unchecked((index[3 * n + 2] = <u32>r.pos));
    r.skip();
    this.scanPos = r.pos;
    this.count = n + 1;
    return true;
  }

  private nameIs(i: i32, name: string): bool {
    const index = this.index;
    const at = <usize>unchecked(index[3 * i]);
    const length = unchecked(index[3 * i + 1]);
    return length == u32.MAX_VALUE ? this.escapedName(at) == name : utf8Equals(at, <i32>length, name);
  }

  /** Number of members. */
  size(): i32 {
    while (this.scanNext()) {}
    return this.count;
  }

  /**
   * Positions the reader at the value of member `name` and returns it, or returns null when the
   * object has no such member. The first of duplicate members wins.
   */
  seek(name: string): JsonReader | null {
    let i = 0;
    for (; i < this.count; i++) {
      if (this.nameIs(i, name)) return this.valueAt(i);
    }
    while (this.scanNext()) {
      if (this.nameIs(i, name)) return this.valueAt(i);
      i++;
    }
    return null;
  }

  private valueAt(i: i32): JsonReader {
    const r = this.reader;
    r.pos = <usize>unchecked(this.index[3 * i + 2]);
    return r;
  }

  /** Positions the reader at member `i`'s value (0 <= i < size()) and returns its name. */
  memberAt(i: i32): string {
    while (i >= this.count && this.scanNext()) {}
    const index = this.index;
    const at = <usize>unchecked(index[3 * i]);
    const length = unchecked(index[3 * i + 1]);
    const name = length == u32.MAX_VALUE
      ? this.escapedName(at)
      : String.UTF8.decodeUnsafe(at, <usize>length);
    this.valueAt(i);
    return name;
  }

  private escapedName(quoteAt: usize): string {
    const r = this.reader;
    r.pos = quoteAt;
    return r.string();
  }

  /** The object value of member `name`, or null when absent or null. */
  object(name: string): ObjectView | null {
    const r = this.seek(name);
    if (r === null || r.isNull()) return null;
    if (r.peek() != OPEN_OBJECT) r.fail("member '" + name + "' must be an object");
    return new ObjectView(r, r.pos);
  }

  /** A string member, or `fallback` when absent. */
  string(name: string, fallback: string): string {
    const r = this.seek(name);
    return r === null ? fallback : r.string();
  }

  nullableString(name: string): string | null {
    const r = this.seek(name);
    return r === null ? null : r.nullableString();
  }

  int(name: string, fallback: i64): i64 {
    const r = this.seek(name);
    return r === null ? fallback : r.int();
  }

  /** The string value of `key` in the object member `name`, without building a map. */
  entry(name: string, key: string): string | null {
    const r = this.seek(name);
    if (r === null || r.isNull()) return null;
    r.beginObject();
    let i = 0;
    while (r.member(i++)) {
      if (r.key(key)) return r.string();
      r.skip();
    }
    return null;
  }

  /** The object member `name` as a map of strings (empty when absent). */
  stringMap(name: string): Map<string, string> {
    const r = this.seek(name);
    if (r === null || r.isNull()) return new Map<string, string>();
    return r.stringMap();
  }
}

/** Writes `cp` (not a surrogate) as UTF-8 at `o`; returns the position after it. */
function putCodePoint(o: usize, cp: u32): usize {
  if (cp < 0x80) {
    store<u8>(o, <u8>cp);
    return o + 1;
  }
  if (cp < 0x800) {
    store<u8>(o, <u8>(0xc0 | (cp >> 6)));
    store<u8>(o + 1, <u8>(0x80 | (cp & 0x3f)));
    return o + 2;
  }
  if (cp < 0x10000) {
    store<u8>(o, <u8>(0xe0 | (cp >> 12)));
    store<u8>(o + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(o + 2, <u8>(0x80 | (cp & 0x3f)));
    return o + 3;
  }
  store<u8>(o, <u8>(0xf0 | (cp >> 18)));
  store<u8>(o + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(o + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(o + 3, <u8>(0x80 | (cp & 0x3f)));
  return o + 4;
}

const HEX = "0123456789abcdef";

/** Builds one JSON document as UTF-8 bytes. */
export class JsonWriter {
  private buf: ArrayBuffer;
  private length: i32 = 0;
  /** Whether the next member or element needs a comma before it, per open container. */
  private needComma: StaticArray<bool> = new StaticArray<bool>(16);
  private depth: i32 = 0;

  constructor(capacity: i32 = 256) {
    this.buf = new ArrayBuffer(capacity);
  }

  private room(n: i32): usize {
    const need = this.length + n;
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength << 1;
      if (cap < need) cap = need;
      const grown = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.length);
      this.buf = grown;
    }
    return changetype<usize>(this.buf) + <usize>this.length;
  }

  private byte(b: u8): void {
    store<u8>(this.room(1), b);
    this.length++;
  }

  private separate(): void {
    const d = this.depth;
    if (d == 0) return;
    if (unchecked(this.needComma[d - 1])) this.byte(COMMA);
    else unchecked((this.needComma[d - 1] = true));
  }

  private open(b: u8): void {
    this.byte(b);
    if (this.depth == this.needComma.length) throw new Error("JSON output nested too deeply");
    unchecked((this.needComma[this.depth++] = false));
  }

  beginObject(): JsonWriter {
    this.beforeValue();
    this.open(OPEN_OBJECT);
    return this;
  }

  endObject(): JsonWriter {
    this.depth--;
    this.byte(CLOSE_OBJECT);
    return this;
  }

  beginArray(): JsonWriter {
    this.beforeValue();
    this.open(OPEN_ARRAY);
    return this;
  }

  endArray(): JsonWriter {
    this.depth--;
    this.byte(CLOSE_ARRAY);
    return this;
  }

  /** A member name; the value follows with any value method. */
  name(n: string): JsonWriter {
    this.separate();
    this.quoted(n);
    this.byte(COLON);
    this.pendingValue = true;
    return this;
  }

  /** A member name was written; its value needs no separator. */
  private pendingValue: bool = false;

  private beforeValue(): void {
    if (this.pendingValue) this.pendingValue = false;
    else this.separate();
  }

  string(s: string): JsonWriter {
    this.beforeValue();
    this.quoted(s);
    return this;
  }

  nullValue(): JsonWriter {
    this.beforeValue();
    const o = this.room(4);
    store<u32>(o, 0x6c6c756e); // "null", little-endian
    this.length += 4;
    return this;
  }

  int(v: i64): JsonWriter {
    this.beforeValue();
    if (v == 0) {
      this.byte(0x30);
      return this;
    }
    // 20 bytes hold any i64 with its sign.
    const digits = new StaticArray<u8>(20);
    let n = 0;
    let u: u64 = v < 0 ? <u64>(-(v + 1)) + 1 : <u64>v;
    while (u > 0) {
      unchecked((digits[n++] = <u8>(0x30 + <u32>(u % 10))));
      u /= 10;
    }
    if (v < 0) this.byte(MINUS);
    while (n > 0) this.byte(unchecked(digits[--n]));
    return this;
  }

  /** Writes `s` quoted and escaped, UTF-16 to UTF-8; a lone surrogate becomes U+FFFD. */
  private quoted(s: string): void {
    const len = s.length;
    // Worst case per UTF-16 unit: 6 bytes (\u00XX) or 3 bytes of UTF-8.
    let o = this.room(len * 6 + 2);
    const start = o;
    store<u8>(o++, QUOTE);
    for (let i = 0; i < len; i++) {
      let c = <u32>s.charCodeAt(i);
      if (c < 0x80) {
        if (c == QUOTE || c == BACKSLASH) {
          store<u8>(o++, BACKSLASH);
          store<u8>(o++, <u8>c);
        } else if (c < 0x20) {
          store<u8>(o++, BACKSLASH);
          if (c == 0x0a) store<u8>(o++, 0x6e);
          else if (c == 0x09) store<u8>(o++, 0x74);
          else if (c == 0x0d) store<u8>(o++, 0x72);
          else {
            store<u8>(o++, 0x75);
            store<u8>(o++, 0x30);
            store<u8>(o++, 0x30);
            store<u8>(o++, <u8>HEX.charCodeAt(c >> 4));
            store<u8>(o++, <u8>HEX.charCodeAt(c & 0xf));
          }
        } else {
          store<u8>(o++, <u8>c);
        }
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
        const d = <u32>s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      o = putCodePoint(o, c);
    }
    store<u8>(o++, QUOTE);
    this.length += <i32>(o - start);
  }

  /** The document so far (a view; do not write after taking it). */
  bytes(): Uint8Array {
    return Uint8Array.wrap(this.buf, 0, this.length);
  }
}
