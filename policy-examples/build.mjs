#!/usr/bin/env node
// Builds the policy example plugins (AssemblyScript) and the hostile and testing plugins (WAT) into
// a classes directory, so the sluice-policy-examples jar carries them as classpath resources:
//
//   policies/examples/<name>.wasm
//   policies/examples/<name>/fixtures/*.json
//   policies/hostile/<name>.wasm   misbehaving modules the host must contain
//   policies/testing/<name>.wasm   well-behaved modules platform tests need (e.g. two versions of one name)
//   policies/index.json            (what is where, with sha256, so tests can enumerate the jar)
//
// Run by Maven (exec-maven-plugin, generate-resources) as
//   node build.mjs --out target/classes
// It also compiles policy-sdk/template (into --work only) so that the template never rots.
//
// asc spends most of its time optimizing, so outputs are reused when nothing that feeds them
// changed (content hash stamped in --work), and up to --jobs compilers run at once.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildError, checkModule, compilePlugin } from "../policy-sdk/assemblyscript/tools/build.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const sdkDir = join(root, "policy-sdk", "assemblyscript");

function parseArgs(argv) {
  const opts = {
    out: join(here, "target", "classes"),
    // Outside target/ so that `mvn clean` keeps compiled plugins whose inputs did not change;
    // `npm ci` (which CI runs first) starts from an empty cache.
    work: join(root, "node_modules", ".cache", "sluice-policy-build"),
    jobs: Math.max(1, Math.min(2, availableParallelism())),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") opts.out = resolve(argv[++i]);
    else if (a === "--work") opts.work = resolve(argv[++i]);
    else if (a === "--jobs") opts.jobs = Math.max(1, Number.parseInt(argv[++i], 10) || 1);
    else die(`unknown argument ${a} (use --out DIR --work DIR --jobs N)`);
  }
  return opts;
}

function die(message) {
  console.error(`[policy-build] ERROR: ${message}`);
  process.exit(1);
}

function log(message) {
  console.log(`[policy-build] ${message}`);
}

function checkNodeModules() {
  const needed = ["assemblyscript", "@extism/as-pdk", "@sluice/policy-sdk"];
  for (const pkg of needed) {
    if (!existsSync(join(root, "node_modules", pkg, "package.json"))) {
      die(
        `node_modules/${pkg} is missing in ${root}: run \`npm ci\` at the repo root ` +
          `(it installs AssemblyScript and @extism/as-pdk and links @sluice/policy-sdk).`,
      );
    }
  }
}

function packageVersion(pkg) {
  return JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version;
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "build" && e.name !== "target") out.push(...listFiles(p));
    } else out.push(p);
  }
  return out.sort();
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Hash of everything that feeds one compiled plugin. */
function inputHash(sources) {
  const h = createHash("sha256");
  h.update(`asc ${packageVersion("assemblyscript")} as-pdk ${packageVersion("@extism/as-pdk")}\n`);
  // The compiler flags live in the SDK's tools/build.mjs, which is hashed; this script is not.
  const files = [
    ...listFiles(join(sdkDir, "assembly")),
    ...listFiles(join(sdkDir, "tools")),
    join(sdkDir, "index.ts"),
    ...sources,
  ];
  for (const f of files) {
    h.update(relative(root, f) + "\0");
    h.update(readFileSync(f));
  }
  return h.digest("hex");
}

function readFixtures(name, dir) {
  const files = listFiles(dir).filter((f) => f.endsWith(".json"));
  const fixtures = [];
  for (const f of files) {
    let fx;
    try {
      fx = JSON.parse(readFileSync(f, "utf8"));
    } catch (e) {
      die(`${relative(root, f)} is not valid JSON: ${e.message}`);
    }
    const where = relative(root, f);
    if (typeof fx.name !== "string" || fx.name.length === 0) die(`${where}: "name" must be a non-empty string`);
    if (fx.hook !== "admit" && fx.hook !== "route") die(`${where}: "hook" must be "admit" or "route"`);
    if (typeof fx.input !== "object" || fx.input === null) die(`${where}: "input" must be an object`);
    const ex = fx.expect;
    if (typeof ex !== "object" || ex === null) die(`${where}: "expect" must be an object`);
    if (fx.hook === "admit" && !["allow", "deny", "modify"].includes(ex.decision)) {
      die(`${where}: expect.decision must be allow, deny or modify for an admit fixture`);
    }
    if (fx.hook === "route" && !(Array.isArray(ex.order) && ex.order.length > 0)) {
      die(`${where}: expect.order must be a non-empty array for a route fixture`);
    }
    if ((ex.decision === "modify") !== (ex.modifications !== undefined)) {
      die(`${where}: expect.modifications is required with decision modify and only then`);
    }
    fixtures.push({ file: f, hook: fx.hook });
  }
  if (fixtures.length < 3) die(`${name}: needs at least 3 fixtures in ${relative(root, dir)}, found ${fixtures.length}`);
  return fixtures;
}

async function checkPlugin(name, file, needRoute) {
  try {
    const { exports } = await checkModule(file, name);
    if (needRoute && !exports.has("route")) die(`${name}: has route fixtures but does not export "route"`);
    return readFileSync(file);
  } catch (e) {
    die(e.message);
  }
}

/** Runs `work` over `items`, at most `jobs` at a time; stops starting new ones after a failure. */
async function pool(items, jobs, work) {
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < items.length && failures.length === 0) {
      const item = items[next++];
      try {
        await work(item);
      } catch (e) {
        failures.push(e);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  // Report only after in-flight compilers ended, so none outlives this process.
  if (failures.length > 0) die(failures.map((e) => (e instanceof BuildError ? e.message : String(e))).join("\n"));
}

function discoverPlugins() {
  const plugins = [];
  for (const e of readdirSync(here, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const entry = join(here, e.name, "assembly", "index.ts");
    if (existsSync(entry)) {
      plugins.push({ name: e.name, dir: join(here, e.name), entry, ship: true });
    }
  }
  plugins.sort((a, b) => a.name.localeCompare(b.name));
  // Test plugins written with the SDK (testing/<name>/assembly/index.ts) ship under policies/testing.
  const testingDir = join(here, "testing");
  if (existsSync(testingDir)) {
    for (const e of readdirSync(testingDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const entry = join(testingDir, e.name, "assembly", "index.ts");
      if (e.isDirectory() && existsSync(entry)) {
        plugins.push({ name: e.name, dir: join(testingDir, e.name), entry, ship: false, testing: true });
      }
    }
  }
  const template = join(root, "policy-sdk", "template");
  plugins.push({ name: "template", dir: template, entry: join(template, "assembly", "policy.ts"), ship: false });
  return plugins;
}

async function buildPlugins(opts) {
  const plugins = discoverPlugins();
  // Examples and the template carry fixtures; test plugins are driven by the host's tests instead.
  for (const p of plugins) p.fixtures = p.testing ? [] : readFixtures(p.name, join(p.dir, "fixtures"));
  mkdirSync(opts.work, { recursive: true });
  const started = Date.now();
  await pool(plugins, opts.jobs, async (p) => {
    const sources = listFiles(join(p.dir, "assembly"));
    const hash = inputHash(sources);
    const wasm = join(opts.work, `${p.name}.wasm`);
    const stamp = join(opts.work, `${p.name}.inputs.sha256`);
    if (existsSync(wasm) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
      log(`${p.name}: up to date`);
      return;
    }
    rmSync(stamp, { force: true });
    const t0 = Date.now();
    // The compiler writes a private file that is then renamed, because another build of the same
    // checkout may read the cache at the same time.
    const tmp = join(opts.work, `${p.name}.${process.pid}.tmp.wasm`);
    try {
      await compilePlugin({ cwd: root, entry: relative(root, p.entry), out: tmp });
      renameSync(tmp, wasm);
    } finally {
      rmSync(tmp, { force: true });
    }
    writeFileSync(stamp, hash);
    log(`${p.name}: compiled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  const index = [];
  const dest = join(opts.out, "policies", "examples");
  rmSync(dest, { recursive: true, force: true });
  for (const p of plugins) {
    const wasm = join(opts.work, `${p.name}.wasm`);
    const bytes = await checkPlugin(p.name, wasm, p.fixtures.some((f) => f.hook === "route"));
    if (p.testing) testingPlugins.push({ name: p.name, wasm });
    if (!p.ship) continue;
    const fixtureDest = join(dest, p.name, "fixtures");
    mkdirSync(fixtureDest, { recursive: true });
    copyFileSync(wasm, join(dest, `${p.name}.wasm`));
    for (const f of p.fixtures) copyFileSync(f.file, join(fixtureDest, basename(f.file)));
    index.push({
      name: p.name,
      resource: `/policies/examples/${p.name}.wasm`,
      bytes: bytes.length,
      sha256: sha256(bytes),
      fixtures: p.fixtures.map((f) => `/policies/examples/${p.name}/fixtures/${basename(f.file)}`),
    });
    log(`${p.name}.wasm ${bytes.length} bytes, ${p.fixtures.length} fixtures`);
  }
  log(`plugins ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return index;
}

// Compiles every `<kind>/*.wat` (kind: hostile, testing) into policies/<kind>/<name>.wasm.
function buildWat(opts, kind) {
  const dir = join(here, kind);
  const wats = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".wat")).sort() : [];
  const dest = join(opts.out, "policies", kind);
  rmSync(dest, { recursive: true, force: true });
  const index = [];
  if (wats.length === 0) return index;
  mkdirSync(dest, { recursive: true });
  for (const w of wats) {
    const src = join(dir, w);
    const name = w.slice(0, -".wat".length);
    const out = join(dest, `${name}.wasm`);
    // A hostile module may need wabt feature flags: first line `;; wat2wasm-flags: --enable-x`.
    const firstLine = readFileSync(src, "utf8").split("\n", 1)[0];
    const m = /^;;\s*wat2wasm-flags:(.*)$/.exec(firstLine);
    const flags = m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
    const r = spawnSync("wat2wasm", [...flags, src, "-o", out], { encoding: "utf8" });
    if (r.error && r.error.code === "ENOENT") {
      die("wat2wasm not found: install wabt (Debian: apt-get install -y wabt)");
    }
    if (r.status !== 0) die(`wat2wasm failed for ${relative(root, src)}:\n${r.stderr}${r.stdout}`);
    const bytes = readFileSync(out);
    index.push({ name, resource: `/policies/${kind}/${name}.wasm`, bytes: bytes.length, sha256: sha256(bytes) });
  }
  log(`${kind}: ${wats.length} module(s) from WAT`);
  return index;
}

const opts = parseArgs(process.argv.slice(2));
checkNodeModules();
/** SDK-built test plugins, copied next to the WAT ones once those are built. */
const testingPlugins = [];
const examples = await buildPlugins(opts);
const hostile = buildWat(opts, "hostile");
const testing = buildWat(opts, "testing");
for (const t of testingPlugins) {
  const dest = join(opts.out, "policies", "testing");
  mkdirSync(dest, { recursive: true });
  copyFileSync(t.wasm, join(dest, `${t.name}.wasm`));
  const bytes = readFileSync(t.wasm);
  testing.push({ name: t.name, resource: `/policies/testing/${t.name}.wasm`, bytes: bytes.length, sha256: sha256(bytes) });
}
mkdirSync(join(opts.out, "policies"), { recursive: true });
writeFileSync(
  join(opts.out, "policies", "index.json"),
  // The ABI the examples are built for; hostile and WAT testing modules declare their own in describe.
  JSON.stringify({ abi_version: "1.1", examples, hostile, testing }, null, 2) + "\n",
);
