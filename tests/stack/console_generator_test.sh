#!/usr/bin/env bash
# generate_consoles.py writes one console page per Grafana dashboard, with one
# graph per panel, the index and the libraries; it refuses a dashboard with a
# unit it cannot show or a Grafana variable it has no value for (no page with
# a wrong number or a query Prometheus cannot run).
# Usage: console_generator_test.sh MONITORING_STACK_DIR
set -euo pipefail
stack=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source-path=SCRIPTDIR source=stack_lib.sh
source "$here/stack_lib.sh"
generate() { python3 "$stack/consoles/generate_consoles.py" --dashboards "$1" --out "$2"; }

generate "$stack/grafana/dashboards" "$work/pages" || fail "the stack's dashboards do not generate"
for lib in nq.lib nq_pages.lib; do [ -s "$work/pages/console_libraries/$lib" ] || fail "no $lib"; done
grep -q 'href="neuroquantum-overview.html"' "$work/pages/consoles/index.html" || fail "the index does not link the pages"
for dashboard in "$stack"/grafana/dashboards/*.json; do
  uid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uid"])' "$dashboard")
  panels=$(python3 -c "import sys; sys.path.insert(0, sys.argv[2]); import json, generate_consoles as g
print(len(g.flat_panels(json.load(open(sys.argv[1])))))" "$dashboard" "$stack/consoles")
  graphs=$(grep -c 'new PromConsole.Graph' "$work/pages/consoles/$uid.html")
  [ "$graphs" = "$panels" ] || fail "$uid.html has $graphs graphs for $panels panels"
  echo "$uid.html: $graphs graphs, one per panel"
done

# A unit and a variable the generator does not know: refused, and said why.
refused() {  # $1: what to change in a copy of the overview dashboard (Python), $2: expected message
  rm -rf "$work/bad" && mkdir -p "$work/bad"
  python3 - "$stack/grafana/dashboards/neuroquantum-overview.json" "$work/bad/bad.json" "$1" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
panel = dashboard["panels"][3]
exec(sys.argv[3])
json.dump(dashboard, open(sys.argv[2], "w"))
PY
  if generate "$work/bad" "$work/bad-pages" 2>"$work/bad.log"; then fail "generated a page despite: $1"; fi
  grep -q "$2" "$work/bad.log" || { cat "$work/bad.log" >&2; fail "refused without saying: $2"; }
  echo "refused: $(cat "$work/bad.log")"
}
refused 'panel["fieldConfig"]["defaults"]["unit"] = "furlongs"' "unit 'furlongs' has no entry in UNITS"
refused 'panel["targets"][0]["expr"] += " * on() group_left $cluster_size"' "variables \['cluster_size'\] have no console value"
