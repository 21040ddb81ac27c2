// my-policy: a starting point. Rename it in describe() and package.json, then change admit().
//
// Keep this file's name: an entry called assembly/index.ts at the project root loses its exports
// under json-as 1.6.0 (the module would export only "memory").
import {
  Hook,
  allow,
  deny,
  readAdmitInput,
  writeDecision,
  writeDescription,
} from "@sluice/policy-sdk";

const MAX_TOKENS: i64 = 2048;

export function describe(): i32 {
  return writeDescription("my-policy", "1.0.0", [Hook.ADMIT]);
}

export function admit(): i32 {
  const input = readAdmitInput();
  if (input.request.max_tokens > MAX_TOKENS) {
    return writeDecision(deny("max_tokens above " + MAX_TOKENS.toString() + " is not allowed"));
  }
  return writeDecision(allow());
}
