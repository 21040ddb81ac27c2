// model-allowlist-abi10 (test plugin, not an example): the model-allowlist example built for ABI 1.0,
// reading its input as a JSON document (onAdmitJson), so that the host keeps being tested, and
// benchmarked side by side, with a 1.0 plugin built from source. Otherwise identical: it admits
// a task only if its model is on the tenant's allow-list.
//
// The list comes from the tenant label `allowed-models` (comma-separated model refs, set by the
// operator per tenant), so one uploaded plugin serves tenants with different lists; a tenant
// without the label gets DEFAULT_ALLOWED, which is compiled in.
import {
  AdmitRequest,
  Decision,
  Hook,
  Tenant,
  allow,
  deny,
  ABI_VERSION_JSON,
  onAdmitJson,
  onDescribe,
} from "@sluice/policy-sdk";

const LABEL = "allowed-models";
const DEFAULT_ALLOWED: string[] = ["dev-tiny"];

export function describe(): i32 {
  return onDescribe("model-allowlist", "1.0.0", [Hook.ADMIT], [], ABI_VERSION_JSON);
}

export function admit(): i32 {
  return onAdmitJson(decide);
}

function decide(input: AdmitRequest): Decision {
  const model = input.request.model_ref;
  const allowed = allowedModels(input.tenant);
  if (allowed.includes(model)) {
    return allow("model " + model + " is on the allow-list");
  }
  const listed = allowed.length == 0 ? "(none)" : allowed.join(", ");
  return deny(
    "model " + model + " is not on the allow-list of tenant " + input.tenant.id +
      "; allowed: " + listed,
  );
}

function allowedModels(tenant: Tenant): string[] {
  const list = tenant.label(LABEL, "\0");
  if (list == "\0") return DEFAULT_ALLOWED;
  const parts = list.split(",");
  const out = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].trim();
    if (p.length > 0) out.push(p);
  }
  return out;
}
