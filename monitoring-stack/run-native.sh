#!/usr/bin/env bash
# The monitoring stack without Docker: the mock engine with the metrics plugin,
# Prometheus and Alertmanager from the Debian packages, with the files of this
# directory, on free local ports. Prints the URLs; Ctrl-C stops everything.
#
# Usage: run-native.sh --engine NQ_MOCK_ENGINE --plugin LIBNQ_METRICS_SO --dir RUN_DIR
#                      [--engine-config FILE] [-- MOCK_ENGINE_ARGS...]
#   RUN_DIR keeps the generated configs, the data and the logs of this run.
#   MOCK_ENGINE_ARGS go to nq-mock-engine, e.g. `-- --fault lock-storm`.
#
# Grafana is not a Debian package: the dashboards run with docker-compose.yml;
# here Prometheus serves console pages generated from them (/consoles/).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
engine='' plugin='' dir='' engine_config="$here/../mocks/config/mock-engine.toml"
while [ $# -gt 0 ]; do
  case $1 in
    --engine) engine=$2; shift 2 ;;
    --plugin) plugin=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --engine-config) engine_config=$2; shift 2 ;;
    --) shift; break ;;
    *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -x "$engine" ] && [ -f "$plugin" ] && [ -n "$dir" ] || {
  echo "run-native.sh: --engine, --plugin and --dir are required" >&2; exit 2; }
for tool in prometheus prometheus-alertmanager; do
  command -v "$tool" >/dev/null || { echo "run-native.sh: $tool is not installed" >&2; exit 1; }
done

say() { printf 'run-native: %s\n' "$*" >&2; }

# First port from $1 on which nothing listens on 127.0.0.1 (and not taken by
# this run: recorded in a file, as free_port runs in $(...) subshells).
free_port() {
  local port
  for ((port = $1; port < $1 + 200; port++)); do
    grep -qx "$port" "$dir/ports-taken" 2>/dev/null && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port" >>"$dir/ports-taken"
      echo "$port"
      return
    fi
  done
  say "no free port from $1"
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
rm -rf "$dir/targets" "$dir/rules" "$dir/ports-taken"
mkdir -p "$dir/targets" "$dir/rules" "$dir/prometheus-data" "$dir/alertmanager-data"

pids=()
stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 0' INT TERM

engine_port=$(free_port 9470)
prometheus_port=$(free_port 9090)
alertmanager_port=$(free_port 9093)
alertmanager_cluster_port=$(free_port 9094)

# 1. The mock engine, its example config with this plugin and port.
sed -e "s|^path = .*|path = \"$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")\"|" \
    -e "s|^listen = .*|listen = \"127.0.0.1:$engine_port\"|" \
    "$engine_config" >"$dir/mock-engine.toml"
"$engine" --config "$dir/mock-engine.toml" "$@" 2>"$dir/mock-engine.log" &
pids+=($!)
wait_for 10 grep -q 'serving http://' "$dir/mock-engine.log" || {
  say "the mock engine did not start; its log ($dir/mock-engine.log):"
  tail -n 20 "$dir/mock-engine.log" >&2
  exit 1
}

# 2. Alertmanager with this directory's routing; secrets (read from secrets/
#    next to the config) are the example placeholders: notifications fail, the
#    alerts still show in Alertmanager.
rm -rf "$dir/secrets"
cp -r "$here/alertmanager-secrets.example" "$dir/secrets"
sed "s|/etc/alertmanager/secrets/|$dir/secrets/|g" "$here/alertmanager.yml" >"$dir/alertmanager.yml"
prometheus-alertmanager --config.file="$dir/alertmanager.yml" \
  --storage.path="$dir/alertmanager-data" \
  --web.listen-address="127.0.0.1:$alertmanager_port" \
  --cluster.listen-address="127.0.0.1:$alertmanager_cluster_port" \
  2>"$dir/alertmanager.log" &
pids+=($!)

# 3. Prometheus with this directory's config and rules; targets of this run.
#    It keeps the plugin's exemplars (trace and span ids of statements), as in
#    docker-compose.yml, and serves console pages generated from the Grafana
#    dashboards (consoles/generate_consoles.py): the dashboards without Grafana.
cp "$here/prometheus.yml" "$dir/prometheus.yml"
python3 "$here/consoles/generate_consoles.py" --dashboards "$here/grafana/dashboards" --out "$dir"
cp "$here"/rules/*.yml "$dir/rules/"
printf -- "- targets: ['127.0.0.1:%s']\n  labels:\n    service: neuroquantumdb\n" \
  "$engine_port" >"$dir/targets/neuroquantum.yml"
echo "[]" >"$dir/targets/node.yml"
printf -- "- targets: ['127.0.0.1:%s']\n" "$prometheus_port" >"$dir/targets/prometheus.yml"
printf -- "- targets: ['127.0.0.1:%s']\n" "$alertmanager_port" >"$dir/targets/alertmanager.yml"
prometheus --config.file="$dir/prometheus.yml" \
  --storage.tsdb.path="$dir/prometheus-data" --storage.tsdb.retention.time=30d \
  --web.listen-address="127.0.0.1:$prometheus_port" --web.enable-lifecycle \
  --enable-feature=exemplar-storage \
  --web.console.templates="$dir/consoles" --web.console.libraries="$dir/console_libraries" \
  2>"$dir/prometheus.log" &
pids+=($!)

wait_for 30 curl -fsS "http://127.0.0.1:$prometheus_port/-/ready" || {
  say "Prometheus did not become ready; its log ($dir/prometheus.log):"
  tail -n 20 "$dir/prometheus.log" >&2
  exit 1
}
wait_for 30 curl -fsS "http://127.0.0.1:$alertmanager_port/-/ready" || {
  say "Alertmanager did not become ready; its log ($dir/alertmanager.log):"
  tail -n 20 "$dir/alertmanager.log" >&2
  exit 1
}

cat >&2 <<EOF

  metrics       http://127.0.0.1:$engine_port/metrics
  Prometheus    http://127.0.0.1:$prometheus_port   (targets: /targets, alerts: /alerts)
  consoles      http://127.0.0.1:$prometheus_port/consoles/index.html   (the Grafana dashboards, generated)
$(for page in "$dir"/consoles/*.html; do [ "${page##*/}" = index.html ] ||
  printf '                http://127.0.0.1:%s/consoles/%s\n' "$prometheus_port" "${page##*/}"; done)
  Alertmanager  http://127.0.0.1:$alertmanager_port
  logs, data    $dir
  hot reload    kill -HUP ${pids[0]}   (re-reads $dir/mock-engine.toml)

  Ctrl-C stops everything.
EOF

# Runs until Ctrl-C, or until one of the three stops. An engine that ends on
# its own, successfully (the last phase of a --scenario, or --duration), leaves
# Prometheus and Alertmanager up to look at what the run recorded.
status=0
wait -n -p stopped "${pids[@]}" || status=$?
if [ "$stopped" = "${pids[0]}" ] && [ "$status" -eq 0 ]; then
  say "the mock engine finished its run; Prometheus and Alertmanager keep its data (Ctrl-C stops them)"
  wait -n "${pids[@]:1}" || true
fi
say "a process stopped; see the logs in $dir"
exit 1
