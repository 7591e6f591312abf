# shellcheck shell=bash
# Shared by the fleet tests (sourced after stack_lib.sh): the members of an
# HA monitoring pair on loopback, each startable again on its own ports, and
# the checks of what the webhook receiver got. Every member started is in
# $pids (cleaned up by stack_lib.sh) and in member_pid[NAME] (to kill one).
declare -A member_pid=()

# N distinct ports on 127.0.0.1 nothing listens on, one per line.
distinct_free_ports() {
  local -A chosen=()
  local port
  while [ ${#chosen[@]} -lt "$1" ]; do
    port=$(free_port) || return 1
    chosen[$port]=1
  done
  printf '%s\n' "${!chosen[@]}"
}

# Runs "$2..." in the background as member $1, its stderr in $work/$1.log.
start_member() {
  local name=$1; shift
  "$@" 2>>"$work/$name.log" &
  pids+=($!)
  member_pid[$name]=$!
}

# SIGKILL member $1 (no chance to flush or say goodbye to its peers).
kill_member() {
  kill -KILL "${member_pid[$1]}"
  wait "${member_pid[$1]}" 2>/dev/null || true
}

# Fails unless $1 answers 200 within $2 s ($3: the member, for its log).
expect_ready() {
  wait_for "$2" curl -fsS "$1" || { tail -n 20 "$work/$3.log" >&2; fail "$3 did not become ready ($1)"; }
}

# VictoriaMetrics single node on port $1, deduplicating samples closer than
# $2 (the scrape interval): what two replicas send of one series is kept once.
# Its queries see the newest samples (no latency offset, no result cache).
start_victoria_metrics() {
  start_member victoria-metrics victoria-metrics -httpListenAddr="127.0.0.1:$1" \
    -storageDataPath="$work/victoria-metrics" -dedup.minScrapeInterval="$2" \
    -search.latencyOffset=0s -search.disableCache -loggerLevel=ERROR
  expect_ready "http://127.0.0.1:$1/health" 30 victoria-metrics
}

# Alertmanager peer $1 on port $2, gossiping on $3 with the peer at $4; its
# config $work/alertmanager.yml; data kept in $work/$1 across restarts.
# --cluster.peer-timeout: how long the second peer waits for the first to
# notify before it does itself.
start_alertmanager_peer() {
  start_member "$1" prometheus-alertmanager --config.file="$work/alertmanager.yml" \
    --storage.path="$work/$1" --web.listen-address="127.0.0.1:$2" \
    --cluster.listen-address="127.0.0.1:$3" --cluster.peer="127.0.0.1:$4" \
    --cluster.peer-timeout=4s
  expect_ready "http://127.0.0.1:$2/-/ready" 30 "$1"
}

# The number of peers Alertmanager at port $1 sees in its cluster.
alertmanager_peers() {
  curl -fsS "http://127.0.0.1:$1/api/v2/status" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["cluster"].get("peers") or []))'
}

# Prometheus replica $1 on port $2 with config $work/$1.yml; data kept in
# $work/$1-data across restarts.
start_prometheus_replica() {
  start_member "$1" prometheus --config.file="$work/$1.yml" --storage.tsdb.path="$work/$1-data" \
    --web.listen-address="127.0.0.1:$2"
  expect_ready "http://127.0.0.1:$2/-/ready" 60 "$1"
}

# The value of instant query $2 at base URL $1 (first sample; empty if none).
value_of() {
  curl -fsS --get "$1/api/v1/query" --data-urlencode "query=$2" |
    python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}

# Notifications received for alert group $2 (alert name) on receiver path $1
# with status $3 (firing, resolved).
notifications() {
  grep -c "^notification $1 $2 $3 " "$work/received" || true
}

has_notification() { [ "$(notifications "$@")" -ge 1 ]; }

# Waits up to $4 s for the first notification ($1 $2 $3 as for notifications),
# then $5 s more (longer than a second peer waits for the first), and fails
# unless exactly one arrived.
expect_exactly_one_notification() {
  local path=$1 group=$2 status=$3 deadline=$4 quiet=$5 count
  wait_for "$deadline" has_notification "$path" "$group" "$status" || {
    echo "--- received:" >&2; cat "$work/received" >&2
    fail "no $status notification of $group on $path within $deadline s"; }
  sleep "$quiet"  # proving that no second one comes: nothing to poll for
  count=$(notifications "$path" "$group" "$status")
  [ "$count" -eq 1 ] || { cat "$work/received" >&2; fail "$count $status notifications of $group on $path, not 1"; }
  echo "ok: exactly 1 $status notification of $group on $path"
}

# On exit, the Prometheus replicas stop first: one stopping after the remote
# write endpoint waits a minute (its flush deadline) to send what it has left.
stop_replicas_then_cleanup() {
  local name
  for name in "${!member_pid[@]}"; do
    [[ $name == prometheus-* ]] || continue
    kill "${member_pid[$name]}" 2>/dev/null || true
    wait "${member_pid[$name]}" 2>/dev/null || true
  done
  cleanup
}
trap stop_replicas_then_cleanup EXIT
