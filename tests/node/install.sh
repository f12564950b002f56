#!/usr/bin/env bash
# The npm reference packages of package-lock.json, installed with `npm ci` unless node_modules
# already holds exactly them: `npm ci` wipes and reinstalls (a minute and a half), and the
# sanitizer stage of CI would otherwise repeat the optimised stage's install.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.medllm-installed
want=$( (cat package.json package-lock.json; node --version; npm --version) | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "node_modules already matches package-lock.json"
  exit 0
fi
rm -f "$stamp"
npm ci --no-audit --no-fund --prefer-offline
# Written only after a complete install.
echo "$want" >"$stamp"
