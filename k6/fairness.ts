// Two-tenant fairness (SCH-1, SCH-2): a noisy tenant floods the same model while a quiet tenant sends a steady
// trickle. The quiet tenant's streams must stay fast and error-free whatever the noisy one does; the summary
// prints each tenant's completed tasks so the shares can be read against the tenants' weights.
// Java equivalent here: `bin/sluice bench streams` with two tenants (platform/benchmarks .../policy/TenantIsolationLoad).
import { check } from 'k6';
import { Options } from 'k6/options';
import { Counter, Rate, Trend } from 'k6/metrics';
import { call } from './lib/endpoints.ts';
import { tokenFor } from './lib/auth.ts';
import { completion, summarizeStream } from './lib/tasks.ts';

const NOISY = __ENV.NOISY_TENANT || 'tenant-a';
const QUIET = __ENV.QUIET_TENANT || 'tenant-b';
const DURATION = __ENV.DURATION || '1m';

const endToEnd = new Trend('task_end_to_end_ms', true);
const done = new Counter('tasks_completed');
const quietErrors = new Rate('quiet_tenant_errors');

export const options: Options = {
  scenarios: {
    noisy: {
      executor: 'constant-vus',
      vus: Number(__ENV.NOISY_VUS || 64),
      duration: DURATION,
      exec: 'noisy',
    },
    quiet: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.QUIET_RATE || 4),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 16,
      maxVUs: 64,
      exec: 'quiet',
    },
  },
  thresholds: {
    // The quiet tenant is not starved: its tasks finish quickly and without errors while the noisy one floods.
    'task_end_to_end_ms{tenant:quiet}': ['p(95)<5000'],
    quiet_tenant_errors: ['rate<0.01'],
    // Both tenants make progress.
    'tasks_completed{tenant:quiet}': ['count>0'],
    'tasks_completed{tenant:noisy}': ['count>0'],
  },
};

interface Tokens {
  noisy: string;
  quiet: string;
}

export function setup(): Tokens {
  return { noisy: tokenFor(NOISY), quiet: tokenFor(QUIET) };
}

function runOne(token: string, tenant: 'noisy' | 'quiet'): boolean {
  const body = completion(32);
  const started = Date.now();
  const submitted = call('submitTask', { token, body, tags: { tenant } });
  if (submitted.status !== 202) {
    return false;
  }
  const res = call('streamTask', {
    token,
    pathParams: { task_id: body.task_id },
    headers: { Accept: 'text/event-stream' },
    tags: { tenant },
    timeout: '120s',
  });
  const ok = res.status === 200 && summarizeStream(String(res.body || '')).terminal === 'end';
  if (ok) {
    endToEnd.add(Date.now() - started, { tenant });
    done.add(1, { tenant });
  }
  return ok;
}

export function noisy(data: Tokens): void {
  runOne(data.noisy, 'noisy');
}

export function quiet(data: Tokens): void {
  const ok = runOne(data.quiet, 'quiet');
  quietErrors.add(!ok);
  check(ok, { 'quiet tenant task completed': (v) => v });
}
