// The official `openai` npm client against a running Sluice (SPEC ADM-9), unchanged: plain requests, streams,
// sampling members forwarded to the engine, its error classes and its retries on 429. Run by OpenAiClientTest (platform/app), which starts Sluice and passes:
//   SLUICE_OPENAI_BASE_URL  http://127.0.0.1:<port>/v1
//   SLUICE_TOKEN            a tenant's OIDC access token (the API key)
//   SLUICE_LIMITED_TOKEN    a token of a tenant with an rps quota of 1 (burst 1)
//   SLUICE_ZERO_TOKEN       a token of a tenant with a max_queued quota of 0 (every request 429, retry in 1 s)
// Exits non-zero on the first failed assertion.
import assert from 'node:assert/strict';
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from 'openai';

const baseURL = required('SLUICE_OPENAI_BASE_URL');
const client = new OpenAI({ baseURL, apiKey: required('SLUICE_TOKEN'), maxRetries: 0, timeout: 60_000 });

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
}

/** The simulator's prompt count, which it reports as evaluated: one token per started 4 UTF-8 bytes. */
const promptTokens = (text) => Math.max(1, Math.ceil(Buffer.byteLength(text, 'utf8') / 4));

/** A fetch that records every attempt the client makes (its retries are otherwise invisible). */
function recordingFetch(log) {
  return async (url, init) => {
    const sent = Date.now();
    const res = await fetch(url, init);
    log.push({ sent, received: Date.now(), status: res.status, retryAfterMs: res.headers.get('retry-after-ms'),
      retryAfter: res.headers.get('retry-after') });
    return res;
  };
}

async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`ok - ${name} (${Date.now() - t0} ms)`);
}

const chat = (content, extra = {}) => ({ model: 'dev-tiny', messages: [{ role: 'user', content }], max_tokens: 8, seed: 3, ...extra });

await check('chat completion with real usage', async () => {
  const c = await client.chat.completions.create(chat('What is a sluice?'));
  assert.equal(c.object, 'chat.completion');
  assert.equal(c.model, 'dev-tiny');
  assert.equal(c.choices.length, 1);
  assert.equal(c.choices[0].message.role, 'assistant');
  assert.ok(c.choices[0].message.content.length > 0, 'the answer has text');
  assert.equal(c.choices[0].finish_reason, 'length');
  assert.equal(c.usage.completion_tokens, 8);
  assert.equal(c.usage.prompt_tokens, promptTokens('<|user|>\nWhat is a sluice?\n<|assistant|>\n'));
  assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + 8);
});

await check('streamed chat: same text as the whole answer, usage chunk, ends with data: [DONE]', async () => {
  const request = chat('Name three rivers.', { max_tokens: 10, seed: 5 });
  const whole = await client.chat.completions.create(request);
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish = null;
  let usage = null;
  let role = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) {
      usage = chunk.usage;
    }
    for (const choice of chunk.choices) {
      role ??= choice.delta.role ?? null;
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  assert.equal(role, 'assistant');
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, 'length');
  assert.ok(usage, 'a usage chunk was sent');
  assert.equal(usage.completion_tokens, 10);
  assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
  // The client stops at [DONE] without saying so: read the same stream raw once to see it.
  const raw = await client.chat.completions.create({ ...request, stream: true }).asResponse();
  assert.match(await raw.text(), /\n\ndata: \[DONE\]\n\n$/);
});

await check('completions, whole and streamed', async () => {
  const request = { model: 'dev-tiny', prompt: 'The rivers are', max_tokens: 6, seed: 9 };
  const c = await client.completions.create(request);
  assert.equal(c.object, 'text_completion');
  assert.equal(c.choices[0].finish_reason, 'length');
  assert.equal(c.usage.prompt_tokens, promptTokens('The rivers are'));
  assert.equal(c.usage.completion_tokens, 6);
  let text = '';
  for await (const chunk of await client.completions.create({ ...request, stream: true })) {
    assert.equal(chunk.object, 'text_completion');
    text += chunk.choices[0]?.text ?? '';
  }
  assert.equal(text, c.choices[0].text);
});

await check('sampling members reach the engine: equal requests give equal text, another temperature other text', async () => {
  const sampled = chat('Describe a river.', { max_tokens: 12, seed: 21, temperature: 0.7, top_p: 0.9, presence_penalty: 0.2,
    frequency_penalty: 0.1 });
  const text = async (request) => (await client.chat.completions.create(request)).choices[0].message.content;
  const first = await text(sampled);
  assert.equal(await text(sampled), first, 'equal requests, equal text');
  assert.notEqual(await text({ ...sampled, temperature: 1.3 }), first, 'another temperature, other text');
  const { temperature, top_p, presence_penalty, frequency_penalty, ...plain } = sampled;
  assert.notEqual(await text(plain), first, 'the sampling members were not ignored');
  // An integer temperature is a number like any other.
  assert.equal(await text({ ...sampled, temperature: 1 }), await text({ ...sampled, temperature: 1.0 }));
  const completion = { model: 'dev-tiny', prompt: 'The rivers are', max_tokens: 8, seed: 4, temperature: 0.4 };
  const c1 = await client.completions.create(completion);
  const c2 = await client.completions.create(completion);
  const c3 = await client.completions.create({ ...completion, temperature: 0.5 });
  assert.equal(c2.choices[0].text, c1.choices[0].text);
  assert.notEqual(c3.choices[0].text, c1.choices[0].text);
});

await check('top_p 0 is a BadRequestError naming top_p (a task needs top_p above 0)', async () => {
  await assert.rejects(client.chat.completions.create({ ...chat('hi'), top_p: 0 }), (e) => {
    assert.ok(e instanceof BadRequestError, `${e}`);
    assert.equal(e.param, 'top_p');
    return true;
  });
});

await check('models list', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    ids.push(m.id);
  }
  assert.ok(ids.includes('dev-tiny'), `dev-tiny in ${ids}`);
});

await check('401 is an AuthenticationError', async () => {
  const stranger = new OpenAI({ baseURL, apiKey: 'not-a-token', maxRetries: 0 });
  await assert.rejects(stranger.chat.completions.create(chat('hi')), (e) => {
    assert.ok(e instanceof AuthenticationError, `${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.code, 'invalid_api_key');
    return true;
  });
});

await check('unknown model is a NotFoundError with code model_not_found', async () => {
  await assert.rejects(client.chat.completions.create({ ...chat('hi'), model: 'no-such-model' }), (e) => {
    assert.ok(e instanceof NotFoundError, `${e}`);
    assert.equal(e.code, 'model_not_found');
    assert.equal(e.param, 'model');
    return true;
  });
});

await check('n above 1 is a BadRequestError naming n', async () => {
  await assert.rejects(client.chat.completions.create({ ...chat('hi'), n: 2 }), (e) => {
    assert.ok(e instanceof BadRequestError, `${e}`);
    assert.equal(e.param, 'n');
    assert.equal(e.type, 'invalid_request_error');
    return true;
  });
});

await check('429: RateLimitError without retries, then the client waits retry-after-ms and succeeds', async () => {
  const token = required('SLUICE_LIMITED_TOKEN');
  const noRetry = new OpenAI({ baseURL, apiKey: token, maxRetries: 0 });
  // The bucket holds one request: the first may pass, the next within the second cannot.
  let refused = null;
  for (let i = 0; i < 3 && !refused; i++) {
    try {
      await noRetry.chat.completions.create(chat('hi', { max_tokens: 2 }));
    } catch (e) {
      refused = e;
    }
  }
  assert.ok(refused instanceof RateLimitError, `${refused}`);
  assert.equal(refused.status, 429);
  assert.equal(refused.code, 'quota_exceeded');
  assert.equal(refused.type, 'rate_limit_error');
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);

  const attempts = [];
  const retrying = new OpenAI({ baseURL, apiKey: token, maxRetries: 2, fetch: recordingFetch(attempts) });
  const c = await retrying.chat.completions.create(chat('hi', { max_tokens: 2 }));
  assert.equal(c.object, 'chat.completion');
  assert.ok(attempts.length >= 2, `retried: ${JSON.stringify(attempts)}`);
  assert.equal(attempts[0].status, 429);
  assert.equal(attempts.at(-1).status, 200);
  const waited = attempts[1].sent - attempts[0].received;
  assert.ok(waited >= Number(attempts[0].retryAfterMs) - 5, `waited ${waited} ms for retry-after-ms ${attempts[0].retryAfterMs}`);
});

await check('429 on every attempt: RateLimitError after the client\'s retries', async () => {
  const attempts = [];
  const zero = new OpenAI({ baseURL, apiKey: required('SLUICE_ZERO_TOKEN'), maxRetries: 2, fetch: recordingFetch(attempts) });
  await assert.rejects(zero.chat.completions.create(chat('hi')), (e) => {
    assert.ok(e instanceof RateLimitError, `${e}`);
    return true;
  });
  assert.equal(attempts.length, 3, `one request and two retries: ${JSON.stringify(attempts)}`);
  assert.ok(attempts.every((a) => a.status === 429));
  for (let i = 1; i < attempts.length; i++) {
    const waited = attempts[i].sent - attempts[i - 1].received;
    assert.ok(waited >= Number(attempts[i - 1].retryAfterMs) - 5, `retry ${i} waited ${waited} ms for ${attempts[i - 1].retryAfterMs}`);
  }
});

console.log('all openai client checks passed');
