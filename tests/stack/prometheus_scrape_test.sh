#!/usr/bin/env bash
# A real Prometheus (Debian package) scrapes the mock engine with the plugin,
# and a PromQL query finds a series of every family of the catalogue.
# Usage: prometheus_scrape_test.sh MOCK_ENGINE PLUGIN REFERENCE_TOOL
set -euo pipefail
engine=$1 plugin=$(realpath "$2") reference=$3

source "$(dirname "$0")/stack_lib.sh"

start_mock_engine engine --seed 11

start_prometheus_scraping_target
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
expect_queries_rate_above_zero
[ "$missing" = 0 ] || { echo "FAIL: $missing families are missing"; exit 1; }

# Prometheus asks for OpenMetrics first: its parser accepted ours (scrapes
# succeeded above) and ingested the counters' _created samples.
grep -q '"__name__":"neuroquantum_queries_created"' <<<"$names" || {
  echo "FAIL: Prometheus did not scrape OpenMetrics (no neuroquantum_queries_created)"; exit 1; }
echo "OK"
