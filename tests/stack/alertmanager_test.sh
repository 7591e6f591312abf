#!/usr/bin/env bash
# alertmanager.yml is valid, routes each severity to its receiver, and a real
# Alertmanager inhibits a warning of a server on which a critical alert fires
# (and only of that server).
# Usage: alertmanager_test.sh MONITORING_STACK_DIR
set -euo pipefail
stack=$(cd "$1" && pwd)
source "$(dirname "$0")/stack_lib.sh"

amtool check-config "$stack/alertmanager.yml"
expect_route() {
  local got
  got=$(amtool config routes test --config.file="$stack/alertmanager.yml" "$@" 2>/dev/null)
  [ "$got" = "${expected}" ] || fail "route of $*: expected ${expected}, got '$got'"
  echo "ok: $* -> $got"
}
expected=pager expect_route severity=critical alertname=NeuroQuantumDBDown
expected=chat expect_route severity=warning alertname=HighQueryLatency
expected=low-noise expect_route severity=info alertname=HighWALGrowthRate
expected=low-noise expect_route alertname=SomethingWithoutSeverity

# A real Alertmanager with these routes and inhibit rules.
cp "$stack/alertmanager.yml" "$work/alertmanager.yml"
cp -r "$stack/alertmanager-secrets.example" "$work/secrets"
port=$(free_port)
prometheus-alertmanager --config.file="$work/alertmanager.yml" --storage.path="$work/am-data" \
  --web.listen-address="127.0.0.1:$port" --cluster.listen-address= 2>"$work/am.log" &
pids+=($!)
api="http://127.0.0.1:$port/api/v2"
wait_for 60 curl -fsS "http://127.0.0.1:$port/-/ready" || { tail "$work/am.log"; fail "Alertmanager did not start"; }

alert() {  # name severity instance
  printf '{"labels":{"alertname":"%s","severity":"%s","cluster":"c1","instance":"%s","job":"neuroquantum"},"annotations":{"summary":"test"}}' "$@"
}
curl -fsS -XPOST -H 'Content-Type: application/json' "$api/alerts" -d "[$(alert QueryQueueBuildup critical db1:9470),$(alert HighQueryLatency warning db1:9470),$(alert HighQueryLatency warning db2:9470)]"

# "instance state inhibitedBy-count" of each alert.
states() {
  curl -fsS "$api/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    print(a["labels"]["alertname"], a["labels"]["instance"], a["status"]["state"], len(a["status"]["inhibitedBy"]))'
}
# Read whole before matching: `grep -q` stops reading at its first match, and
# under pipefail the writer's broken pipe would fail the pipeline.
has_state() { local now; now=$(states) && grep -q "^$1\$" <<<"$now"; }
inhibited() { has_state 'HighQueryLatency db1:9470 suppressed 1'; }
wait_for 60 inhibited || { states; fail "the warning on db1 (critical firing there) is not inhibited"; }
has_state 'HighQueryLatency db2:9470 active 0' || { states; fail "the warning on db2 must stay active"; }
has_state 'QueryQueueBuildup db1:9470 active 0' || { states; fail "the critical alert must stay active"; }
echo "ok: a critical alert inhibits the warnings of its own server only"
