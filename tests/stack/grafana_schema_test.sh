#!/usr/bin/env bash
# The Grafana dashboards and provisioning files of the monitoring stack have
# Grafana's published types: tsc --noEmit over them (check-grafana-files.mjs:
# Debian's node-typescript and node-yaml, and the type declarations of
# @grafana/schema vendored in tools/grafana-schema/vendor/grafana-schema).
# Negative control: a copy of the overview dashboard with a misspelled
# threshold mode and a string where a number goes must fail, on both.
# Usage: grafana_schema_test.sh MONITORING_STACK_DIR GRAFANA_SCHEMA_TOOLING_DIR
set -euo pipefail
stack=$(cd "$1" && pwd) tooling=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source-path=SCRIPTDIR source=stack_lib.sh
source "$here/stack_lib.sh"
node "$tooling/check-grafana-files.mjs" --grafana "$stack/grafana" --out "$work/typed" ||
  fail "a Grafana file of $stack/grafana does not have Grafana's types"

cp -r "$stack/grafana" "$work/broken"
python3 - "$work/broken/dashboards/neuroquantum-overview.json" <<'PY'
import json, sys
path = sys.argv[1]
dashboard = json.load(open(path))
gauge = next(p for p in dashboard["panels"] if p.get("fieldConfig", {}).get("defaults", {}).get("thresholds"))
gauge["fieldConfig"]["defaults"]["thresholds"]["mode"] = "absolut"
gauge["gridPos"]["w"] = str(gauge["gridPos"]["w"])
json.dump(dashboard, open(path, "w"), indent=2)
PY
if node "$tooling/check-grafana-files.mjs" --grafana "$work/broken" --out "$work/typed-broken" >"$work/broken.log" 2>&1; then
  cat "$work/broken.log" >&2; fail "the broken dashboard passed the type check"
fi
for expected in "Type '\"absolut\"' is not assignable" "Type 'string' is not assignable to type 'number'"; do
  grep -qF "$expected" "$work/broken.log" || { cat "$work/broken.log" >&2; fail "no error: $expected"; }
done
echo "negative control: the broken copy fails:"
grep 'error TS' "$work/broken.log" | cut -c1-200 | sed 's/^/  /'
