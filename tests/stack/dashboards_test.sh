#!/usr/bin/env bash
# Every panel of the three Grafana dashboards returns data from a real
# Prometheus (Debian package) that scraped the mock engine's default workload,
# and every metric name the dashboards and rules use is in the catalogue.
# Usage: dashboards_test.sh MOCK_ENGINE PLUGIN REFERENCE_TOOL MONITORING_STACK_DIR
# NQ_STACK_PROMETHEUS_FLAGS: more Prometheus flags, e.g.
# --enable-feature=native-histograms (Prometheus then scrapes protobuf).
# NQ_STACK_PLUGIN_SETTINGS: more plugin settings (stack_lib.sh), e.g.
# 'native_histograms = "true"'. With both, Prometheus stores the native
# histogram only of the native families (no _bucket, _count, _sum): the test
# checks it does, so that the panels' native forms are what is verified.
set -euo pipefail
engine=$1 plugin=$(realpath "$2") reference=$3 stack=$(cd "$4" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source-path=SCRIPTDIR source=stack_lib.sh
source "$here/stack_lib.sh"

# The default workload, the same seed as the other stack tests.
start_mock_engine engine --seed 11

# The rules of the stack (recording and alerting), when there are any: the
# dashboards may use the recording rules, and the checker reads their names.
shopt -s nullglob
rules=("$stack"/rules/*.yml)
shopt -u nullglob

prom_port=$(free_port)
{
  cat <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: neuroquantum
    static_configs:
      - targets: ['$target']
YAML
  if [ ${#rules[@]} -gt 0 ]; then
    echo "rule_files:"
    for f in "${rules[@]}"; do echo "  - '$f'"; done
  fi
} >"$work/prometheus.yml"
promtool check config "$work/prometheus.yml" >/dev/null || fail "Prometheus config (or a rules file) is invalid"
# shellcheck disable=SC2086 # the flags are words
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  ${NQ_STACK_PROMETHEUS_FLAGS:-} --web.listen-address="127.0.0.1:$prom_port" 2>"$work/prometheus.log" &
pids+=($!)
api="http://127.0.0.1:$prom_port"

# 20 scrapes, 1 s apart (about 20 s). The checker substitutes 1m for
# $__rate_interval (what Grafana computes from the datasource's 15 s
# timeInterval): rate() needs 2 samples in its window, and 20 give every
# counter, including the slow ones (slow queries, drops per connection, stream
# and latency histogram buckets), time to move, so that ratios and quantiles
# are numbers, not NaN. $__range is 5m: it covers all the data.
scrapes=20
scraped() {
  curl -fsS --get "$api/api/v1/query" \
    --data-urlencode "query=count_over_time(up{job=\"neuroquantum\"}[1m]) >= $scrapes" | grep -q '"value"'
}
wait_for 45 scraped || { tail -n 20 "$work/prometheus.log" >&2; fail "Prometheus did not scrape the engine $scrapes times"; }

if [[ ${NQ_STACK_PROMETHEUS_FLAGS:-} == *native-histograms* &&
      ${NQ_STACK_PLUGIN_SETTINGS:-} =~ native_histograms\ *=\ *\"true\" ]]; then
  native=$(curl -fsS --get "$api/api/v1/query" --data-urlencode 'query=neuroquantum_query_duration_seconds')
  grep -q '"histogram":\[' <<<"$native" || fail "Prometheus stores no native histogram: $native"
  curl -fsS --get "$api/api/v1/query" --data-urlencode 'query=neuroquantum_query_duration_seconds_bucket' |
    grep -q '"result":\[\]' || fail "Prometheus stores classic _bucket series beside the native histogram"
  echo "mode: Prometheus stores the native histograms only (no _bucket, _count, _sum of the native families)"
fi
"$reference" --series-names >"$work/catalogue"
python3 "$here/check_dashboards.py" --prometheus "$api" --dashboards "$stack/grafana/dashboards" \
  --catalogue "$work/catalogue" --rules "${rules[@]}"
