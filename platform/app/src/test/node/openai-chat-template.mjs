// The official `openai` npm client against a running Sluice: chat messages are rendered with the model's own chat
// template (SPEC ADM-9, ADR 0037). Run by OpenAiChatTemplateTest (platform/app), which starts Sluice, puts a catalog
// entry tmpl-tiny:v1 declaring a Llama-3-style template on the pool of tmpl-tiny (whose engine reports ChatML), and
// passes:
//   SLUICE_OPENAI_BASE_URL  http://127.0.0.1:<port>/v1
//   SLUICE_TOKEN            a tenant's OIDC access token (the API key)
//   SLUICE_NONCE            a word to put in every message, so the test finds these prompts at the engine
// The test then checks, at the simulator, the exact prompts the engine received. Exits non-zero on the first failed
// assertion.
import assert from 'node:assert/strict';
import OpenAI, { BadRequestError } from 'openai';

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
}

const client = new OpenAI({ baseURL: required('SLUICE_OPENAI_BASE_URL'), apiKey: required('SLUICE_TOKEN'), maxRetries: 0, timeout: 60_000 });
const nonce = required('SLUICE_NONCE');

/** The simulator's prompt count: one token per started 4 UTF-8 bytes of the prompt it received. */
const promptTokens = (text) => Math.max(1, Math.ceil(Buffer.byteLength(text, 'utf8') / 4));

const messages = (model) => [
  { role: 'developer', content: `Answer in one word (${model} ${nonce}).` },
  { role: 'user', content: [{ type: 'text', text: `  Which river? ` }, { type: 'text', text: `${nonce}  ` }] },
];

async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`ok - ${name} (${Date.now() - t0} ms)`);
}

await check('models list names each model\'s chat template source', async () => {
  const sources = {};
  for await (const m of client.models.list()) {
    sources[m.id] = m.chat_template_source;
  }
  assert.equal(sources['tmpl-tiny'], 'engine', JSON.stringify(sources));
  assert.equal(sources['tmpl-tiny:v1'], 'catalog', JSON.stringify(sources));
  assert.equal(sources['dev-tiny'], 'sluice', JSON.stringify(sources));
});

const chatml = (model) => `<|im_start|>system\nAnswer in one word (${model} ${nonce}).<|im_end|>\n`
  + `<|im_start|>user\n  Which river? ${nonce}  <|im_end|>\n<|im_start|>assistant\n`;
const llama3 = (model) => `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nAnswer in one word (${model} ${nonce}).<|eot_id|>`
  + `<|start_header_id|>user<|end_header_id|>\n\nWhich river? ${nonce}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`;
const fixed = (model) => `<|system|>\nAnswer in one word (${model} ${nonce}).\n<|user|>\n  Which river? ${nonce}  \n<|assistant|>\n`;

for (const [model, expected, source] of [['tmpl-tiny', chatml, 'the engine\'s ChatML template'],
  ['tmpl-tiny:v1', llama3, 'the catalog\'s Llama-3-style template'], ['dev-tiny', fixed, 'Sluice\'s fixed format (fallback)']]) {
  await check(`${model}: whole answer, prompt rendered with ${source}`, async () => {
    const c = await client.chat.completions.create({ model, messages: messages(model), max_tokens: 4, seed: 7 });
    assert.equal(c.choices[0].finish_reason, 'length');
    assert.equal(c.usage.prompt_tokens, promptTokens(expected(model)), 'the engine counted the rendered prompt');
  });
}

await check('tmpl-tiny streamed: the same template, the same answer', async () => {
  const request = { model: 'tmpl-tiny', messages: messages('tmpl-tiny'), max_tokens: 4, seed: 7 };
  const whole = await client.chat.completions.create(request);
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    usage = chunk.usage ?? usage;
  }
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(usage.prompt_tokens, promptTokens(chatml('tmpl-tiny')));
});

await check('a template that refuses the messages is a BadRequestError on messages with the template\'s reason', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'tmpl-tiny:v1', max_tokens: 4,
    messages: [{ role: 'assistant', content: `I start (${nonce}).` }, { role: 'user', content: 'hi' }] }), (e) => {
    assert.ok(e instanceof BadRequestError, `BadRequestError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, 400);
    assert.equal(e.param, 'messages');
    assert.equal(e.code, 'invalid_params');
    assert.match(e.message, /refuses these messages: the conversation must not start with the assistant/);
    return true;
  });
});

console.log('all chat template checks passed');
