// @sluice/policy-sdk: guest library for Sluice policy plugins (ABI v1, see policy-sdk/ABI.md).
//
// Everything here is pure computation plus the Extism kernel calls for input, output, error and
// log. No clock, random, filesystem, network or environment: a decision must be a function of the
// input alone, and the host refuses modules that import anything else.
import { Host, LogLevel, Memory } from "@extism/as-pdk";
import { encodeDecision, encodeDescription, encodeRouteDecision, readInputBytes } from "./codec";
import {
  ABI_VERSION,
  ABI_VERSION_JSON,
  AdmitRequest,
  Decision,
  Description,
  MAX_REASON_CHARS,
  Modifications,
  Priority,
  Request,
  RouteDecision,
  RouteRequest,
  Verdict,
} from "./abi";

export * from "./abi";
export { JsonReader, JsonWriter, ObjectView } from "./json";
export { readInputBytes } from "./codec";
export { CandidateSlot, InputSource, NULL_INT, Slot, SlotSource } from "./source";

@external("extism:host/env", "error_set")
declare function extism_error_set(offset: u64): void;

/** Raw input of the current call, decoded from UTF-8. */
export function readInputString(): string {
  return String.UTF8.decode(readInputBytes());
}

export function allow(reason: string = ""): Decision {
  const d = new Decision();
  d.decision = Verdict.ALLOW;
  d.reason = reason;
  return d;
}

export function deny(reason: string): Decision {
  const d = new Decision();
  d.decision = Verdict.DENY;
  d.reason = reason;
  return d;
}

/** A `modify` decision; `mods` must tighten the request (see checkDecision). */
export function modify(reason: string, mods: Modifications): Decision {
  const d = new Decision();
  d.decision = Verdict.MODIFY;
  d.reason = reason;
  d.modifications = mods;
  return d;
}

/**
 * Runs an `admit` export of an ABI 1.1 plugin: gives `decide` the input, whose members load from
 * the host's slot layout on first access (a member the plugin never reads costs nothing), writes
 * the decision and frees what the call allocated. The export must return its result directly:
 *
 *     export function admit(): i32 { return onAdmit(decide); }
 *
 * Plugins are built with AssemblyScript's minimal runtime, which collects garbage only when asked:
 * here, at the end of a call, when no object of the call is in use any more (see endCall for how
 * often). That halves the cost of a call against the incremental collector. A reason longer than MAX_REASON_CHARS is cut at a
 * code-point boundary so that a long message never turns a decision into an invalid_output error.
 * To fail the call (the binding's failure mode then applies), throw: `throw new Error("...")`.
 */
export function onAdmit(decide: (input: AdmitRequest) => Decision): i32 {
  beginCall();
  return answerAdmit(decide(AdmitRequest.read()));
}

/**
 * onAdmit for a plugin that declares ABI 1.0 and reads its input as a JSON document
 * (`onDescribe(..., ABI_VERSION_JSON)`). Kept for plugins that must run on hosts older than 1.1;
 * it is about twice as slow as onAdmit.
 */
export function onAdmitJson(decide: (input: AdmitRequest) => Decision): i32 {
  beginCall();
  return answerAdmit(decide(AdmitRequest.parse(readInputBytes())));
}

function answerAdmit(decision: Decision): i32 {
  decision.reason = truncateChars(decision.reason, MAX_REASON_CHARS);
  writeOutput(encodeDecision(decision));
  return endCall();
}

/**
 * Runs a `route` export: `order` returns replica ids from the input candidates, best first, no
 * duplicates. Same rules as onAdmit: `export function route(): i32 { return onRoute(order); }`.
 */
export function onRoute(order: (input: RouteRequest) => string[]): i32 {
  beginCall();
  return answerRoute(order(RouteRequest.read()));
}

/** onRoute for an ABI 1.0 plugin that reads its input as JSON (see onAdmitJson). */
export function onRouteJson(order: (input: RouteRequest) => string[]): i32 {
  beginCall();
  return answerRoute(order(RouteRequest.parse(readInputBytes())));
}

function answerRoute(order: string[]): i32 {
  const r = new RouteDecision();
  r.order = order;
  writeOutput(encodeRouteDecision(r));
  return endCall();
}

/**
 * Runs the `describe` export. `name` and `version` identify the plugin on upload; `needs` lists
 * optional inputs (Need.PROMPT). `export function describe(): i32 { return onDescribe(...); }`
 * `abiVersion` tells the host how to send inputs: ABI_VERSION (1.1, the slot layout onAdmit and
 * onRoute read) or ABI_VERSION_JSON (1.0, JSON, for onAdmitJson and onRouteJson). The two must
 * match: a 1.1 reader fails the call on a JSON input.
 */
export function onDescribe(
  name: string,
  version: string,
  hooks: string[],
  needs: string[] = [],
  abiVersion: string = ABI_VERSION,
): i32 {
  beginCall();
  const d = new Description();
  d.abi_version = abiVersion;
  d.name = name;
  d.version = version;
  d.hooks = hooks;
  d.needs = needs;
  writeOutput(encodeDescription(d));
  return endCall();
}

// When a call ends with a collection (ADR 0040). The minimal runtime's collection has a fixed part
// (it marks from every global and visits every live object, however little a call left behind) and
// a part that grows with the garbage it sweeps. Collecting after every 4th call instead of every
// call moved the allow-list call through the host from 7.1-7.2 to 5.1-5.4 µs at p50; the 4th call
// pays for the sweep of four calls (about 10 µs). Every 8th call gave the same p50 but a collecting
// call of about 15 µs at p90 and no lower mean, so 4 it is: three calls in four stay cheap.
//
// Garbage kept across calls counts against a memory limit that ABI v1 defines per call. Three rules
// keep it small and never let it be the reason memory grows:
//
// - at most COLLECT_EVERY_CALLS - 1 calls' garbage is carried into a call;
// - a call that grew linear memory ends with a collection, so no later call starts with garbage
//   in pages that this call's growth added (growth by the allocator doubles the memory);
// - nothing is carried while linear memory is larger than DEFER_UP_TO_PAGES: garbage can never
//   exceed the memory that holds it, so this bounds what is carried to 128 KiB (under 1/16 of the
//   smallest limit a host accepts, 2 MiB, and 1/128 of the default 16 MiB), and a plugin whose
//   calls allocate more than that is collected after every call, exactly as before.
//
// The runtime keeps its count of managed bytes private (rt/tcms.ts), so the memory's size is the
// bound used; a call's garbage is never estimated.

/** A call ends with a collection at least this often (1 = every call). */
const COLLECT_EVERY_CALLS: i32 = 4;
/** Garbage is carried into the next call only while linear memory has at most this many pages. */
const DEFER_UP_TO_PAGES: i32 = 2;

/** Calls ended since the last collection. */
let callsSinceCollection: i32 = 0;
/** Linear memory pages when the current call began. */
let pagesAtCallStart: i32 = 0;

/** The first step of every export: notes the memory's size so that endCall sees whether it grew. */
function beginCall(): void {
  pagesAtCallStart = memory.size();
}

/**
 * The last step of every export: frees everything the calls since the last collection allocated
 * when one of the rules above says so. No object of the call is referenced from the stack here.
 */
function endCall(): i32 {
  callsSinceCollection++;
  const pages = memory.size();
  if (
    callsSinceCollection >= COLLECT_EVERY_CALLS ||
    pages > pagesAtCallStart ||
    pages > DEFER_UP_TO_PAGES
  ) {
    __collect();
    callsSinceCollection = 0;
  }
  return 0;
}

@external("extism:host/env", "alloc")
declare function extism_alloc(length: u64): u64;
@external("extism:host/env", "store_u64")
declare function extism_store_u64(offset: u64, value: u64): void;
@external("extism:host/env", "store_u8")
declare function extism_store_u8(offset: u64, value: u8): void;
@external("extism:host/env", "output_set")
declare function extism_output_set(offset: u64, length: u64): void;

/** Copies `bytes` into a kernel block, eight bytes per kernel call, and makes it the output. */
function writeOutput(bytes: Uint8Array): void {
  const n = <usize>bytes.length;
  const block = extism_alloc(<u64>n);
  const p = bytes.dataStart;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) extism_store_u64(block + <u64>i, load<u64>(p + i));
  for (; i < n; i++) extism_store_u8(block + <u64>i, load<u8>(p + i));
  extism_output_set(block, <u64>n);
}

/** Logs through Extism; the host keeps a bounded prefix of each call's log in the decision log. */
export function log(message: string): void {
  Host.log(LogLevel.Info, message);
}

export function logWarn(message: string): void {
  Host.log(LogLevel.Warn, message);
}

/**
 * Checks that `decision` is a valid admit output for `request` under the ABI rules the host
 * enforces. Returns null when valid, else a message naming the rule. The host checks again: this
 * is for plugin tests and for plugins that want to fail with a clear message instead of an
 * invalid_output error.
 */
export function checkDecision(request: Request, decision: Decision): string | null {
  const v = decision.decision;
  if (v != Verdict.ALLOW && v != Verdict.DENY && v != Verdict.MODIFY) {
    return "decision must be allow, deny or modify, got '" + v + "'";
  }
  if (countChars(decision.reason) > MAX_REASON_CHARS) {
    return "reason is longer than " + MAX_REASON_CHARS.toString() + " characters";
  }
  const mods = decision.modifications;
  if (v != Verdict.MODIFY) {
    return mods === null ? null : "modifications are allowed only with decision modify";
  }
  if (mods === null || mods.isEmpty()) {
    return "decision modify needs at least one modification";
  }
  return checkModifications(request, mods);
}

/** The tighten-only rule of ABI v1: null when every modification is no looser than the request. */
export function checkModifications(request: Request, mods: Modifications): string | null {
  const maxTokens = mods.max_tokens;
  if (maxTokens !== null) {
    if (maxTokens.value < 1) return "modifications.max_tokens must be at least 1";
    if (maxTokens.value > request.max_tokens) {
      return "modifications.max_tokens may only lower request.max_tokens";
    }
  }
  const priority = mods.priority;
  if (priority !== null && priority != Priority.BATCH) {
    return "modifications.priority may only be 'batch'";
  }
  const deadline = mods.deadline_ms;
  if (deadline !== null) {
    if (deadline.value < 1) return "modifications.deadline_ms must be at least 1";
    if (deadline.value > request.deadline_ms) {
      return "modifications.deadline_ms may only shorten request.deadline_ms";
    }
  }
  const labels = mods.labels;
  if (labels !== null) {
    const keys = labels.keys();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (request.labels.has(k) && request.labels.get(k) != labels.get(k)) {
        return "modifications.labels may not change existing label '" + k + "'";
      }
    }
  }
  return null;
}

/** Number of Unicode code points in `s` (the unit of every length limit in the ABI). */
export function countChars(s: string): i32 {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** `s` cut to at most `max` code points, never splitting a surrogate pair. */
export function truncateChars(s: string, max: i32): string {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    if (n == max) return s.substring(0, i);
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return s;
}

/**
 * Abort handler for `asc --use abort=...`: records the message as the Extism error, then traps,
 * so a failed assertion or a thrown error reaches the host as a trap with a readable reason
 * instead of importing `env.abort`, which the host does not provide.
 */
export function policyAbort(
  message: string | null,
  fileName: string | null,
  line: u32,
  column: u32,
): void {
  let text = "abort: " + (message === null ? "(no message)" : message);
  if (fileName !== null) {
    text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  }
  extism_error_set(Memory.allocateString(text).offset);
  unreachable();
}
