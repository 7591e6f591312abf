#!/usr/bin/env bash
# The console pages of the native stack render in a browser: run-native.sh
# (the mock engine, Prometheus serving the pages it generated from the Grafana
# dashboards, Alertmanager) runs as `scripts/nq run` starts it, and headless
# Chromium opens each page (check_consoles.py): no console error, data in
# every graph, a screenshot of each in SCREENSHOT_DIR.
# Negative control: the page of a copy of one dashboard whose first panel's
# metric name is misspelled must fail the same check (a graph without data).
# Usage: consoles_test.sh MOCK_ENGINE PLUGIN MONITORING_STACK_DIR SCREENSHOT_DIR
set -euo pipefail
engine=$1 plugin=$(realpath "$2") stack=$(cd "$3" && pwd) screenshots=$4
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source-path=SCRIPTDIR source=stack_lib.sh
source "$here/stack_lib.sh"
command -v chromium >/dev/null || fail "chromium is not installed (Debian package chromium)"

"$stack/run-native.sh" --engine "$engine" --plugin "$plugin" --dir "$work/run" 2>"$work/runner.log" &
pids+=($!)
wait_for 60 grep -q 'Ctrl-C stops everything' "$work/runner.log" || {
  cat "$work/runner.log" >&2; fail "run-native.sh did not start the stack"; }
prometheus=$(grep -o 'Prometheus *http://127.0.0.1:[0-9]*' "$work/runner.log" | grep -o 'http://.*')
grep -q "$prometheus/consoles/index.html" "$work/runner.log" || fail "run-native.sh prints no console URL"

# The runner scrapes every 10 s: three scrapes give every 1m rate and quantile
# of the pages two samples, with the mock engine's workload moving them. A
# panel of rare events (the connections with drops) may need a few more: the
# checker loads a page without errors again while data is all it lacks.
scrapes=3
scraped() {
  curl -fsS --get "$prometheus/api/v1/query" \
    --data-urlencode "query=count_over_time(up{job=\"neuroquantum\"}[1m]) >= $scrapes" | grep -q '"value"'
}
wait_for 90 scraped || fail "Prometheus did not scrape the engine $scrapes times"

python3 "$here/check_consoles.py" --prometheus "$prometheus" --dashboards "$stack/grafana/dashboards" \
  --screenshots "$screenshots" --wait-for-data 90 || fail "a console page does not render (screenshots in $screenshots)"

# The negative control, served next to the real pages.
mkdir -p "$work/broken/dashboards"
python3 - "$stack/grafana/dashboards/neuroquantum-overview.json" "$work/broken/dashboards/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["uid"] = "neuroquantum-broken-copy"
target = d["panels"][0]["targets"][0]
target["expr"] = target["expr"].replace("up{", "up_misspelled{")
json.dump(d, open(sys.argv[2], "w"))
PY
python3 "$stack/consoles/generate_consoles.py" --dashboards "$work/broken/dashboards" --out "$work/broken"
cp "$work/broken/consoles/neuroquantum-broken-copy.html" "$work/run/consoles/"
if python3 "$here/check_consoles.py" --prometheus "$prometheus" --dashboards "$work/broken/dashboards" \
     --screenshots "$work/broken/screenshots" >"$work/broken/check.log"; then
  cat "$work/broken/check.log" >&2; fail "the page with a misspelled metric passed the check"
fi
grep -q 'no line with data points\|No timeseries returned' "$work/broken/check.log" || {
  cat "$work/broken/check.log" >&2; fail "the page with a misspelled metric failed for another reason"; }
echo "negative control: the page with a misspelled metric fails:"
grep -v '^ok ' "$work/broken/check.log" | sed 's/^/  /'
