// Runs policy plugins in the JavaScript Extism host (@extism/extism, pinned in the root package.json), so that
// ExtismJsHostParityTest can hold its outputs against the Java host's decisions on the same input bytes.
//
//   node extism-js-host.mjs JOB.json RESULT.json
//
// JOB.json:    {"plugins": [{"name", "wasm": "<path>", "calls": [{"hook": "admit"|"route", "input": "<base64>"}]}]}
// RESULT.json: {"host": "@extism/extism <version>", "plugins": [{"name", "describe": "<base64>",
//               "outputs": [{"output": "<base64>"} | {"error": "<message>"}]}]}
//
// The inputs are the bytes the Java host hands the guest (ABI 1.0 JSON or the 1.1 slot layout), so both hosts run
// the same guest code on the same bytes; deciding what the output means stays with the Java side. A call that fails
// is reported, not thrown, and its plugin is created anew, because a trapped instance is not reused by either host.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import createPlugin from '@extism/extism';

const [jobPath, resultPath] = process.argv.slice(2);
if (!jobPath || !resultPath) {
  console.error('usage: node extism-js-host.mjs JOB.json RESULT.json');
  process.exit(2);
}

// The package's exports hide its package.json, so it is read from the directory its entry point resolves into.
const entry = createRequire(import.meta.url).resolve('@extism/extism');
const packageDir = entry.slice(0, entry.lastIndexOf('/node_modules/@extism/extism/') + '/node_modules/@extism/extism'.length);
const version = JSON.parse(readFileSync(`${packageDir}/package.json`, 'utf8')).version;
const job = JSON.parse(readFileSync(jobPath, 'utf8'));

/** A new plugin over the module: WASI on (its clocks and random are unused by these plugins), no host functions. */
async function load(wasm) {
  return createPlugin({ wasm: [{ data: wasm }] }, { useWasi: true, runInWorker: false });
}

const base64 = (bytes) => Buffer.from(bytes).toString('base64');

const plugins = [];
let calls = 0;
let failures = 0;
for (const p of job.plugins) {
  const wasm = readFileSync(p.wasm);
  let plugin = await load(wasm);
  const described = await plugin.call('describe');
  const outputs = [];
  for (const c of p.calls) {
    calls++;
    try {
      // A copy with an ArrayBuffer of its own: the JS host keeps a Uint8Array's whole underlying buffer as the input,
      // ignoring its offset and length, and a small Buffer is a slice of Node's shared pool.
      const out = await plugin.call(c.hook, new Uint8Array(Buffer.from(c.input, 'base64')));
      outputs.push({ output: out === null ? '' : base64(out.bytes()) });
    } catch (e) {
      failures++;
      outputs.push({ error: String(e && e.message ? e.message : e) });
      await plugin.close();
      plugin = await load(wasm);
    }
  }
  await plugin.close();
  plugins.push({ name: p.name, describe: described === null ? '' : base64(described.bytes()), outputs });
}
writeFileSync(resultPath, JSON.stringify({ host: `@extism/extism ${version}`, plugins }));
console.log(`@extism/extism ${version}: ${plugins.length} plugins, ${calls} calls, ${failures} failed`);
