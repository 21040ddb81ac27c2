// my-policy: a starting point. Rename it in describe() and package.json, then change decide().
import {
  AdmitRequest,
  Decision,
  Hook,
  allow,
  deny,
  onAdmit,
  onDescribe,
} from "@sluice/policy-sdk";

const MAX_TOKENS: i64 = 2048;

export function describe(): i32 {
  return onDescribe("my-policy", "1.0.0", [Hook.ADMIT]);
}

// The export must return onAdmit's result directly: onAdmit frees the call's memory at its end.
export function admit(): i32 {
  return onAdmit(decide);
}

function decide(input: AdmitRequest): Decision {
  if (input.request.max_tokens > MAX_TOKENS) {
    return deny("max_tokens above " + MAX_TOKENS.toString() + " is not allowed");
  }
  return allow();
}
