#!/usr/bin/env bash
# The monitoring stack without Docker: the mock engine with the metrics plugin,
# Prometheus and Alertmanager from the Debian packages, with the files of this
# directory, on free local ports. Prints the URLs; Ctrl-C stops everything.
#
# Usage: run-native.sh --engine NQ_MOCK_ENGINE --plugin LIBNQ_METRICS_SO --dir RUN_DIR
#                      [--engine-config FILE] [--engines N] [--ha] [-- MOCK_ENGINE_ARGS...]
#   RUN_DIR keeps the generated configs, the data and the logs of this run.
#   --engines N: N mock engines (mock-1..mock-N), each on its own port with its
#   own seed (1..N), its target labelled cluster and instance (mock-I).
#   --ha: an HA pair: a second Prometheus replica (external label replica: a,
#   b), a second Alertmanager peer clustered with the first, and
#   VictoriaMetrics (if installed) receiving remote write from both replicas,
#   deduplicated at the scrape interval.
#   MOCK_ENGINE_ARGS go to every nq-mock-engine, e.g. `-- --fault lock-storm`.
#
# Grafana is not a Debian package: the dashboards run with docker-compose.yml;
# here Prometheus serves console pages generated from them (/consoles/).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
engine='' plugin='' dir='' engine_config="$here/../mocks/config/mock-engine.toml" engines=1 ha=false
while [ $# -gt 0 ]; do
  case $1 in
    --engine) engine=$2; shift 2 ;;
    --plugin) plugin=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --engine-config) engine_config=$2; shift 2 ;;
    --engines) engines=$2; shift 2 ;;
    --ha) ha=true; shift ;;
    --) shift; break ;;
    *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -x "$engine" ] && [ -f "$plugin" ] && [ -n "$dir" ] || {
  echo "run-native.sh: --engine, --plugin and --dir are required" >&2; exit 2; }
[[ $engines =~ ^[1-9][0-9]*$ ]] || { echo "run-native.sh: --engines takes a number from 1" >&2; exit 2; }
for tool in prometheus prometheus-alertmanager; do
  command -v "$tool" >/dev/null || { echo "run-native.sh: $tool is not installed" >&2; exit 1; }
done

say() { printf 'run-native: %s\n' "$*" >&2; }

# Sets variable $1 (e.g. "engine_port[2]") to the first port from $2 on which
# nothing listens on 127.0.0.1 and that this run has not taken yet.
taken=()
free_port() {
  local port
  for ((port = $2; port < $2 + 200; port++)); do
    [[ " ${taken[*]} " == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      taken+=("$port")
      printf -v "$1" '%s' "$port"
      return
    fi
  done
  say "no free port from $2"
  exit 1
}

# Waits up to $1 s for "$2..." to succeed.
wait_for() {
  local seconds=$1; shift
  for _ in $(seq $((seconds * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/targets" "$dir/rules"
mkdir -p "$dir/targets" "$dir/rules"

pids=()
stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  # The last started first: Prometheus flushes to VictoriaMetrics, then it stops.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'exit 0' INT TERM

replicas=(a) peers=(1)
if $ha; then replicas=(a b) peers=(1 2); fi
declare -A engine_port=() prometheus_port=() alertmanager_port=() alertmanager_cluster_port=()
for ((i = 1; i <= engines; i++)); do free_port "engine_port[$i]" 9470; done
for r in "${replicas[@]}"; do free_port "prometheus_port[$r]" 9090; done
for p in "${peers[@]}"; do
  free_port "alertmanager_port[$p]" 9093
  free_port "alertmanager_cluster_port[$p]" 9094
done
victoria_metrics_port=''
if $ha && command -v victoria-metrics >/dev/null; then free_port victoria_metrics_port 8428; fi

# Waits up to $1 s for URL $2 to answer; otherwise shows the end of log $3.
expect_ready() {
  wait_for "$1" curl -fsS "$2" && return
  say "$2 did not become ready; its log ($3):"
  tail -n 20 "$3" >&2
  exit 1
}

# 1. The mock engines, each with the example config on its own port (and
#    name, and seed when there are several).
engine_pids=()
for ((i = 1; i <= engines; i++)); do
  seed=(); [ "$engines" -gt 1 ] && seed=(--seed "$i")
  sed -e "s|^path = .*|path = \"$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")\"|" \
      -e "s|^listen = .*|listen = \"127.0.0.1:${engine_port[$i]}\"|" \
      -e "s|^name = .*|name = \"mock-$i\"|" \
      "$engine_config" >"$dir/mock-engine-$i.toml"
  "$engine" --config "$dir/mock-engine-$i.toml" "${seed[@]}" "$@" 2>"$dir/mock-engine-$i.log" &
  pids+=($!) engine_pids+=($!)
  wait_for 10 grep -q 'serving http://' "$dir/mock-engine-$i.log" || {
    say "mock engine $i did not start; its log ($dir/mock-engine-$i.log):"
    tail -n 20 "$dir/mock-engine-$i.log" >&2
    exit 1
  }
done

# 2. Alertmanager with this directory's routing; secrets (read from secrets/
#    next to the config) are the example placeholders: notifications fail, the
#    alerts still show in Alertmanager.
rm -rf "$dir/secrets"
cp -r "$here/alertmanager-secrets.example" "$dir/secrets"
sed "s|/etc/alertmanager/secrets/|$dir/secrets/|g" "$here/alertmanager.yml" >"$dir/alertmanager.yml"
#    With --ha, two peers gossip on loopback: a notification leaves once.
for p in "${peers[@]}"; do
  cluster_peers=()
  for other in "${peers[@]}"; do
    [ "$other" = "$p" ] || cluster_peers+=(--cluster.peer="127.0.0.1:${alertmanager_cluster_port[$other]}")
  done
  prometheus-alertmanager --config.file="$dir/alertmanager.yml" \
    --storage.path="$dir/alertmanager-$p-data" \
    --web.listen-address="127.0.0.1:${alertmanager_port[$p]}" \
    --cluster.listen-address="127.0.0.1:${alertmanager_cluster_port[$p]}" "${cluster_peers[@]}" \
    2>"$dir/alertmanager-$p.log" &
  pids+=($!)
done

# VictoriaMetrics (--ha, when installed): long-term storage of both
# replicas, one sample per series per scrape interval (10 s, the engines' job).
# In a session of its own: Ctrl-C does not stop it before the replicas, which
# flush to it when they stop (stop_all stops it after them).
if [ -n "$victoria_metrics_port" ]; then
  setsid victoria-metrics -httpListenAddr="127.0.0.1:$victoria_metrics_port" \
    -storageDataPath="$dir/victoria-metrics-data" -dedup.minScrapeInterval=10s \
    2>"$dir/victoria-metrics.log" &
  pids+=($!)
fi

# 3. Prometheus with this directory's config and rules; targets of this run.
#    It keeps the plugin's exemplars (trace and span ids of statements), as in
#    docker-compose.yml. With --ha, each replica's config adds its replica
#    label (dropped from alerts by alert_relabel_configs, and from what it
#    writes to VictoriaMetrics). Each serves console pages generated from the
#    Grafana dashboards (consoles/generate_consoles.py): the dashboards
#    without Grafana.
python3 "$here/consoles/generate_consoles.py" --dashboards "$here/grafana/dashboards" --out "$dir"
cp "$here"/rules/*.yml "$dir/rules/"
for ((i = 1; i <= engines; i++)); do
  printf -- "- targets: ['127.0.0.1:%s']\n  labels: {service: neuroquantumdb, cluster: neuroquantum-local, instance: mock-%s}\n" \
    "${engine_port[$i]}" "$i"
done >"$dir/targets/neuroquantum.yml"
echo "[]" >"$dir/targets/node.yml"
for r in "${replicas[@]}"; do printf -- "- targets: ['127.0.0.1:%s']\n" "${prometheus_port[$r]}"; done \
  >"$dir/targets/prometheus.yml"
for p in "${peers[@]}"; do printf -- "- targets: ['127.0.0.1:%s']\n" "${alertmanager_port[$p]}"; done \
  >"$dir/targets/alertmanager.yml"

# Writes the config of replica $1 to stdout (prometheus-replica.sh with --ha).
replica_config() {
  if ! $ha; then cat "$here/prometheus.yml"; return; fi
  "$here/prometheus-replica.sh" "$1" \
    ${victoria_metrics_port:+"http://127.0.0.1:$victoria_metrics_port/api/v1/write"}
}

# Starts Prometheus replica $1 with config $dir/prometheus-$1.yml.
start_prometheus_replica() {
  prometheus --config.file="$dir/prometheus-$1.yml" \
    --storage.tsdb.path="$dir/prometheus-$1-data" --storage.tsdb.retention.time=30d \
    --web.listen-address="127.0.0.1:${prometheus_port[$1]}" --web.enable-lifecycle \
    --enable-feature=exemplar-storage \
    --web.console.templates="$dir/consoles" --web.console.libraries="$dir/console_libraries" \
    2>"$dir/prometheus-$1.log" &
  pids+=($!)
}

for r in "${replicas[@]}"; do
  replica_config "$r" >"$dir/prometheus-$r.yml"
  start_prometheus_replica "$r"
done

for r in "${replicas[@]}"; do
  expect_ready 30 "http://127.0.0.1:${prometheus_port[$r]}/-/ready" "$dir/prometheus-$r.log"
done
for p in "${peers[@]}"; do
  expect_ready 30 "http://127.0.0.1:${alertmanager_port[$p]}/-/ready" "$dir/alertmanager-$p.log"
done
[ -z "$victoria_metrics_port" ] ||
  expect_ready 30 "http://127.0.0.1:$victoria_metrics_port/health" "$dir/victoria-metrics.log"

{
  echo
  for ((i = 1; i <= engines; i++)); do
    echo "  metrics       http://127.0.0.1:${engine_port[$i]}/metrics   (mock-$i; hot reload: kill -HUP ${engine_pids[$((i - 1))]}, re-reads $dir/mock-engine-$i.toml)"
  done
  for r in "${replicas[@]}"; do
    echo "  Prometheus    http://127.0.0.1:${prometheus_port[$r]}   (replica $r; targets: /targets, alerts: /alerts)"
  done
  console=http://127.0.0.1:${prometheus_port[${replicas[0]}]}/consoles
  echo "  consoles      $console/index.html   (the Grafana dashboards, generated)"
  for page in "$dir"/consoles/*.html; do
    [ "${page##*/}" = index.html ] || echo "                $console/${page##*/}"
  done
  for p in "${peers[@]}"; do echo "  Alertmanager  http://127.0.0.1:${alertmanager_port[$p]}   (peer $p)"; done
  if [ -n "$victoria_metrics_port" ]; then
    echo "  VictoriaMetrics http://127.0.0.1:$victoria_metrics_port   (Prometheus API: /api/v1/query; UI: /vmui)"
  elif $ha; then
    echo "  VictoriaMetrics not installed (apt-get install victoria-metrics): no long-term storage"
  fi
  echo "  logs, data    $dir"
  echo
  echo "  Ctrl-C stops everything."
} >&2

# Runs until Ctrl-C, or until a process stops. An engine that ends on its
# own, successfully (the last phase of a --scenario, or --duration), leaves
# the others up to look at what the run recorded.
running=("${pids[@]}")
while :; do
  status=0
  wait -n -p stopped "${running[@]}" || status=$?
  [[ " ${engine_pids[*]} " == *" $stopped "* ]] && [ "$status" -eq 0 ] || break
  say "mock engine (pid $stopped) finished its run; the others keep running (Ctrl-C stops them)"
  still=()
  for pid in "${running[@]}"; do [ "$pid" = "$stopped" ] || still+=("$pid"); done
  running=("${still[@]}")
done
say "a process stopped; see the logs in $dir"
exit 1
