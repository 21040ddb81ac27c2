#!/usr/bin/env bash
# Type-checks the k6 scripts with the repository's TypeScript and @types/k6 (root node_modules, `npm ci`).
# k6 itself is not installable on the build machines; a script that would not type-check fails the build here.
# Which endpoints the scripts call is checked against the contract by K6ContractTest (platform/app).
# Usage: k6/check.sh   (from any directory)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$root/node_modules/.bin/tsc" ]; then
  echo "k6/check.sh: node_modules/.bin/tsc missing; run 'npm ci' in $root" >&2
  exit 2
fi
"$root/node_modules/.bin/tsc" -p "$root/k6/tsconfig.json"
