# Shared by the stack tests (sourced): a work directory and the processes a
# test starts, both cleaned up on exit; free ports; waiting for a condition.
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A port on 127.0.0.1 nothing listens on.
free_port() {
  # Below the kernel's ephemeral range, so that no outgoing connection of a
  # test running meanwhile (thousands, in the listener attack) takes it
  # between this check and the server's bind.
  local first rest port
  read -r first rest </proc/sys/net/ipv4/ip_local_port_range
  for port in $(shuf -i "$((first - 12000))-$((first - 1))" -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}

# Waits up to $1 s for "$2..." to succeed.
wait_for() {
  local seconds=$1; shift
  for _ in $(seq $((seconds * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Starts nq-mock-engine ($engine) with the plugin ($plugin, absolute) listening
# on a free port, and sets $target to its host:port. Extra arguments go to the
# engine (e.g. --fault NAME). Usage: start_mock_engine NAME [ARGS...]
# NQ_STACK_PLUGIN_SETTINGS: more lines of the plugin's settings table, e.g.
# 'native_histograms = "true"' (several: one per line); $mock_engine_workload,
# when set, more lines of its [workload]; $mock_engine_listen, when set, the
# plugin's listen address (default 127.0.0.1:0, a free port), e.g. to restart
# an engine on the address Prometheus already scrapes.
start_mock_engine() {
  local name=$1; shift
  cat >"$work/$name.toml" <<TOML
[engine]
name = "$name"
[plugins.metrics]
path = "$plugin"
[plugins.metrics.settings]
listen = "${mock_engine_listen:-127.0.0.1:0}"
${NQ_STACK_PLUGIN_SETTINGS:-}
[workload]
threads = 2
queries_per_second = 200
${mock_engine_workload:-}
TOML
  "$engine" --config "$work/$name.toml" "$@" >/dev/null 2>"$work/$name.log" &
  pids+=($!)
  wait_for 10 grep -q 'serving http://' "$work/$name.log" || {
    cat "$work/$name.log" >&2; fail "mock engine $name did not start serving"; }
  target=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$work/$name.log" | head -n1 | sed 's|serving http://||')
}

# Starts Prometheus scraping $target every second (extra arguments go to
# Prometheus, e.g. --enable-feature=native-histograms) and waits until it has
# scraped it; sets $api and defines query (a PromQL query's JSON) and
# has_data (a query's JSON holds a result).
start_prometheus_scraping_target() {
  local port
  port=$(free_port)
  cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: neuroquantum
    static_configs:
      - targets: ['$target']
YAML
  promtool check config "$work/prometheus.yml" >/dev/null
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" "$@" \
    --web.listen-address="127.0.0.1:$port" 2>"$work/prometheus.log" &
  pids+=($!)
  api="http://127.0.0.1:$port/api/v1"
  wait_for 30 sh -c "curl -fsS --get '$api/query' --data-urlencode 'query=up{job=\"neuroquantum\"} == 1' | grep -q '\"value\"'" || {
    tail -n 20 "$work/prometheus.log" >&2; fail "Prometheus never scraped the plugin"; }
}
# Starts webhook_receiver.py on a free port: sets $hook_port; what it
# receives goes to $work/received.
start_webhook_receiver() {
  hook_port=$(free_port)
  python3 "$(dirname "${BASH_SOURCE[0]}")/webhook_receiver.py" "$hook_port" \
    >"$work/received" 2>"$work/receiver.log" &
  pids+=($!)
}

# Writes to $2 the stack's Alertmanager config ($1: monitoring-stack dir) for
# a test: notifications at once (group_wait, group_interval 1 s), every
# receiver pointed at the webhook receiver on $hook_port, secrets in
# $work/secrets (the Slack URL the receiver too).
write_test_alertmanager_config() {
  local stack=$1 out=$2
  sed -e 's/group_wait: .*/group_wait: 1s/' -e 's/group_interval: .*/group_interval: 1s/' \
      -e "s|http://127.0.0.1:9095/|http://127.0.0.1:$hook_port/|" \
      -e "s|/etc/alertmanager/secrets/|$work/secrets/|g" \
      "$stack/alertmanager.yml" >"$out"
  mkdir -p "$work/secrets"
  echo "http://127.0.0.1:$hook_port/slack" >"$work/secrets/slack_api_url"
  echo "unused" >"$work/secrets/smtp_password"
}

# Copies the stack's rules ($1: monitoring-stack dir) to directory $2 with
# every alert's `for:` shortened to 0s, except the alerts named in $3...
# (they keep theirs).
copy_rules_with_short_for() {
  local stack=$1 out=$2; shift 2
  mkdir -p "$out"
  cp "$stack/rules/neuroquantum_recording.yml" "$out/"
  awk -v keep=" $* " '
    /^ *- alert:/ { name = $3 }
    /^ *for:/ && index(keep, " " name " ") == 0 { sub(/for:.*/, "for: 0s") }
    { print }' "$stack/rules/neuroquantum_alerts.yml" >"$out/neuroquantum_alerts.yml"
}

query() { curl -fsS --get "$api/query" --data-urlencode "query=$1"; }
has_data() { grep -q '"result":\[{' <<<"$1"; }

# Fails unless sum(rate(neuroquantum_queries_total[5s])) is above zero.
expect_queries_rate_above_zero() {
  local rate
  rate=$(query 'sum(rate(neuroquantum_queries_total[5s]))')
  grep -q '"value":\[[0-9.]*,"[1-9]' <<<"$rate" || grep -q '"value":\[[0-9.]*,"0\.[0-9]*[1-9]' <<<"$rate" ||
    fail "rate(neuroquantum_queries_total) is not above 0: $rate"
}
