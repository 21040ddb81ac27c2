// Typed mirror of Sluice policy ABI v1 (policy-sdk/ABI.md). Field names are the JSON names on
// purpose: a plugin author reading ABI.md and this file sees the same words.
//
// Reading rules that the ABI relies on (source.ts, tested by the host's conformance test):
// - unknown input fields (JSON members, or slots past the ones this SDK knows) are skipped, so a
//   v1.x guest keeps working when a newer host adds optional fields;
// - an absent field keeps the default below, so optional inputs (`prompt`) need no special code.

import { JsonReader } from "./json";
import { CandidateSlot, InputSource, JsonSource, Slot, SlotSource, jsonSource, readString, readStringMap } from "./source";

/** A nullable integer of the ABI: AssemblyScript has no nullable primitives. */
export class Box<T> {
  constructor(public value: T) {}
}

/** ABI version this SDK writes into `describe`. */
export const ABI_VERSION = "1.1";

/** The ABI version of plugins that read their input as JSON (onAdmitJson, onRouteJson). */
export const ABI_VERSION_JSON = "1.0";

/** Values of `request.priority` and of `modifications.priority`. */
export namespace Priority {
  export const INTERACTIVE = "interactive";
  export const BATCH = "batch";
}

/** Values of `describe().hooks` and of a binding's hooks. */
export namespace Hook {
  export const ADMIT = "admit";
  export const ROUTE = "route";
}

/** Values of `describe().needs`: optional inputs a plugin must declare to receive. */
export namespace Need {
  /** The full prompt text in `request.prompt` (otherwise only `request.prompt_chars`). */
  export const PROMPT = "prompt";
}

/** Values of `Decision.decision`. */
export namespace Verdict {
  export const ALLOW = "allow";
  export const DENY = "deny";
  export const MODIFY = "modify";
}

/** Largest `reason`, in Unicode code points, that the host accepts. */
export const MAX_REASON_CHARS: i32 = 512;

// Input classes read their members from the input on first access and keep what they read
// (an InputSource: the slot layout of ABI 1.1, or the JSON document of 1.0); a member a plugin never touches costs nothing. Assigning a member overrides it,
// so plugins and tests can also build inputs by hand: `new Request()` starts from the defaults.

/**
 * What every input class shares: the object of the input it reads from (null when built by hand)
 * and which of its members have been read or assigned.
 */
class InputObject {
  protected src: InputSource | null = null;
  protected loaded: u32 = 0;

  /** The source to read member `bit` from, once; null when already read or assigned. */
  protected want(bit: u32): InputSource | null {
    if ((this.loaded & bit) != 0) return null;
    this.loaded |= bit;
    return this.src;
  }
}

export class Tenant extends InputObject {
  private _id: string = "";
  private _tier: string = "";
  private _labels: Map<string, string> | null = null;

  static from(src: InputSource | null): Tenant {
    const t = new Tenant();
    t.src = src;
    return t;
  }

  get id(): string {
    const v = this.want(1);
    if (v !== null) this._id = v.string("id", Slot.TENANT_ID, "");
    return this._id;
  }
  set id(value: string) {
    this._id = value;
    this.loaded |= 1;
  }

  get tier(): string {
    const v = this.want(2);
    if (v !== null) this._tier = v.string("tier", Slot.TENANT_TIER, "");
    return this._tier;
  }
  set tier(value: string) {
    this._tier = value;
    this.loaded |= 2;
  }

  get labels(): Map<string, string> {
    let m = this._labels;
    if (m === null) {
      const v = this.src;
      m = v === null ? new Map<string, string>() : v.stringMap("labels", Slot.TENANT_LABELS);
      this._labels = m;
    }
    return m!;
  }
  set labels(value: Map<string, string>) {
    this._labels = value;
  }

  /** The label value, or `fallback` when the tenant has no such label. Reads only that label. */
  label(key: string, fallback: string = ""): string {
    return labelOf(this.src, Slot.TENANT_LABELS, this._labels, key, fallback);
  }
}

function labelOf(src: InputSource | null, slot: i32, map: Map<string, string> | null, key: string, fallback: string): string {
  if (map !== null) return map.has(key) ? map.get(key) : fallback;
  if (src === null) return fallback;
  const v = src.entry("labels", slot, key);
  return v === null ? fallback : v;
}

export class Request extends InputObject {
  private _task_id: string = "";
  private _session_id: string = "";
  private _workload: string = "";
  private _model_ref: string = "";
  private _engine: string | null = null;
  private _priority: string = "";
  private _max_tokens: i64 = 0;
  private _deadline_ms: i64 = 0;
  private _ctx: i64 = 0;
  private _labels: Map<string, string> | null = null;
  private _prompt_chars: i64 = 0;
  private _prompt: string | null = null;

  static from(src: InputSource | null): Request {
    const r = new Request();
    r.src = src;
    return r;
  }

  get task_id(): string {
    const v = this.want(1);
    if (v !== null) this._task_id = v.string("task_id", Slot.TASK_ID, "");
    return this._task_id;
  }
  set task_id(value: string) {
    this._task_id = value;
    this.loaded |= 1;
  }

  get session_id(): string {
    const v = this.want(2);
    if (v !== null) this._session_id = v.string("session_id", Slot.SESSION_ID, "");
    return this._session_id;
  }
  set session_id(value: string) {
    this._session_id = value;
    this.loaded |= 2;
  }

  /** completion | embedding | rerank (treat unknown values as opaque). */
  get workload(): string {
    const v = this.want(4);
    if (v !== null) this._workload = v.string("workload", Slot.WORKLOAD, "");
    return this._workload;
  }
  set workload(value: string) {
    this._workload = value;
    this.loaded |= 4;
  }

  get model_ref(): string {
    const v = this.want(8);
    if (v !== null) this._model_ref = v.string("model_ref", Slot.MODEL_REF, "");
    return this._model_ref;
  }
  set model_ref(value: string) {
    this._model_ref = value;
    this.loaded |= 8;
  }

  /** llamacpp | vllm | tgi | triton, or null when any engine serving the model may run it. */
  get engine(): string | null {
    const v = this.want(16);
    if (v !== null) this._engine = v.nullableString("engine", Slot.ENGINE);
    return this._engine;
  }
  set engine(value: string | null) {
    this._engine = value;
    this.loaded |= 16;
  }

  /** Priority.INTERACTIVE or Priority.BATCH. */
  get priority(): string {
    const v = this.want(32);
    if (v !== null) this._priority = v.string("priority", Slot.PRIORITY, "");
    return this._priority;
  }
  set priority(value: string) {
    this._priority = value;
    this.loaded |= 32;
  }

  get max_tokens(): i64 {
    const v = this.want(64);
    if (v !== null) this._max_tokens = v.int("max_tokens", Slot.MAX_TOKENS, 0);
    return this._max_tokens;
  }
  set max_tokens(value: i64) {
    this._max_tokens = value;
    this.loaded |= 64;
  }

  get deadline_ms(): i64 {
    const v = this.want(128);
    if (v !== null) this._deadline_ms = v.int("deadline_ms", Slot.DEADLINE_MS, 0);
    return this._deadline_ms;
  }
  set deadline_ms(value: i64) {
    this._deadline_ms = value;
    this.loaded |= 128;
  }

  get ctx(): i64 {
    const v = this.want(256);
    if (v !== null) this._ctx = v.int("ctx", Slot.CTX, 0);
    return this._ctx;
  }
  set ctx(value: i64) {
    this._ctx = value;
    this.loaded |= 256;
  }

  get labels(): Map<string, string> {
    let m = this._labels;
    if (m === null) {
      const v = this.src;
      m = v === null ? new Map<string, string>() : v.stringMap("labels", Slot.REQUEST_LABELS);
      this._labels = m;
    }
    return m!;
  }
  set labels(value: Map<string, string>) {
    this._labels = value;
  }

  /** Length of the prompt in Unicode code points; always present. */
  get prompt_chars(): i64 {
    const v = this.want(512);
    if (v !== null) this._prompt_chars = v.int("prompt_chars", Slot.PROMPT_CHARS, 0);
    return this._prompt_chars;
  }
  set prompt_chars(value: i64) {
    this._prompt_chars = value;
    this.loaded |= 512;
  }

  /** Present only when the plugin declared Need.PROMPT. */
  get prompt(): string | null {
    const v = this.want(1024);
    if (v !== null) this._prompt = v.nullableString("prompt", Slot.PROMPT);
    return this._prompt;
  }
  set prompt(value: string | null) {
    this._prompt = value;
    this.loaded |= 1024;
  }

  /** The label value, or `fallback` when the request has no such label. Reads only that label. */
  label(key: string, fallback: string = ""): string {
    return labelOf(this.src, Slot.REQUEST_LABELS, this._labels, key, fallback);
  }
}

export class Quota extends InputObject {
  private _running: i64 = 0;
  private _queued: i64 = 0;
  private _max_concurrent: Box<i64> | null = null;
  private _max_queued: Box<i64> | null = null;
  private _tokens_per_minute_used: i64 = 0;
  private _tokens_per_minute: Box<i64> | null = null;

  static from(src: InputSource | null): Quota {
    const q = new Quota();
    q.src = src;
    return q;
  }

  get running(): i64 {
    const v = this.want(1);
    if (v !== null) this._running = v.int("running", Slot.RUNNING, 0);
    return this._running;
  }
  set running(value: i64) {
    this._running = value;
    this.loaded |= 1;
  }

  get queued(): i64 {
    const v = this.want(2);
    if (v !== null) this._queued = v.int("queued", Slot.QUEUED, 0);
    return this._queued;
  }
  set queued(value: i64) {
    this._queued = value;
    this.loaded |= 2;
  }

  get max_concurrent(): Box<i64> | null {
    const v = this.want(4);
    if (v !== null) this._max_concurrent = boxedInt(v, "max_concurrent", Slot.MAX_CONCURRENT);
    return this._max_concurrent;
  }
  set max_concurrent(value: Box<i64> | null) {
    this._max_concurrent = value;
    this.loaded |= 4;
  }

  get max_queued(): Box<i64> | null {
    const v = this.want(8);
    if (v !== null) this._max_queued = boxedInt(v, "max_queued", Slot.MAX_QUEUED);
    return this._max_queued;
  }
  set max_queued(value: Box<i64> | null) {
    this._max_queued = value;
    this.loaded |= 8;
  }

  get tokens_per_minute_used(): i64 {
    const v = this.want(16);
    if (v !== null) this._tokens_per_minute_used = v.int("tokens_per_minute_used", Slot.TOKENS_PER_MINUTE_USED, 0);
    return this._tokens_per_minute_used;
  }
  set tokens_per_minute_used(value: i64) {
    this._tokens_per_minute_used = value;
    this.loaded |= 16;
  }

  get tokens_per_minute(): Box<i64> | null {
    const v = this.want(32);
    if (v !== null) this._tokens_per_minute = boxedInt(v, "tokens_per_minute", Slot.TOKENS_PER_MINUTE);
    return this._tokens_per_minute;
  }
  set tokens_per_minute(value: Box<i64> | null) {
    this._tokens_per_minute = value;
    this.loaded |= 32;
  }

  /** `max_concurrent`, or i64.MAX_VALUE when the tenant has no such limit. */
  maxConcurrent(): i64 {
    const b = this.max_concurrent;
    return b === null ? i64.MAX_VALUE : b.value;
  }

  /** `max_queued`, or i64.MAX_VALUE when the tenant has no such limit. */
  maxQueued(): i64 {
    const b = this.max_queued;
    return b === null ? i64.MAX_VALUE : b.value;
  }

  /** `tokens_per_minute`, or i64.MAX_VALUE when the tenant has no such limit. */
  tokensPerMinute(): i64 {
    const b = this.tokens_per_minute;
    return b === null ? i64.MAX_VALUE : b.value;
  }
}

function boxedInt(v: InputSource, name: string, slot: i32): Box<i64> | null {
  return v.hasInt(name, slot) ? new Box<i64>(v.int(name, slot, 0)) : null;
}

export class QueueState {
  depth: i64 = 0;
}

export class ModelState extends InputObject {
  private _id: string = "";
  private _state: string = "";

  static from(src: InputSource | null): ModelState {
    const m = new ModelState();
    m.src = src;
    return m;
  }

  get id(): string {
    const v = this.want(1);
    if (v !== null) this._id = v.string("id", Slot.MODEL_ID, "");
    return this._id;
  }
  set id(value: string) {
    this._id = value;
    this.loaded |= 1;
  }

  /** Draft | Active | Canary | Deprecated | Retired. */
  get state(): string {
    const v = this.want(2);
    if (v !== null) this._state = v.string("state", Slot.MODEL_STATE, "");
    return this._state;
  }
  set state(value: string) {
    this._state = value;
    this.loaded |= 2;
  }
}

export class Snapshot extends InputObject {
  private _time_ms: i64 = 0;
  private _quota: Quota | null = null;
  private _queues: Map<string, QueueState> | null = null;
  private _model: ModelState | null = null;

  static from(src: InputSource | null): Snapshot {
    const s = new Snapshot();
    s.src = src;
    return s;
  }

  /** Host time in milliseconds since the Unix epoch (UTC). The only clock a plugin may use. */
  get time_ms(): i64 {
    const v = this.want(1);
    if (v !== null) this._time_ms = v.int("time_ms", Slot.TIME_MS, 0);
    return this._time_ms;
  }
  set time_ms(value: i64) {
    this._time_ms = value;
    this.loaded |= 1;
  }

  get quota(): Quota {
    let q = this._quota;
    if (q === null) {
      const v = this.src;
      q = Quota.from(v === null ? null : v.object("quota"));
      this._quota = q;
    }
    return q;
  }
  set quota(value: Quota) {
    this._quota = value;
  }

  /** Queue depth per pool id. */
  get queues(): Map<string, QueueState> {
    let m = this._queues;
    if (m === null) {
      m = new Map<string, QueueState>();
      const v = this.src;
      if (v !== null) {
        const depths = v.depths();
        const pools = depths.keys();
        for (let i = 0; i < pools.length; i++) {
          const q = new QueueState();
          q.depth = depths.get(pools[i]);
          m.set(pools[i], q);
        }
      }
      this._queues = m;
    }
    return m;
  }
  set queues(value: Map<string, QueueState>) {
    this._queues = value;
  }

  get model(): ModelState {
    let m = this._model;
    if (m === null) {
      const v = this.src;
      m = ModelState.from(v === null ? null : v.object("model"));
      this._model = m;
    }
    return m;
  }
  set model(value: ModelState) {
    this._model = value;
  }
}

/** Input of the `admit` hook. */
export class AdmitRequest {
  protected src: InputSource | null = null;
  private _abi_version: string | null = null;
  private _tenant: Tenant | null = null;
  private _request: Request | null = null;
  private _snapshot: Snapshot | null = null;

  /**
   * Reads an admit input from its ABI 1.0 JSON bytes (what onAdmitJson does with the call's input;
   * also handy in plugin tests).
   */
  static parse(bytes: ArrayBuffer): AdmitRequest {
    const a = new AdmitRequest();
    a.src = jsonSource(bytes);
    return a;
  }

  /** The call's input in the ABI 1.1 slot layout (what onAdmit reads); members load on first use. */
  static read(): AdmitRequest {
    const a = new AdmitRequest();
    a.src = new SlotSource();
    return a;
  }

  get abi_version(): string {
    let s = this._abi_version;
    if (s === null) {
      const v = this.src;
      s = v === null ? "" : v.string("abi_version", Slot.ABI_VERSION, "");
      this._abi_version = s;
    }
    return s!;
  }
  set abi_version(value: string) {
    this._abi_version = value;
  }

  get tenant(): Tenant {
    let t = this._tenant;
    if (t === null) {
      const v = this.src;
      t = Tenant.from(v === null ? null : v.object("tenant"));
      this._tenant = t;
    }
    return t;
  }
  set tenant(value: Tenant) {
    this._tenant = value;
  }

  get request(): Request {
    let r = this._request;
    if (r === null) {
      const v = this.src;
      r = Request.from(v === null ? null : v.object("request"));
      this._request = r;
    }
    return r;
  }
  set request(value: Request) {
    this._request = value;
  }

  get snapshot(): Snapshot {
    let s = this._snapshot;
    if (s === null) {
      const v = this.src;
      s = Snapshot.from(v === null ? null : v.object("snapshot"));
      this._snapshot = s;
    }
    return s;
  }
  set snapshot(value: Snapshot) {
    this._snapshot = value;
  }
}

/**
 * What a `modify` decision changes. Every field may only tighten the request (ABI.md, "modify");
 * unset fields are left out of the output.
 */
export class Modifications {
  max_tokens: Box<i64> | null = null;
  priority: string | null = null;
  deadline_ms: Box<i64> | null = null;
  labels: Map<string, string> | null = null;

  setMaxTokens(value: i64): Modifications {
    this.max_tokens = new Box<i64>(value);
    return this;
  }

  /** Only Priority.BATCH is a valid modification. */
  setPriority(value: string): Modifications {
    this.priority = value;
    return this;
  }

  setDeadlineMs(value: i64): Modifications {
    this.deadline_ms = new Box<i64>(value);
    return this;
  }

  /** Adds a label; keys already on the request must keep their value. */
  addLabel(key: string, value: string): Modifications {
    let m = this.labels;
    if (m === null) {
      m = new Map<string, string>();
      this.labels = m;
    }
    m.set(key, value);
    return this;
  }

  isEmpty(): bool {
    const l = this.labels;
    return (
      this.max_tokens === null &&
      this.priority === null &&
      this.deadline_ms === null &&
      (l === null || l.size == 0)
    );
  }
}

/** Output of the `admit` hook. Build it with allow(), deny() or modify(). */
export class Decision {
  decision: string = Verdict.ALLOW;
  reason: string = "";
  modifications: Modifications | null = null;
}

export class Candidate {
  replica_id: string = "";
  pool_id: string = "";
  engine: string = "";
  free_slots: i64 = 0;
  labels: Map<string, string> = new Map<string, string>();

  label(key: string, fallback: string = ""): string {
    return this.labels.has(key) ? this.labels.get(key) : fallback;
  }
}

/** Input of the `route` hook: the admit input (after any modify) plus the candidate replicas. */
export class RouteRequest extends AdmitRequest {
  private _candidates: Candidate[] | null = null;

  /** Reads a route input from its ABI 1.0 JSON bytes (onRouteJson). */
  static parse(bytes: ArrayBuffer): RouteRequest {
    const a = new RouteRequest();
    a.src = jsonSource(bytes);
    return a;
  }

  /** The call's input in the ABI 1.1 slot layout (what onRoute reads). */
  static read(): RouteRequest {
    const a = new RouteRequest();
    a.src = new SlotSource();
    return a;
  }

  get candidates(): Candidate[] {
    let c = this._candidates;
    if (c === null) {
      c = new Array<Candidate>();
      const v = this.src;
      if (v instanceof SlotSource) {
        readSlotCandidates(changetype<SlotSource>(v), c);
      } else if (v instanceof JsonSource) {
        const r = changetype<JsonSource>(v).view.seek("candidates");
        if (r !== null && !r.isNull()) readCandidates(r, c);
      }
      this._candidates = c;
    }
    return c;
  }
  set candidates(value: Candidate[]) {
    this._candidates = value;
  }
}

function readSlotCandidates(v: SlotSource, out: Candidate[]): void {
  const n = v.candidateCount();
  for (let i = 0; i < n; i++) {
    const c = new Candidate();
    const id = readString(v.candidateSlot(i, CandidateSlot.REPLICA_ID));
    if (id !== null) c.replica_id = id;
    const pool = readString(v.candidateSlot(i, CandidateSlot.POOL_ID));
    if (pool !== null) c.pool_id = pool;
    const engine = readString(v.candidateSlot(i, CandidateSlot.ENGINE));
    if (engine !== null) c.engine = engine;
    c.free_slots = <i64>v.candidateSlot(i, CandidateSlot.FREE_SLOTS);
    c.labels = readStringMap(v.candidateSlot(i, CandidateSlot.LABELS));
    out.push(c);
  }
}

function readCandidates(r: JsonReader, out: Candidate[]): void {
  r.beginArray();
  let i = 0;
  while (r.element(i++)) {
    const c = new Candidate();
    r.beginObject();
    let j = 0;
    while (r.member(j++)) {
      if (r.key("replica_id")) c.replica_id = r.string();
      else if (r.key("pool_id")) c.pool_id = r.string();
      else if (r.key("engine")) c.engine = r.string();
      else if (r.key("free_slots")) c.free_slots = r.int();
      else if (r.key("labels")) c.labels = r.stringMap();
      else r.skip();
    }
    out.push(c);
  }
}

/** Output of the `route` hook: a non-empty subset of candidate replica ids, best first. */
export class RouteDecision {
  order: string[] = [];
}

/** Output of `describe`. */
export class Description {
  abi_version: string = ABI_VERSION;
  name: string = "";
  version: string = "";
  hooks: string[] = [];
  needs: string[] = [];
}
