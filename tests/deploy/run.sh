#!/bin/bash
# deploy/ checked: the Kubernetes manifests against the Kubernetes schemas
# (npm kubernetes-models, locked by package-lock.json) and our rules; each
# manifest of broken/ must be rejected (so the check can fail); the compose
# file parses and its haproxy.cfg passes `haproxy -c`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "deploy: ok   $*"; }
ko() { failed=$((failed + 1)); echo "deploy: FAIL $*"; }

if [ ! -d "$here/node_modules/kubernetes-models" ]; then
	(cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) ||
		{ echo "deploy: npm ci failed"; exit 1; }
fi
if node "$here/validate.mjs"; then ok "deploy/kubernetes/*.yaml valid"; else ko "deploy/kubernetes/*.yaml"; fi
for f in "$here"/broken/*.yaml; do
	if node "$here/validate.mjs" "$f" >/dev/null; then
		ko "${f#$root/} accepted (it is broken)"
	else
		ok "${f#$root/} rejected"
	fi
done
if haproxy -c -q -f "$root/deploy/haproxy.cfg"; then
	ok "deploy/haproxy.cfg (haproxy -c)"
else
	ko "deploy/haproxy.cfg"
fi
# compose.yaml: parses; its replicas probe /healthz and drain.
if (cd "$here" && node --input-type=module -e '
import { readFileSync } from "node:fs";
import { parse } from "yaml";
const c = parse(readFileSync(process.argv[1], "utf8"));
const w = c.services.web, cmd = w.command.join(" ");
if (!(w.deploy.replicas >= 2 && cmd.includes("--health") && cmd.includes("--drain") &&
      w.healthcheck.test.join(" ").includes("--probe") && c.services.lb)) process.exit(1);
' "$root/deploy/compose.yaml"); then
	ok "deploy/compose.yaml"
else
	ko "deploy/compose.yaml"
fi
echo "deploy: $passed passed, $failed failed"
[ "$failed" = 0 ]
