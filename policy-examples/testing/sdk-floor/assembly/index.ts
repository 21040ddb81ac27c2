// Benchmark policy (not an example): the least an SDK plugin can do. onAdmit reads the whole input
// and writes the decision; the plugin looks at nothing and allows. Its cost through the host is the
// floor under any SDK-built admit policy with ABI v1's input (docs/benchmarks/policy-host.md).
import { AdmitRequest, Decision, Hook, allow, onAdmit, onDescribe } from "@sluice/policy-sdk";

export function describe(): i32 {
  return onDescribe("sdk-floor", "1.0.0", [Hook.ADMIT]);
}

export function admit(): i32 {
  return onAdmit(allowAll);
}

function allowAll(input: AdmitRequest): Decision {
  return allow();
}
