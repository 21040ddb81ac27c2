// Test policy (not an example): echoes every input member it reads through the SDK's classes as
// JSON written by the SDK's writer. The host's SDK conformance test compares the echo with the
// input it sent, so both halves of the SDK's JSON are checked against Jackson on the host side.
// Its output is not a decision: tests read it raw, never through a binding.
//
// `admit` and `route` read the ABI 1.0 JSON document (the SDK's JSON reader); `admit_slots` and
// `route_slots` read the same members from the ABI 1.1 slot layout, so one plugin checks both
// readers against the same expectations. It declares 1.0: the host sends JSON to `admit`.
import { Host } from "@extism/as-pdk";
import {
  ABI_VERSION_JSON,
  AdmitRequest,
  Box,
  Candidate,
  Hook,
  JsonWriter,
  RouteRequest,
  onDescribe,
  readInputBytes,
} from "@sluice/policy-sdk";

export function describe(): i32 {
  return onDescribe("sdk-echo", "1.0.0", [Hook.ADMIT, Hook.ROUTE], [], ABI_VERSION_JSON);
}

/** Whether this call reads the slot layout (the *_slots exports) rather than JSON. */
let slots = false;

export function admit(): i32 {
  slots = false;
  return echoAdmit(AdmitRequest.parse(readInputBytes()));
}

export function admit_slots(): i32 {
  slots = true;
  return echoAdmit(AdmitRequest.read());
}

function echoAdmit(input: AdmitRequest): i32 {
  const w = new JsonWriter();
  w.beginObject();
  writeAdmit(w, input);
  w.endObject();
  return finish(w);
}

export function route(): i32 {
  slots = false;
  return echoRoute(RouteRequest.parse(readInputBytes()));
}

export function route_slots(): i32 {
  slots = true;
  return echoRoute(RouteRequest.read());
}

function echoRoute(input: RouteRequest): i32 {
  const w = new JsonWriter();
  w.beginObject();
  writeAdmit(w, input);
  w.name("candidates").beginArray();
  const cs = input.candidates;
  for (let i = 0; i < cs.length; i++) writeCandidate(w, cs[i]);
  w.endArray();
  w.endObject();
  return finish(w);
}

function finish(w: JsonWriter): i32 {
  Host.output(w.bytes());
  __collect();
  return 0;
}

function writeAdmit(w: JsonWriter, a: AdmitRequest): void {
  w.name("abi_version").string(a.abi_version);
  const t = a.tenant;
  w.name("tenant").beginObject();
  w.name("id").string(t.id);
  w.name("tier").string(t.tier);
  writeMap(w.name("labels"), t.labels);
  w.endObject();

  const r = a.request;
  w.name("request").beginObject();
  w.name("task_id").string(r.task_id);
  w.name("session_id").string(r.session_id);
  w.name("workload").string(r.workload);
  w.name("model_ref").string(r.model_ref);
  const engine = r.engine;
  if (engine === null) w.name("engine").nullValue();
  else w.name("engine").string(engine);
  w.name("priority").string(r.priority);
  w.name("max_tokens").int(r.max_tokens);
  w.name("deadline_ms").int(r.deadline_ms);
  w.name("ctx").int(r.ctx);
  writeMap(w.name("labels"), r.labels);
  w.name("prompt_chars").int(r.prompt_chars);
  const prompt = r.prompt;
  if (prompt !== null) w.name("prompt").string(prompt);
  // label() reads one label without building the map; echo what it finds for every key.
  w.name("label_lookups").beginObject();
  const keys = r.labels.keys();
  for (let i = 0; i < keys.length; i++) w.name(keys[i]).string(Request_label(a, keys[i]));
  w.endObject();
  w.endObject();

  const s = a.snapshot;
  w.name("snapshot").beginObject();
  w.name("time_ms").int(s.time_ms);
  const q = s.quota;
  w.name("quota").beginObject();
  w.name("running").int(q.running);
  w.name("queued").int(q.queued);
  writeBox(w.name("max_concurrent"), q.max_concurrent);
  writeBox(w.name("max_queued"), q.max_queued);
  w.name("tokens_per_minute_used").int(q.tokens_per_minute_used);
  writeBox(w.name("tokens_per_minute"), q.tokens_per_minute);
  w.endObject();
  w.name("queues").beginObject();
  const pools = s.queues.keys();
  for (let i = 0; i < pools.length; i++) {
    w.name(pools[i]).beginObject();
    w.name("depth").int(s.queues.get(pools[i]).depth);
    w.endObject();
  }
  w.endObject();
  w.name("model").beginObject();
  w.name("id").string(s.model.id);
  w.name("state").string(s.model.state);
  w.endObject();
  w.endObject();
}

/** A fresh view of the same input, so label() is answered from the bytes, not from the map. */
function Request_label(a: AdmitRequest, key: string): string {
  const fresh = slots ? AdmitRequest.read() : AdmitRequest.parse(readInputBytes());
  return fresh.request.label(key, "(absent)");
}

function writeCandidate(w: JsonWriter, c: Candidate): void {
  w.beginObject();
  w.name("replica_id").string(c.replica_id);
  w.name("pool_id").string(c.pool_id);
  w.name("engine").string(c.engine);
  w.name("free_slots").int(c.free_slots);
  writeMap(w.name("labels"), c.labels);
  w.endObject();
}

function writeMap(w: JsonWriter, m: Map<string, string>): void {
  w.beginObject();
  const keys = m.keys();
  for (let i = 0; i < keys.length; i++) w.name(keys[i]).string(m.get(keys[i]));
  w.endObject();
}

function writeBox(w: JsonWriter, b: Box<i64> | null): void {
  if (b === null) w.nullValue();
  else w.int(b.value);
}
