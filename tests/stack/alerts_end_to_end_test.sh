#!/usr/bin/env bash
# End to end: mock engines with fault profiles -> the plugin -> a real
# Prometheus with our rules (for: shortened to 0s) -> a real Alertmanager with
# our routing -> a local webhook receiver, which must get each expected alert
# on the receiver its severity routes to.
# Usage: alerts_end_to_end_test.sh MOCK_ENGINE PLUGIN MONITORING_STACK_DIR
# NQ_STACK_PROMETHEUS_FLAGS: more Prometheus flags, e.g.
# --enable-feature=native-histograms (Prometheus then scrapes protobuf).
# NQ_STACK_PLUGIN_SETTINGS: more plugin settings (stack_lib.sh), e.g.
# 'native_histograms = "true"'. Every mode also checks that the recording rule
# on statement latency (classic or native histogram) has data.
set -euo pipefail
engine=$1 plugin=$(realpath "$2") stack=$(cd "$3" && pwd)
source "$(dirname "$0")/stack_lib.sh"
started=$(date +%s)

# The receiver: records "PATH ALERTNAME STATUS" for every alert it is sent.
start_webhook_receiver

# Three engines: warnings on one, the critical queue build-up on another (a
# critical alert inhibits the warnings of its own server), the default workload.
start_mock_engine warnings --seed 5 --fault slow-queries,lock-storm,errors,ws-drops
warnings_target=$target
start_mock_engine critical --seed 5 --fault queue-buildup
critical_target=$target
start_mock_engine healthy --seed 5  # the default workload: no alert at all
healthy_target=$target
down_target="127.0.0.1:$(free_port)"  # nothing listens there: NeuroQuantumDBDown

# Alertmanager: our routing, with notifications sent at once and every
# receiver pointed at the local one.
am_port=$(free_port)
write_test_alertmanager_config "$stack" "$work/alertmanager.yml"
prometheus-alertmanager --config.file="$work/alertmanager.yml" --storage.path="$work/am-data" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= 2>"$work/am.log" &
pids+=($!)

# Prometheus: our rules, every `for:` shortened to 0s; 1 s scrapes.
copy_rules_with_short_for "$stack" "$work/rules"
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels:
    cluster: end-to-end
rule_files: [rules/*.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:$am_port']}]
scrape_configs:
  - job_name: neuroquantum
    static_configs:
      - targets: ['$warnings_target', '$critical_target', '$healthy_target', '$down_target']
YAML
# shellcheck disable=SC2086 # the flags are words
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  ${NQ_STACK_PROMETHEUS_FLAGS:-} --web.listen-address="127.0.0.1:$prom_port" 2>"$work/prometheus.log" &
pids+=($!)

# receiver path and alert name of every alert expected
expected=(
  "/pager NeuroQuantumDBDown"
  "/pager QueryQueueBuildup"
  "/slack HighSlowQueryRate"
  "/slack HighQueryLatency"
  "/slack HighLockContention"
  "/slack HighErrorRate"
  "/slack WebSocketConnectionDrop"
)
all_received() {
  local e
  for e in "${expected[@]}"; do grep -q "^$e" "$work/received" || return 1; done
}
if ! wait_for 120 all_received; then
  for e in "${expected[@]}"; do grep -q "^$e" "$work/received" && echo "received: $e" || echo "MISSING: $e"; done
  echo "--- received:"; sort -u "$work/received"
  echo "--- firing in Prometheus:"
  curl -fsS "http://127.0.0.1:$prom_port/api/v1/alerts" | python3 -c 'import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    print(a["labels"]["alertname"], a["labels"].get("instance"), a["state"], a["value"])' 
  tail -n 5 "$work/am.log"
  fail "not every alert reached the webhook receiver"
fi
for e in "${expected[@]}"; do echo "received at the webhook: $e"; done
healthy_alerts=$(curl -fsS "http://127.0.0.1:$prom_port/api/v1/alerts" |
  python3 -c 'import json, sys
print(" ".join(a["labels"]["alertname"] for a in json.load(sys.stdin)["data"]["alerts"]
               if a["labels"].get("instance") == sys.argv[1]))' "$healthy_target")
[ -z "$healthy_alerts" ] || fail "the default workload fires alerts: $healthy_alerts"
echo "ok: no alert on the engine running the default workload"
p99=$(curl -fsS --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode \
  "query=neuroquantum:query_duration_seconds:p99_5m{instance=\"$healthy_target\"}")
grep -q '"value":\[[0-9.]*,"[0-9]' <<<"$p99" || fail "neuroquantum:query_duration_seconds:p99_5m has no value: $p99"
if [[ ${NQ_STACK_PROMETHEUS_FLAGS:-} == *native-histograms* &&
      ${NQ_STACK_PLUGIN_SETTINGS:-} =~ native_histograms\ *=\ *\"true\" ]]; then
  curl -fsS --get "http://127.0.0.1:$prom_port/api/v1/query" \
    --data-urlencode "query=neuroquantum_query_duration_seconds{instance=\"$healthy_target\"}" |
    grep -q '"histogram":\[' || fail "Prometheus stores no native histogram of the plugin"
  echo "ok: Prometheus stores the native histograms; the statement p99 rule answers from them"
else
  echo "ok: the statement p99 rule answers"
fi
echo "alerts seen end to end: ${#expected[@]} (2 critical, $((${#expected[@]} - 2)) warnings) in $(($(date +%s) - started)) s"
