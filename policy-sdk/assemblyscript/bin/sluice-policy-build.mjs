#!/usr/bin/env node
// sluice-policy-build <entry.ts> --out <plugin.wasm> [--print-command]
//
// Compiles an AssemblyScript policy plugin with the SDK's tested flags and checks the module
// against policy ABI v1 (exports, imports, size). The compiler and the Extism PDK come from the
// working directory's node_modules.
import { relative } from "node:path";
import { ascCommand, checkModule, compilePlugin } from "../tools/build.mjs";

const USAGE = "usage: sluice-policy-build <entry.ts> --out <plugin.wasm> [--print-command]";

function fail(message) {
  console.error(`sluice-policy-build: ${message}`);
  process.exit(1);
}

const argv = process.argv.slice(2);
let entry = null;
let out = null;
let printCommand = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--out" || a === "-o") out = argv[++i];
  else if (a === "--print-command") printCommand = true;
  else if (a === "--help" || a === "-h") {
    console.log(USAGE);
    process.exit(0);
  } else if (a.startsWith("-")) fail(`unknown option ${a}\n${USAGE}`);
  else if (entry === null) entry = a;
  else fail(`unexpected argument ${a}\n${USAGE}`);
}
if (entry === null || out === null) fail(USAGE);

try {
  if (printCommand) {
    console.log(`node ${ascCommand(process.cwd(), entry, out).join(" ")}`);
  }
  const { output } = await compilePlugin({ entry, out });
  if (output.trim().length > 0) process.stdout.write(output);
  const { bytes } = await checkModule(out, relative(process.cwd(), out) || out);
  console.log(`${out}: ${bytes} bytes`);
} catch (e) {
  fail(e.message);
}
