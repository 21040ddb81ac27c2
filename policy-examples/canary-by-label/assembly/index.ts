// canary-by-label: keeps canary traffic and canary replicas together.
//
// A task labelled canary=true may run only on replicas labelled canary=true; every other task
// never runs on them. Eligible replicas are ordered by free slots (most first), then replica id.
// When no candidate is eligible the plugin fails the call instead of breaking the rule: bind it
// with failure_mode fail_closed so such a task is refused rather than routed anywhere.
import {
  AdmitRequest,
  Candidate,
  Decision,
  Hook,
  RouteRequest,
  allow,
  onAdmit,
  onDescribe,
  onRoute,
} from "@sluice/policy-sdk";

const LABEL = "canary";

export function describe(): i32 {
  return onDescribe("canary-by-label", "1.0.0", [Hook.ROUTE]);
}

// Required by ABI v1 for every plugin; never called because describe() lists only "route".
export function admit(): i32 {
  return onAdmit(routeOnly);
}

function routeOnly(input: AdmitRequest): Decision {
  return allow("route-only plugin");
}

export function route(): i32 {
  return onRoute(order);
}

function order(input: RouteRequest): string[] {
  const wantCanary = input.request.label(LABEL) == "true";
  const eligible = new Array<Candidate>();
  for (let i = 0; i < input.candidates.length; i++) {
    const c = input.candidates[i];
    if ((c.label(LABEL) == "true") == wantCanary) eligible.push(c);
  }
  if (eligible.length == 0) {
    throw new Error(
      wantCanary
        ? "no canary replica among the candidates for a canary task"
        : "only canary replicas among the candidates for a non-canary task",
    );
  }
  for (let i = 1; i < eligible.length; i++) {
    const x = eligible[i];
    let j = i - 1;
    while (j >= 0 && before(x, eligible[j])) {
      eligible[j + 1] = eligible[j];
      j--;
    }
    eligible[j + 1] = x;
  }
  const ids = new Array<string>(eligible.length);
  for (let i = 0; i < eligible.length; i++) ids[i] = eligible[i].replica_id;
  return ids;
}

function before(a: Candidate, b: Candidate): bool {
  if (a.free_slots != b.free_slots) return a.free_slots > b.free_slots;
  return a.replica_id < b.replica_id;
}
