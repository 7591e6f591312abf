#!/usr/bin/env bash
# Prometheus in agent mode (the light alternative on an engine host,
# docs/SCALING.md): it scrapes a mock engine and remote-writes to
# VictoriaMetrics, which then has every series the agent scraped and a
# statement rate matching the workload.
# Usage: agent_mode_test.sh MOCK_ENGINE PLUGIN
set -euo pipefail
engine=$1 plugin=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack_lib.sh
source "$here/stack_lib.sh"
# shellcheck source-path=SCRIPTDIR source=fleet_lib.sh
source "$here/fleet_lib.sh"
export engine plugin  # read by start_mock_engine

start_mock_engine engine --seed 31   # 200 statements/s
mapfile -t ports < <(distinct_free_ports 2)
read -r vm_port agent_port <<<"${ports[*]}"
vm="http://127.0.0.1:$vm_port"
start_victoria_metrics "$vm_port" 1s

cat >"$work/agent.yml" <<YAML
global:
  scrape_interval: 1s
  external_labels: {cluster: agent-test}
scrape_configs:
  - job_name: neuroquantum
    static_configs: [{targets: ['$target'], labels: {instance: db-agent}}]
remote_write:
  - url: $vm/api/v1/write
    queue_config: {batch_send_deadline: 1s}
YAML
promtool check config --agent "$work/agent.yml" >/dev/null || fail "invalid agent config"
start_member prometheus-agent prometheus --enable-feature=agent --config.file="$work/agent.yml" \
  --storage.agent.path="$work/agent-wal" --web.listen-address="127.0.0.1:$agent_port"
expect_ready "http://127.0.0.1:$agent_port/-/ready" 60 prometheus-agent

rate='sum(rate(neuroquantum_queries_total{instance="db-agent", cluster="agent-test"}[5s]))'
measure() {
  scraped=$(curl -fsS "http://127.0.0.1:$agent_port/metrics" | sed -n 's/^prometheus_agent_active_series \(.*\)/\1/p')
  stored=$(value_of "$vm" 'count({instance="db-agent", __name__!~"up|scrape_.+"})')
  statements=$(value_of "$vm" "$rate")
}
# What the agent scraped is in VictoriaMetrics (within 2 %: series come and
# go), at the workload's statement rate.
agent_series_stored() {
  measure
  [ -n "$scraped" ] && [ -n "$stored" ] && [ -n "$statements" ] &&
    python3 -c 'import sys; a, s, r = map(float, sys.argv[1:])
sys.exit(not (abs(s - a) <= 0.02 * a + 10 and 100 <= r <= 300))' "$scraped" "$stored" "$statements"
}
wait_for 60 agent_series_stored || true
measure
echo "agent: $scraped active series; VictoriaMetrics: $stored series, $statements statements/s"
agent_series_stored || fail "VictoriaMetrics does not hold what the agent scraped, at the workload's rate"
echo "ok: Prometheus in agent mode remote-writes the engine's series to VictoriaMetrics"
