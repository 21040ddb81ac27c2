// Typed mirror of Sluice policy ABI v1 (policy-sdk/ABI.md). Field names are the JSON names on
// purpose: a plugin author reading ABI.md and this file sees the same words.
//
// Parsing rules that the ABI relies on (checked against json-as 1.6.0):
// - unknown input fields are skipped, so a v1.x guest keeps working when a newer host adds
//   optional fields;
// - an absent field keeps the default below, so optional inputs (`prompt`) need no special code.
import { JSON } from "json-as";

/** ABI version this SDK writes into `describe`. */
export const ABI_VERSION = "1.0";

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

@json
export class Tenant {
  id: string = "";
  tier: string = "";
  labels: Map<string, string> = new Map<string, string>();

  /** The label value, or `fallback` when the tenant has no such label. */
  label(key: string, fallback: string = ""): string {
    return this.labels.has(key) ? this.labels.get(key) : fallback;
  }
}

@json
export class Request {
  task_id: string = "";
  session_id: string = "";
  /** completion | embedding | rerank (treat unknown values as opaque). */
  workload: string = "";
  model_ref: string = "";
  /** llamacpp | vllm | tgi | triton, or null when any engine serving the model may run it. */
  engine: string | null = null;
  /** Priority.INTERACTIVE or Priority.BATCH. */
  priority: string = "";
  max_tokens: i64 = 0;
  deadline_ms: i64 = 0;
  ctx: i64 = 0;
  labels: Map<string, string> = new Map<string, string>();
  /** Length of the prompt in Unicode code points; always present. */
  prompt_chars: i64 = 0;
  /** Present only when the plugin declared Need.PROMPT. */
  @optional
  prompt: string | null = null;

  label(key: string, fallback: string = ""): string {
    return this.labels.has(key) ? this.labels.get(key) : fallback;
  }
}

@json
export class Quota {
  running: i64 = 0;
  queued: i64 = 0;
  max_concurrent: JSON.Box<i64> | null = null;
  max_queued: JSON.Box<i64> | null = null;
  tokens_per_minute_used: i64 = 0;
  tokens_per_minute: JSON.Box<i64> | null = null;

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

@json
export class QueueState {
  depth: i64 = 0;
}

@json
export class ModelState {
  id: string = "";
  /** Draft | Active | Canary | Deprecated | Retired. */
  state: string = "";
}

@json
export class Snapshot {
  /** Host time in milliseconds since the Unix epoch (UTC). The only clock a plugin may use. */
  time_ms: i64 = 0;
  quota: Quota = new Quota();
  /** Queue depth per pool id. */
  queues: Map<string, QueueState> = new Map<string, QueueState>();
  model: ModelState = new ModelState();
}

/** Input of the `admit` hook. */
@json
export class AdmitRequest {
  abi_version: string = "";
  tenant: Tenant = new Tenant();
  request: Request = new Request();
  snapshot: Snapshot = new Snapshot();
}

/**
 * What a `modify` decision changes. Every field may only tighten the request (ABI.md, "modify");
 * unset fields are left out of the output.
 */
@json
export class Modifications {
  @omitnull()
  max_tokens: JSON.Box<i64> | null = null;
  @omitnull()
  priority: string | null = null;
  @omitnull()
  deadline_ms: JSON.Box<i64> | null = null;
  @omitnull()
  labels: Map<string, string> | null = null;

  setMaxTokens(value: i64): Modifications {
    this.max_tokens = new JSON.Box<i64>(value);
    return this;
  }

  /** Only Priority.BATCH is a valid modification. */
  setPriority(value: string): Modifications {
    this.priority = value;
    return this;
  }

  setDeadlineMs(value: i64): Modifications {
    this.deadline_ms = new JSON.Box<i64>(value);
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
@json
export class Decision {
  decision: string = Verdict.ALLOW;
  reason: string = "";
  @omitnull()
  modifications: Modifications | null = null;
}

@json
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
@json
export class RouteRequest {
  abi_version: string = "";
  tenant: Tenant = new Tenant();
  request: Request = new Request();
  snapshot: Snapshot = new Snapshot();
  candidates: Candidate[] = [];
}

/** Output of the `route` hook: a non-empty subset of candidate replica ids, best first. */
@json
export class RouteDecision {
  order: string[] = [];
}

/** Output of `describe`. */
@json
export class Description {
  abi_version: string = ABI_VERSION;
  name: string = "";
  version: string = "";
  hooks: string[] = [];
  needs: string[] = [];
}
