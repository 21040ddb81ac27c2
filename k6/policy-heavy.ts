// Policy-heavy traffic (POL-1, POL-3): the tenant uploads a WebAssembly policy and binds it to the admit hook, then
// submits at a steady rate with varied labels and sizes so every admission runs the policy. Measures admission
// latency with the policy in the path; refusals by the policy are expected and must be typed.
// Needs the module file: POLICY_WASM (default: the build's policy-examples/target/classes/policies/examples/
// max-tokens-by-tier.wasm, relative to k6/) and POLICY_NAME (its describe() name).
// Java equivalent here: `bin/sluice bench` policy runs (platform/benchmarks .../policy/TenantIsolationLoad and the
// JMH PolicyAdmitBenchmark for the per-call cost).
import { check } from 'k6';
import http from 'k6/http';
import { Options } from 'k6/options';
import { Rate } from 'k6/metrics';
import { call } from './lib/endpoints.ts';
import { tokenFor } from './lib/auth.ts';
import { completion } from './lib/tasks.ts';

const TENANT = __ENV.SLUICE_TENANT || 'tenant-a';
const POLICY_NAME = __ENV.POLICY_NAME || 'max-tokens-by-tier';
const WASM = open(__ENV.POLICY_WASM || '../policy-examples/target/classes/policies/examples/max-tokens-by-tier.wasm', 'b');

const untyped = new Rate('untyped_refusal');
const unexpected = new Rate('unexpected_status');

export const options: Options = {
  scenarios: {
    admit: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 100),
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: 50,
      maxVUs: 300,
    },
  },
  thresholds: {
    'http_req_duration{endpoint:submitTask}': ['p(95)<300', 'p(99)<1000'],
    untyped_refusal: ['rate==0'],
    unexpected_status: ['rate<0.001'],
  },
};

export function setup(): { token: string } {
  const token = tokenFor(TENANT);
  const upload = call('uploadPolicyVersion', {
    token,
    pathParams: { name: POLICY_NAME },
    body: { module: http.file(WASM, `${POLICY_NAME}.wasm`, 'application/wasm') },
    multipart: true,
  });
  if (upload.status !== 200 && upload.status !== 201) {
    throw new Error(`policy upload answered ${upload.status}: ${String(upload.body)}`);
  }
  const version = (upload.json() as { version: string }).version;
  const bind = call('putPolicyBinding', {
    token,
    pathParams: { name: POLICY_NAME },
    body: { version, hooks: ['admit'], failure_mode: 'fail_closed' },
  });
  if (bind.status !== 200 && bind.status !== 201) {
    throw new Error(`policy binding answered ${bind.status}: ${String(bind.body)}`);
  }
  return { token };
}

const SIZES = [4, 16, 64, 256, 1024];

export default function (data: { token: string }): void {
  const size = SIZES[Math.floor(Math.random() * SIZES.length)];
  const res = call('submitTask', {
    token: data.token,
    body: completion(size, Math.random() < 0.5 ? 'interactive' : 'batch', { team: `t${Math.floor(Math.random() * 8)}` }),
  });
  const refused = res.status === 403 || res.status === 400 || res.status === 429;
  unexpected.add(res.status !== 202 && !refused);
  if (refused) {
    untyped.add(typeof (res.json() as { code?: string }).code !== 'string');
  }
  check(res, { 'admitted or refused by policy': () => res.status === 202 || refused });
}

export function teardown(data: { token: string }): void {
  call('deletePolicyBinding', { token: data.token, pathParams: { name: POLICY_NAME } });
}
