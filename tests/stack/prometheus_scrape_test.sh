#!/usr/bin/env bash
# A real Prometheus (Debian package) scrapes the mock engine with the plugin,
# and a PromQL query finds a series of every family of the catalogue.
# Usage: prometheus_scrape_test.sh MOCK_ENGINE PLUGIN REFERENCE_TOOL
set -euo pipefail
engine=$1 plugin=$(realpath "$2") reference=$3

source "$(dirname "$0")/stack_lib.sh"

start_mock_engine engine --seed 11

prom_port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: neuroquantum
    static_configs:
      - targets: ['$target']
YAML
promtool check config "$work/prometheus.yml" >/dev/null
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" 2>"$work/prometheus.log" &
pids+=($!)

api="http://127.0.0.1:$prom_port/api/v1"
query() { curl -fsS --get "$api/query" --data-urlencode "query=$1"; }
wait_for 30 sh -c "curl -fsS --get '$api/query' --data-urlencode 'query=up{job=\"neuroquantum\"} == 1' | grep -q '\"value\"'" || {
  echo "FAIL: Prometheus never scraped the plugin"; tail -n 20 "$work/prometheus.log"; exit 1; }
sleep 3  # a few more scrapes, so that counters have moved

names=$(query 'group by (__name__) ({job="neuroquantum"})')
missing=0 found=0
for series in $("$reference" --series-names); do
  if grep -q "\"__name__\":\"$series\"" <<<"$names"; then
    found=$((found + 1))
  else
    echo "missing in Prometheus: $series"
    missing=$((missing + 1))
  fi
done
echo "families found in Prometheus: $found, missing: $missing"

# A counter that moves: its rate is above zero.
rate=$(query 'sum(rate(neuroquantum_queries_total[5s]))')
grep -q '"value":\[[0-9.]*,"[1-9]' <<<"$rate" || grep -q '"value":\[[0-9.]*,"0\.[0-9]*[1-9]' <<<"$rate" || {
  echo "FAIL: rate(neuroquantum_queries_total) is not above 0: $rate"; exit 1; }
[ "$missing" = 0 ] || { echo "FAIL: $missing families are missing"; exit 1; }

# Prometheus asks for OpenMetrics first: its parser accepted ours (scrapes
# succeeded above) and ingested the counters' _created samples.
grep -q '"__name__":"neuroquantum_queries_created"' <<<"$names" || {
  echo "FAIL: Prometheus did not scrape OpenMetrics (no neuroquantum_queries_created)"; exit 1; }
echo "OK"
