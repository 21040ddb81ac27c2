// max-tokens-by-tier: caps max_tokens by the tenant's tier with a modify decision.
//
// Caps are compiled in. A tier not listed gets the smallest cap, so a new or misspelled tier never
// gets more than the cheapest one.
import {
  AdmitRequest,
  Decision,
  Hook,
  Modifications,
  allow,
  modify,
  onAdmit,
  onDescribe,
} from "@sluice/policy-sdk";

const CAP_GOLD: i64 = 4096;
const CAP_SILVER: i64 = 1024;
const CAP_DEFAULT: i64 = 256;

export function describe(): i32 {
  return onDescribe("max-tokens-by-tier", "1.0.0", [Hook.ADMIT]);
}

export function admit(): i32 {
  return onAdmit(decide);
}

function decide(input: AdmitRequest): Decision {
  const tier = input.tenant.tier;
  const cap = capFor(tier);
  const asked = input.request.max_tokens;
  if (asked <= cap) {
    return allow("max_tokens " + asked.toString() + " is within the cap of tier " + tier);
  }
  return modify(
    "max_tokens " + asked.toString() + " capped at " + cap.toString() + " for tier " + tier,
    new Modifications().setMaxTokens(cap),
  );
}

function capFor(tier: string): i64 {
  if (tier == "gold") return CAP_GOLD;
  if (tier == "silver") return CAP_SILVER;
  return CAP_DEFAULT;
}
