// Task bodies and the stream reader shared by the scripts. Bodies follow TaskRequest in openapi/sluice-v1.yaml.
import { uuidv4 } from './uuid.ts';

export type Priority = 'interactive' | 'batch';

export interface TaskRequest {
  task_id: string;
  session_id: string;
  workload: 'completion';
  model_ref: string;
  priority: Priority;
  prompt: string;
  max_tokens: number;
  deadline_ms: number;
  labels?: Record<string, string>;
}

/** The model every script loads; `dev-tiny` is the one `bin/sluice start-dev` serves. */
export const MODEL: string = __ENV.SLUICE_MODEL || 'dev-tiny';

export function completion(maxTokens: number, priority: Priority = 'interactive', labels?: Record<string, string>): TaskRequest {
  const body: TaskRequest = {
    task_id: uuidv4(),
    session_id: uuidv4(),
    workload: 'completion',
    model_ref: MODEL,
    priority,
    prompt: 'Tell me about sluices and locks.',
    max_tokens: maxTokens,
    deadline_ms: 60000,
  };
  if (labels) {
    body.labels = labels;
  }
  return body;
}

export interface StreamSummary {
  tokens: number;
  /** The terminal SSE event: `end`, `error`, or `none` when the stream ended without one. */
  terminal: string;
  errorCode?: string;
}

/**
 * Reads an SSE body (k6 buffers the whole response; the task stream ends after its terminal event) and counts
 * `token` events. Event names are those of the contract's x-sluice-sse-events map.
 */
export function summarizeStream(body: string): StreamSummary {
  const summary: StreamSummary = { tokens: 0, terminal: 'none' };
  for (const frame of body.split(/\r?\n\r?\n/)) {
    let event = 'message';
    let data = '';
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith('event:')) {
        event = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data += line.slice(5).trim();
      }
    }
    if (event === 'token') {
      summary.tokens++;
    } else if (event === 'end' || event === 'error') {
      summary.terminal = event;
      if (event === 'error' && data) {
        summary.errorCode = (JSON.parse(data) as { code?: string }).code;
      }
    }
  }
  return summary;
}
