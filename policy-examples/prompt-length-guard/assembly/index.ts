// prompt-length-guard: denies tasks whose prompt is longer than the tenant allows.
//
// Declares needs ["prompt"] and measures the text itself, in Unicode code points. The limit is
// the tenant label `max-prompt-chars` (a positive integer) or DEFAULT_MAX_CHARS when the label is
// absent or not a positive integer. Should the host ever omit the text, the guard falls back to
// request.prompt_chars, which counts the same unit.
import {
  AdmitRequest,
  Decision,
  Hook,
  Need,
  Tenant,
  allow,
  countChars,
  deny,
  onAdmit,
  onDescribe,
} from "@sluice/policy-sdk";

const LABEL = "max-prompt-chars";
const DEFAULT_MAX_CHARS: i64 = 8000;

export function describe(): i32 {
  return onDescribe("prompt-length-guard", "1.0.0", [Hook.ADMIT], [Need.PROMPT]);
}

export function admit(): i32 {
  return onAdmit(decide);
}

function decide(input: AdmitRequest): Decision {
  const limit = maxChars(input.tenant);
  const prompt = input.request.prompt;
  const length: i64 = prompt !== null ? <i64>countChars(prompt) : input.request.prompt_chars;
  if (length > limit) {
    // The reason names sizes only: the prompt itself must never leave through a reason or a log.
    return deny("prompt has " + length.toString() + " characters; the limit is " + limit.toString());
  }
  return allow("prompt length " + length.toString() + " is within " + limit.toString());
}

function maxChars(tenant: Tenant): i64 {
  const v = parsePositive(tenant.label(LABEL, ""));
  return v > 0 ? v : DEFAULT_MAX_CHARS;
}

/** The decimal value of `s`, or -1 unless it is 1 to 12 ASCII digits. */
function parsePositive(s: string): i64 {
  const t = s.trim();
  if (t.length == 0 || t.length > 12) return -1;
  let v: i64 = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
