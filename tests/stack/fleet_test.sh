#!/usr/bin/env bash
# A fleet behind an HA monitoring pair, all real processes on loopback:
#   3 mock engines (own seeds and workloads; file_sd targets with cluster and
#   instance labels), 2 Prometheus replicas (same rules, external_labels
#   cluster + replica, alert_relabel_configs dropping replica), each sending
#   to both of 2 clustered Alertmanager peers (same config, every receiver a
#   local webhook receiver), and remote-writing to 1 VictoriaMetrics that
#   deduplicates at the scrape interval.
# Checks: each engine's series are in VictoriaMetrics once (not doubled); a
# fault on one engine fires on both replicas and is notified once; with one
# replica and one Alertmanager peer SIGKILLed, a fault on another engine is
# still notified once; restarted, they send no duplicate, and the resolve
# arrives once; VictoriaMetrics stopped and restarted during remote write
# leaves no gap in the global view; every dashboard panel has data from a replica and from
# VictoriaMetrics, and every rule expression evaluates on VictoriaMetrics.
# The rules are the stack's, `for:` shortened to 0s (NeuroQuantumDBDown keeps
# its 1m: restarting an engine must not page); scrapes and evaluations 1 s.
# Usage: fleet_test.sh MOCK_ENGINE PLUGIN MONITORING_STACK_DIR
set -euo pipefail
engine=$1 plugin=$(realpath "$2") stack=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack_lib.sh
source "$here/stack_lib.sh"
# shellcheck source-path=SCRIPTDIR source=fleet_lib.sh
source "$here/fleet_lib.sh"
started=$(date +%s)
cluster=fleet-test
quiet=10  # s to wait for a duplicate: > peer-timeout (4 s) + group_interval (1 s), with margin

start_webhook_receiver
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$hook_port/" || fail "the webhook receiver did not start"
mapfile -t ports < <(distinct_free_ports 10)
read -r orders_port sessions_port analytics_port prometheus_a_port prometheus_b_port \
  am1_port am2_port am1_gossip am2_gossip vm_port <<<"${ports[*]}"
vm="http://127.0.0.1:$vm_port"
prometheus_a="http://127.0.0.1:$prometheus_a_port"
prometheus_b="http://127.0.0.1:$prometheus_b_port"

# The engines, each on its fixed port (one is restarted on it later).
# Usage: start_engine NAME PORT SEED [ARGS...]
start_engine() {
  local name=$1 port=$2 seed=$3; shift 3
  mock_engine_listen="127.0.0.1:$port" start_mock_engine "$name" --seed "$seed" "$@"
  member_pid[$name]=${pids[-1]}
}
mock_engine_workload=$'databases = 3\nusers = 4' start_engine orders "$orders_port" 21 --fault errors
mock_engine_workload=$'databases = 1\nusers = 2' start_engine sessions "$sessions_port" 22
mock_engine_workload=$'databases = 2\napplications = 5' start_engine analytics "$analytics_port" 23
mkdir "$work/targets"
for e in orders:$orders_port sessions:$sessions_port analytics:$analytics_port; do
  printf -- "- targets: ['127.0.0.1:%s']\n  labels: {cluster: %s, instance: db-%s}\n" "${e#*:}" "$cluster" "${e%%:*}"
done >"$work/targets/neuroquantum.yml"

start_victoria_metrics "$vm_port" 1s

write_test_alertmanager_config "$stack" "$work/alertmanager.yml"
start_alertmanager_peer am1 "$am1_port" "$am1_gossip" "$am2_gossip"
start_alertmanager_peer am2 "$am2_port" "$am2_gossip" "$am1_gossip"
wait_for 30 sh -c "[ \"\$(curl -fsS http://127.0.0.1:$am1_port/api/v2/status | grep -o '\"address\"' | wc -l)\" -eq 2 ]" ||
  fail "the Alertmanager peers did not form a cluster of 2"
echo "ok: Alertmanager peers am1, am2 clustered on loopback"

copy_rules_with_short_for "$stack" "$work/rules" NeuroQuantumDBDown
for replica in a b; do
  cat >"$work/prometheus-$replica.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: $cluster, replica: $replica}
rule_files: ['$work/rules/*.yml']
alerting:
  alert_relabel_configs:          # both replicas send the same alert
    - {action: labeldrop, regex: replica}
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:$am1_port', '127.0.0.1:$am2_port']}]
remote_write:
  - url: $vm/api/v1/write
    write_relabel_configs:        # both replicas write the same series
      - {action: labeldrop, regex: replica}
    queue_config: {batch_send_deadline: 1s}
scrape_configs:
  - job_name: neuroquantum
    file_sd_configs: [{files: ['$work/targets/neuroquantum.yml']}]
YAML
  promtool check config "$work/prometheus-$replica.yml" >/dev/null || fail "replica $replica: invalid config"
done
start_prometheus_replica prometheus-a "$prometheus_a_port"
start_prometheus_replica prometheus-b "$prometheus_b_port"

# 1. Each engine's series reach VictoriaMetrics once.
three_up() { [ "$(value_of "$vm" 'count(up{job="neuroquantum"} == 1)')" = 3 ]; }
wait_for 60 three_up || fail "VictoriaMetrics does not have up == 1 of 3 engines: $(value_of "$vm" 'count(up)')"
per_instance=$(curl -fsS --get "$vm/api/v1/query" --data-urlencode 'query=count by (instance) (up{job="neuroquantum"})')
for name in orders sessions analytics; do
  grep -q "\"instance\":\"db-$name\"},\"value\":\[[0-9.]*,\"1\"\]" <<<"$per_instance" ||
    fail "db-$name is not in VictoriaMetrics exactly once: $per_instance"
done
[ -z "$(value_of "$vm" 'count({__name__=~".+", replica=~".+"})')" ] || fail "series with a replica label in VictoriaMetrics"
echo "ok: count by (instance) (up) in VictoriaMetrics is 1 for each of the 3 engines; no replica label"

# 2. A fault on one engine (errors on db-orders): HighErrorRate fires on
#    both replicas, and the pair of Alertmanagers notifies it once.
firing_on() {
  curl -fsS "$1/api/v1/alerts" | python3 -c 'import json, sys
sys.exit(not any(a["labels"]["alertname"] == sys.argv[1] and a["labels"].get("instance") == sys.argv[2]
                 and a["state"] == "firing" for a in json.load(sys.stdin)["data"]["alerts"]))' "$2" "$3"
}
for replica in "$prometheus_a" "$prometheus_b"; do
  wait_for 60 firing_on "$replica" HighErrorRate db-orders || fail "HighErrorRate of db-orders does not fire on $replica"
done
echo "ok: HighErrorRate of db-orders fires on both replicas"
expect_exactly_one_notification /slack HighErrorRate firing 30 "$quiet"

# 3. Deduplicated, not doubled: VictoriaMetrics holds the series each engine
#    exposes (what a replica scraped: scrape_samples_scraped, in OpenMetrics,
#    with the _created series), a counter has the replicas' value, and a 1 s
#    series has one sample per second.
scraped_series='{instance=~"INSTANCE", __name__!~"up|scrape_.+|.+:.+"}'
for instance in db-orders db-sessions db-analytics; do
  exposed=$(value_of "$prometheus_b" "scrape_samples_scraped{instance=\"$instance\"}")
  stored=$(value_of "$vm" "count(${scraped_series/INSTANCE/$instance})")
  echo "$instance: $exposed series exposed (scraped by replica b), $stored in VictoriaMetrics"
  python3 -c 'import sys; e, s = map(float, sys.argv[1:]); sys.exit(not abs(s - e) <= 0.02 * e + 2)' "$exposed" "$stored" ||
    fail "$instance: VictoriaMetrics holds $stored series, the engine exposes $exposed"
done
echo "sum over the engines: $(value_of "$prometheus_b" 'sum(scrape_samples_scraped{job="neuroquantum"})') exposed," \
  "$(value_of "$vm" "count(${scraped_series/INSTANCE/db-.*})") in VictoriaMetrics"
counter='sum(neuroquantum_queries_total{instance="db-sessions"})'
in_vm=$(value_of "$vm" "$counter") in_b=$(value_of "$prometheus_b" "$counter")
python3 -c 'import sys; v, p = map(float, sys.argv[1:]); sys.exit(not 0.8 * p <= v <= 1.2 * p)' "$in_vm" "$in_b" ||
  fail "$counter: $in_vm in VictoriaMetrics, $in_b in replica b"
samples=$(value_of "$vm" 'count_over_time(up{instance="db-sessions"}[10s])')
[ "${samples%.*}" -le 12 ] || fail "VictoriaMetrics keeps $samples samples of up in 10 s: not deduplicated"
echo "ok: $counter is $in_vm in VictoriaMetrics, $in_b in replica b; $samples samples of up in 10 s (deduplicated)"

# 3b. VictoriaMetrics stopped during remote write and restarted on its data
#     after an outage: the replicas keep what they scrape in their WAL and
#     send it once it is back, so the global view has no gap, not even over
#     the outage (a 1 s series keeps a sample every second or so).
outage_began=$(date +%s)
kill "${member_pid[victoria-metrics]}"; wait "${member_pid[victoria-metrics]}" 2>/dev/null || true
sleep 8
outage_ended=$(date +%s)
start_victoria_metrics "$vm_port" 1s
caught_up() {
  local newest
  newest=$(value_of "$vm" 'timestamp(up{instance="db-sessions"})')
  [ -n "$newest" ] && [ "${newest%.*}" -ge $((outage_ended + 3)) ]
}
wait_for 60 caught_up || fail "VictoriaMetrics did not catch up after its restart"
# The window's ends count as samples: what is missing at either end is a gap.
window=("$((outage_began - 5))" "$((outage_ended + 3))")
largest_gap=$(curl -fsS --get "$vm/api/v1/export" --data-urlencode 'match[]=up{instance="db-sessions"}' \
  --data-urlencode "start=${window[0]}" --data-urlencode "end=${window[1]}" |
  python3 -c 'import json, sys
t = sorted({int(sys.argv[1]) * 1000, int(sys.argv[2]) * 1000}
           | {ms for line in sys.stdin for ms in json.loads(line)["timestamps"]})
print(max(b - a for a, b in zip(t, t[1:])) / 1000)' "${window[@]}")
python3 -c 'import sys; sys.exit(not float(sys.argv[1]) <= 2.5)' "$largest_gap" ||
  fail "VictoriaMetrics has a gap of $largest_gap s in up{instance=\"db-sessions\"} around its $((outage_ended - outage_began)) s outage"
echo "ok: VictoriaMetrics down for $((outage_ended - outage_began)) s and restarted: the replicas' WAL filled it in (largest gap in a 1 s series: $largest_gap s)"

# 4. The dashboards and the rules on either datasource. VictoriaMetrics 1.79
#    has no native histograms: the panels calling histogram_sum or
#    histogram_count (the native side of their `classic or native` means) are
#    errors there; all the others must have data, and every rule expression
#    must evaluate.
# Usage: check_dashboards_on URL EXPECTED_SUMMARY [CHECKER_ARGS...]
check_dashboards_on() {
  local source=$1 expected=$2; shift 2
  python3 "$here/check_dashboards.py" --prometheus "$source" --dashboards "$stack/grafana/dashboards" \
    --rules "$work"/rules/*.yml "$@" >"$work/dashboards.out" ||
    { cat "$work/dashboards.out"; fail "dashboards or rules on $source"; }
  grep -qx "panels verified non-empty: $expected" "$work/dashboards.out" ||
    { cat "$work/dashboards.out"; fail "dashboards on $source: not '$expected'"; }
  echo "dashboards on $source:"
  grep -E '^(SKIP|panels verified|recording rules with data|rule expressions)' "$work/dashboards.out" | sed 's/^/  /'
}
check_dashboards_on "$prometheus_b" "38/38"
check_dashboards_on "$vm" "36/38, skipped: 2" --unsupported-functions histogram_sum,histogram_count \
  --evaluate-rule-exprs

# 5. One replica and one Alertmanager peer SIGKILLed; a fault on another
#    engine (db-analytics restarted with a queue build-up, on its port) is
#    notified once (critical: the pager).
kill_member prometheus-a
kill_member am1
echo "killed: prometheus-a, am1"
kill "${member_pid[analytics]}"; wait "${member_pid[analytics]}" 2>/dev/null || true
start_engine analytics "$analytics_port" 23 --fault queue-buildup
expect_exactly_one_notification /pager QueryQueueBuildup firing 60 "$quiet"

# 6. Restarted, they send nothing again (the restarted peer learns from its
#    peer what was notified) ...
start_prometheus_replica prometheus-a "$prometheus_a_port"
start_alertmanager_peer am1 "$am1_port" "$am1_gossip" "$am2_gossip"
alertmanager_has() {
  curl -fsS "http://127.0.0.1:$1/api/v2/alerts" | grep -q "\"alertname\":\"$2\""
}
wait_for 60 alertmanager_has "$am1_port" QueryQueueBuildup || fail "restarted am1 never got QueryQueueBuildup"
wait_for 60 firing_on "$prometheus_a" QueryQueueBuildup db-analytics || fail "restarted replica a does not fire"
sleep "$quiet"  # what the restarted members would send, they send now
for group in "/pager QueryQueueBuildup" "/slack HighErrorRate"; do
  # shellcheck disable=SC2086 # path and alert name
  [ "$(notifications $group firing)" -eq 1 ] || { cat "$work/received"; fail "$group notified again after the restart"; }
done
echo "ok: restarted prometheus-a and am1 (cluster of $(alertmanager_peers "$am1_port")): no duplicate"

# ... and the resolve arrives once: db-analytics restarted without the fault.
kill "${member_pid[analytics]}"; wait "${member_pid[analytics]}" 2>/dev/null || true
start_engine analytics "$analytics_port" 23
expect_exactly_one_notification /pager QueryQueueBuildup resolved 60 "$quiet"

echo "--- notifications received, in order (path, group, status, alerts in it):"
grep '^notification' "$work/received" | sed 's/^notification /  /'
echo "fleet test passed in $(($(date +%s) - started)) s"
