// The only place the k6 scripts name Sluice URLs. Every script calls Sluice through call(), whose first argument
// must be a key of ENDPOINTS, so the type checker refuses a script that invents an endpoint, and
// K6ContractTest (platform/app) refuses a row of this table that the contract (openapi/sluice-v1.yaml) lacks.
// Keep one row per line in the form below: the test reads this file as text and fails on a row it cannot parse.
import http, { Params, RefinedResponse, RequestBody, ResponseType } from 'k6/http';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export const ENDPOINTS = {
  submitTask: { method: 'POST', path: '/v1/tasks' },
  getTask: { method: 'GET', path: '/v1/tasks/{task_id}' },
  streamTask: { method: 'GET', path: '/v1/tasks/{task_id}/stream' },
  putTenant: { method: 'PUT', path: '/v1/tenants/{tenant_id}' },
  putTenantQuotas: { method: 'PUT', path: '/v1/tenants/{tenant_id}/quotas' },
  uploadPolicyVersion: { method: 'POST', path: '/v1/policies/{name}/versions' },
  putPolicyBinding: { method: 'PUT', path: '/v1/policies/{name}/binding' },
  deletePolicyBinding: { method: 'DELETE', path: '/v1/policies/{name}/binding' },
} as const satisfies Record<string, { method: Method; path: string }>;

export type EndpointName = keyof typeof ENDPOINTS;

/** Base URL of the Sluice deployment under load (default: `bin/sluice start-dev` on port 8080). */
export const BASE_URL: string = (__ENV.SLUICE_URL || 'http://localhost:8080').replace(/\/$/, '');

/** Fills `{param}` placeholders; a placeholder without a value is a script bug and stops the run. */
export function url(name: EndpointName, params: Record<string, string> = {}): string {
  const path = ENDPOINTS[name].path.replace(/\{(\w+)\}/g, (_m: string, key: string) => {
    const value = params[key];
    if (value === undefined) {
      throw new Error(`endpoint ${name} needs path parameter ${key}`);
    }
    return encodeURIComponent(value);
  });
  return BASE_URL + path;
}

export interface CallOptions {
  token: string;
  pathParams?: Record<string, string>;
  /** A JSON value (sent as application/json) or a ready body such as a multipart map of http.file(). */
  body?: unknown;
  multipart?: boolean;
  /** The endpoint name is the metric tag by default, so URLs with ids do not explode the metric series. */
  tags?: Record<string, string>;
  timeout?: string;
  headers?: Record<string, string>;
}

/** Calls one endpoint of the table with a bearer token. */
export function call(name: EndpointName, opts: CallOptions): RefinedResponse<ResponseType | undefined> {
  const endpoint = ENDPOINTS[name];
  const headers: Record<string, string> = { Authorization: `Bearer ${opts.token}`, ...(opts.headers || {}) };
  let body: RequestBody | null = null;
  if (opts.body !== undefined) {
    if (opts.multipart) {
      body = opts.body as RequestBody;
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
  }
  const params: Params = {
    headers,
    tags: { endpoint: name, ...(opts.tags || {}) },
    timeout: opts.timeout || '60s',
  };
  return http.request(endpoint.method, url(name, opts.pathParams), body, params);
}
