// Test policy (not an example): version 2.0.0 of "route-preferred-pool" ranks the tenant's preferred
// pool (tenant label `preferred-pool`) last instead of first; otherwise it orders like 1.0.0 (more free
// slots first, ties by replica id). Against 1.0.0 it disagrees exactly on tasks whose candidates span
// the preferred pool and another one, so shadow and replay tests for route know every disagreement.
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

const LABEL = "preferred-pool";

export function describe(): i32 {
  return onDescribe("route-preferred-pool", "2.0.0", [Hook.ROUTE]);
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
  const preferred = input.tenant.label(LABEL);
  const c = input.candidates.slice(0);
  for (let i = 1; i < c.length; i++) {
    const x = c[i];
    let j = i - 1;
    while (j >= 0 && before(x, c[j], preferred)) {
      c[j + 1] = c[j];
      j--;
    }
    c[j + 1] = x;
  }
  const ids = new Array<string>(c.length);
  for (let i = 0; i < c.length; i++) ids[i] = c[i].replica_id;
  return ids;
}

function before(a: Candidate, b: Candidate, preferred: string): bool {
  const ap = preferred.length > 0 && a.pool_id == preferred;
  const bp = preferred.length > 0 && b.pool_id == preferred;
  if (ap != bp) return bp;
  if (a.free_slots != b.free_slots) return a.free_slots > b.free_slots;
  return a.replica_id < b.replica_id;
}
