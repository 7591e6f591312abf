#!/usr/bin/env bash
# Every panel of the three Grafana dashboards returns data from a real
# Prometheus that scraped the mock engine's default workload, and every metric
# name the dashboards and rules use is in the catalogue.
# Usage: dashboards_test.sh MOCK_ENGINE PLUGIN REFERENCE_TOOL MONITORING_STACK_DIR
set -euo pipefail
engine=$1 plugin=$(realpath "$2") reference=$3 stack=$(cd "$4" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/stack_lib.sh"

start_mock_engine engine --seed 11

prom_port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: neuroquantum
    static_configs: [{targets: ['$target']}]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" 2>"$work/prometheus.log" &
pids+=($!)
api="http://127.0.0.1:$prom_port"
scraped() { curl -fsS --get "$api/api/v1/query" --data-urlencode 'query=count_over_time(up{job="neuroquantum"}[1m]) >= 15' | grep -q '"value"'; }
# 15 scrapes: every rate window of the dashboards (15 s, substituted for
# $__rate_interval) holds several samples.
wait_for 60 scraped || { tail -n 20 "$work/prometheus.log"; fail "Prometheus did not scrape the engine 15 times"; }

"$reference" --series-names >"$work/catalogue"
python3 "$here/check_dashboards.py" --prometheus "$api" --dashboards "$stack/grafana/dashboards" \
  --catalogue "$work/catalogue" --rules "$stack"/rules/neuroquantum_*.yml
