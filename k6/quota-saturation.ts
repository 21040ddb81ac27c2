// Quota saturation (SCH-3): an admin gives the tenant an rps/burst quota, then the tenant submits well above it.
// Everything above the quota must be refused with 429 QUOTA_EXCEEDED and Retry-After, quickly, and the accepted
// rate must stay at the quota (summed over every Sluice instance, since quotas are global).
// Java equivalent here: the QuotaClusterIT scenario in platform/app (two instances, one database); the load driver's
// `bench admissions` shows the admission cost without quotas.
import { check } from 'k6';
import { Options } from 'k6/options';
import { Counter, Rate } from 'k6/metrics';
import { call } from './lib/endpoints.ts';
import { tokenFor } from './lib/auth.ts';
import { completion } from './lib/tasks.ts';

const TENANT = __ENV.QUOTA_TENANT || 'tenant-quota';
const RPS = Number(__ENV.QUOTA_RPS || 20);
const BURST = Number(__ENV.QUOTA_BURST || 20);
const OFFERED = Number(__ENV.OFFERED_RATE || RPS * 5);
const SECONDS = Number(__ENV.SECONDS || 30);

const accepted = new Counter('tasks_accepted');
const badRefusal = new Rate('refusal_not_typed');
const unexpected = new Rate('unexpected_status');

export const options: Options = {
  scenarios: {
    saturate: {
      executor: 'constant-arrival-rate',
      rate: OFFERED,
      timeUnit: '1s',
      duration: `${SECONDS}s`,
      preAllocatedVUs: 50,
      maxVUs: 300,
    },
  },
  thresholds: {
    // Accepted per second over the run: the quota rate plus the burst spread over the run, with 10 % slack.
    tasks_accepted: [`rate<=${((RPS + BURST / SECONDS) * 1.1).toFixed(2)}`],
    refusal_not_typed: ['rate==0'],
    unexpected_status: ['rate<0.001'],
    // A refusal is cheap: it must not wait for capacity.
    'http_req_duration{status:429}': ['p(95)<100'],
  },
};

export function setup(): { token: string } {
  const admin = tokenFor('admin');
  const tenant = call('putTenant', { token: admin, pathParams: { tenant_id: TENANT }, body: { display_name: 'k6 quota saturation' } });
  check(tenant, { 'tenant registered': (r) => r.status === 200 || r.status === 201 });
  const quota = call('putTenantQuotas', {
    token: admin,
    pathParams: { tenant_id: TENANT },
    body: { rps: RPS, burst: BURST },
  });
  if (quota.status !== 200) {
    throw new Error(`could not set the quota of ${TENANT}: ${quota.status} ${String(quota.body)}`);
  }
  return { token: tokenFor(TENANT) };
}

export default function (data: { token: string }): void {
  const res = call('submitTask', { token: data.token, body: completion(4) });
  if (res.status === 202) {
    accepted.add(1);
    unexpected.add(false);
    return;
  }
  unexpected.add(res.status !== 429);
  if (res.status === 429) {
    const code = (res.json() as { code?: string }).code;
    badRefusal.add(code !== 'QUOTA_EXCEEDED' || !res.headers['Retry-After']);
  }
}

export function teardown(): void {
  // Leave the tenant without a quota again, so a later run of another script is not throttled by this one.
  call('putTenantQuotas', { token: tokenFor('admin'), pathParams: { tenant_id: TENANT }, body: {} });
}
