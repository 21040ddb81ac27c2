#!/usr/bin/env bash
# Lints the Sluice v1 OpenAPI contract with the repository's redocly (root node_modules, `npm ci`).
# Exits non-zero on any lint error OR warning (redocly itself fails on errors only).
# Usage: openapi/check.sh   (from any directory)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -x node_modules/.bin/redocly ]; then
  echo "openapi/check.sh: node_modules/.bin/redocly missing; run 'npm ci' in $root" >&2
  exit 2
fi

lint() { node_modules/.bin/redocly lint --config openapi/redocly.yaml openapi/sluice-v1.yaml "$@"; }

# Redocly prints a Node-version banner on stderr; only the JSON report on stdout matters here.
json="$(lint --format=json 2>/dev/null)" || true
totals="$(printf '%s' "$json" | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
    try { const t = JSON.parse(s).totals; console.log(`${t.errors} ${t.warnings}`); }
    catch (e) { console.log("unparsable"); }
  });')"

if [ "$totals" = "0 0" ]; then
  echo "openapi/check.sh: sluice-v1.yaml lints clean (0 errors, 0 warnings)"
  exit 0
fi

# Show the findings in readable form, then fail.
lint --format=codeframe 2>/dev/null || true
echo "openapi/check.sh: lint failed (errors warnings: ${totals})" >&2
exit 1
