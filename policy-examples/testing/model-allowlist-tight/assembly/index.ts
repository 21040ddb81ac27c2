// Test policy (not an example): version 2.0.0 of "model-allowlist" tightens version 1.0.0 by one rule.
// Besides the allow-list (compiled-in, dev-tiny only here) it denies any task asking for more than
// MAX_TOKENS tokens, so shadow and replay tests know exactly which live decisions it would change.
import { AdmitRequest, Decision, Hook, allow, deny, onAdmit, onDescribe } from "@sluice/policy-sdk";

const ALLOWED = "dev-tiny";
const MAX_TOKENS: i64 = 64;

export function describe(): i32 {
  return onDescribe("model-allowlist", "2.0.0", [Hook.ADMIT]);
}

export function admit(): i32 {
  return onAdmit(decide);
}

function decide(input: AdmitRequest): Decision {
  const model = input.request.model_ref;
  if (model != ALLOWED) {
    return deny("model " + model + " is not on the allow-list");
  }
  if (input.request.max_tokens > MAX_TOKENS) {
    return deny("max_tokens above " + MAX_TOKENS.toString());
  }
  return allow("model " + model + " is on the allow-list");
}
