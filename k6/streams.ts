// N concurrent streams: each VU submits a task and reads GET /v1/tasks/{id}/stream to its terminal event.
// Measures time to the end of the stream and that every stream ends with `end` (SSE-1, SSE-2).
// Java equivalent here: `bin/sluice bench streams --clients N` (platform/benchmarks .../load/HotPathBench).
import { check } from 'k6';
import { Options } from 'k6/options';
import { Counter, Rate, Trend } from 'k6/metrics';
import { call } from './lib/endpoints.ts';
import { tokenFor } from './lib/auth.ts';
import { completion, summarizeStream } from './lib/tasks.ts';

const TENANT = __ENV.SLUICE_TENANT || 'tenant-a';
const STREAMS = Number(__ENV.STREAMS || 64);
const MAX_TOKENS = Number(__ENV.MAX_TOKENS || 64);

const streamMs = new Trend('stream_duration_ms', true);
const tokens = new Counter('stream_tokens');
const completed = new Rate('stream_completed');

export const options: Options = {
  scenarios: {
    streams: {
      executor: 'constant-vus',
      vus: STREAMS,
      duration: __ENV.DURATION || '1m',
    },
  },
  thresholds: {
    stream_completed: ['rate>0.99'],
    stream_duration_ms: ['p(95)<10000'],
    'http_req_duration{endpoint:submitTask}': ['p(95)<250'],
    http_req_failed: ['rate<0.01'],
  },
};

export function setup(): { token: string } {
  return { token: tokenFor(TENANT) };
}

export default function (data: { token: string }): void {
  const body = completion(MAX_TOKENS);
  const submitted = call('submitTask', { token: data.token, body });
  if (!check(submitted, { 'submitted 202': (r) => r.status === 202 })) {
    completed.add(false);
    return;
  }
  const started = Date.now();
  const res = call('streamTask', {
    token: data.token,
    pathParams: { task_id: body.task_id },
    headers: { Accept: 'text/event-stream' },
    timeout: '120s',
  });
  const summary = summarizeStream(String(res.body || ''));
  streamMs.add(Date.now() - started);
  tokens.add(summary.tokens);
  completed.add(res.status === 200 && summary.terminal === 'end');
  check(res, { 'stream 200': (r) => r.status === 200, 'stream ended with end': () => summary.terminal === 'end' });
}
