// Compiles AssemblyScript policy plugins with the flags this SDK is tested with and checks the
// result against the static rules of policy ABI v1. Used by bin/sluice-policy-build.mjs and by
// the Sluice repository build (policy-examples/build.mjs), so both compile the same way.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";

// Every flag has a measured reason (README.md, "Build flags"):
// - optimizeLevel 2: about half the compile time of -O3 and smaller functions (the host compiles
//   each function to a JVM method, which has a size limit); run time is microseconds either way;
// - the abort handler turns AssemblyScript aborts into an Extism error plus a trap instead of an
//   `env.abort` import, which the host refuses.
export const ASC_FLAGS = [
  "--optimizeLevel", "2",
  "--shrinkLevel", "0",
  "--runtime", "minimal",
  "--use", "abort=~lib/@sluice/policy-sdk/assembly/index/policyAbort",
];

const ALLOWED_EXTISM_IMPORTS = new Set([
  "input_length", "input_load_u8", "input_load_u64", "length", "length_unsafe", "alloc", "free",
  "load_u8", "load_u64", "store_u8", "store_u64", "output_set", "error_set", "log_info",
  "log_warn", "log_debug", "log_error", "log_trace", "get_log_level", "config_get",
]);
export const MAX_MODULE_BYTES = 4 * 1024 * 1024;

export class BuildError extends Error {}

function resolvePackage(cwd, pkg) {
  const req = createRequire(join(cwd, "package.json"));
  try {
    return dirname(req.resolve(`${pkg}/package.json`));
  } catch {
    throw new BuildError(`cannot find ${pkg} from ${cwd}: run \`npm ci\` (or \`npm install\`) there first`);
  }
}

/** The command line that compiles `entry` (relative to `cwd`) into `out`. */
export function ascCommand(cwd, entry, out) {
  const rel = relative(cwd, resolve(cwd, entry)).split(sep).join("/");
  const ascDir = resolvePackage(cwd, "assemblyscript");
  for (const pkg of ["@extism/as-pdk", "@sluice/policy-sdk"]) resolvePackage(cwd, pkg);
  return [join(ascDir, "bin", "asc.js"), rel, "--outFile", resolve(cwd, out), ...ASC_FLAGS];
}

/**
 * Compiles one plugin. Resolves to {output} (compiler messages) or rejects with a BuildError that
 * carries the compiler output.
 */
export function compilePlugin({ cwd = process.cwd(), entry, out }) {
  return new Promise((resolvePromise, reject) => {
    let args;
    try {
      if (!existsSync(resolve(cwd, entry))) throw new BuildError(`entry ${entry} does not exist`);
      args = ascCommand(cwd, entry, out);
    } catch (e) {
      reject(e);
      return;
    }
    mkdirSync(dirname(resolve(cwd, out)), { recursive: true });
    const child = spawn(process.execPath, args, {
      cwd,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (e) => reject(new BuildError(`cannot run asc: ${e.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolvePromise({ output });
      else reject(new BuildError(`asc failed (exit ${code ?? signal}) for ${entry}:\n${output}`));
    });
  });
}

/** Static ABI v1 checks (ABI.md section 3). Returns {bytes, exports}. */
export async function checkModule(file, label = file) {
  const bytes = readFileSync(file);
  if (bytes.length > MAX_MODULE_BYTES) {
    throw new BuildError(`${label}: ${bytes.length} bytes is above the 4 MiB module limit`);
  }
  const mod = await WebAssembly.compile(bytes);
  const exports = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  for (const e of ["describe", "admit", "memory"]) {
    if (!exports.has(e)) {
      throw new BuildError(
        `${label}: the module does not export "${e}" (exports: ${[...exports].join(", ")})`,
      );
    }
  }
  for (const i of WebAssembly.Module.imports(mod)) {
    const ok =
      (i.module === "extism:host/env" && ALLOWED_EXTISM_IMPORTS.has(i.name)) ||
      i.module === "wasi_snapshot_preview1";
    if (!ok) throw new BuildError(`${label}: import ${i.module}.${i.name} is not allowed by policy ABI v1`);
  }
  return { bytes: bytes.length, exports };
}
