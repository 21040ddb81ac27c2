// Admission burst: a sudden ramp of submitters, then a plateau. Measures POST /v1/tasks latency and that a burst
// is answered with 202 or a typed 429 (backpressure, ADM-4), never with a 5xx or a hang.
// Java equivalent here: `bin/sluice bench admissions` (platform/benchmarks .../admission/AdmissionLoad).
import { check } from 'k6';
import { Options } from 'k6/options';
import { Rate } from 'k6/metrics';
import { call } from './lib/endpoints.ts';
import { tokenFor } from './lib/auth.ts';
import { completion } from './lib/tasks.ts';

const TENANT = __ENV.SLUICE_TENANT || 'tenant-a';
const PEAK = Number(__ENV.PEAK_RATE || 200);
const unexpected = new Rate('unexpected_status');

export const options: Options = {
  scenarios: {
    burst: {
      executor: 'ramping-arrival-rate',
      startRate: 5,
      timeUnit: '1s',
      preAllocatedVUs: 50,
      maxVUs: 400,
      stages: [
        { target: PEAK, duration: '5s' },
        { target: PEAK, duration: __ENV.PLATEAU || '30s' },
        { target: 0, duration: '5s' },
      ],
    },
  },
  thresholds: {
    'http_req_duration{endpoint:submitTask}': ['p(95)<250', 'p(99)<1000'],
    unexpected_status: ['rate<0.001'],
    http_req_failed: ['rate<0.05'],
    dropped_iterations: ['count<50'],
  },
};

export function setup(): { token: string } {
  return { token: tokenFor(TENANT) };
}

export default function (data: { token: string }): void {
  const res = call('submitTask', { token: data.token, body: completion(8) });
  // 429 is the documented backpressure answer; anything else but 202 counts against the run.
  unexpected.add(res.status !== 202 && res.status !== 429);
  check(res, {
    'accepted or backpressured': (r) => r.status === 202 || r.status === 429,
    'typed error on refusal': (r) => r.status === 202 || typeof (r.json() as { code?: string }).code === 'string',
  });
}
