#!/usr/bin/env bash
# A trace id sent by the mock engine comes back from a real Prometheus
# (Debian package, 2.42, --enable-feature=exemplar-storage): the engine writes
# each traced statement to its trace log ([workload] trace_log), the plugin
# keeps the latest one per duration bucket and per digest counter as an
# exemplar, and /api/v1/query_exemplars returns them with the same trace and
# span id, the statement's duration as value, and the engine's time of it.
# NQ_STACK_PROMETHEUS_FLAGS: more Prometheus flags, e.g.
# --enable-feature=exemplar-storage,native-histograms (Prometheus then scrapes
# protobuf, and the exemplars travel in its Bucket and Counter fields).
# Usage: prometheus_exemplars_test.sh MOCK_ENGINE PLUGIN
set -euo pipefail
engine=$1 plugin=$(realpath "$2")

# shellcheck source-path=SCRIPTDIR source=stack_lib.sh
source "$(dirname "$0")/stack_lib.sh"

mock_engine_workload="traced_share = 0.5
trace_log = \"$work/traces.log\""
start_mock_engine engine --seed 23

# shellcheck disable=SC2086 # NQ_STACK_PROMETHEUS_FLAGS is a list of flags
start_prometheus_scraping_target ${NQ_STACK_PROMETHEUS_FLAGS:---enable-feature=exemplar-storage}
sleep 4  # a few more scrapes
health=$(curl -fsS "$api/targets")
grep -q '"lastError":""' <<<"$health" || fail "the last scrape failed: $health"

# Exemplars of a selector over the last minute, one per line:
# "TRACE_ID SPAN_ID VALUE TIMESTAMP".
exemplars_of() {
  local now
  now=$(date +%s)
  curl -fsS --get "$api/query_exemplars" --data-urlencode "query=$1" \
    --data-urlencode "start=$((now - 60))" --data-urlencode "end=$((now + 5))" |
    python3 -c '
import json, sys
for series in json.load(sys.stdin)["data"]:
    for e in series["exemplars"]:
        l = e["labels"]
        print(l.get("trace_id", "-"), l.get("span_id", "-"), e["value"], e["timestamp"])'
}

for family in neuroquantum_query_duration_seconds_bucket neuroquantum_query_digest_calls_total \
  neuroquantum_query_digest_duration_seconds_total; do
  # The time of this family's query: checking a family's exemplars takes
  # seconds on a loaded machine, and the engine goes on meanwhile.
  now=$(date +%s)
  exemplars_of "$family" >"$work/$family.exemplars"
  [[ -s $work/$family.exemplars ]] || fail "Prometheus has no exemplar of $family"
  # Every exemplar is a statement of the engine's trace log: same trace and
  # span id; its timestamp is the engine's end of it, within the last minute.
  while read -r trace span value timestamp; do
    line=$(grep "^$trace " "$work/traces.log") ||
      fail "exemplar trace id $trace of $family is not one the engine sent"
    read -r _ logged_span _ logged_seconds <<<"$line"
    [[ $span == "$logged_span" ]] || fail "$family exemplar $trace: span $span, the engine sent $logged_span"
    awk -v t="$timestamp" -v now="$now" 'BEGIN { exit !(t > now - 60 && t < now + 10) }' ||
      fail "$family exemplar $trace: timestamp $timestamp is not within a minute of $now"
    case $family in
      *_bucket | *duration_seconds_total)
        awk -v v="$value" -v d="$logged_seconds" 'BEGIN { exit !(v - d < 1e-6 && d - v < 1e-6) }' ||
          fail "$family exemplar $trace: value $value, the statement took $logged_seconds s" ;;
      *) [[ $value == 1 ]] || fail "$family exemplar $trace: value $value, not 1 call" ;;
    esac
  done <"$work/$family.exemplars"
  read -r trace span value timestamp <"$work/$family.exemplars"
  echo "$family: $(wc -l <"$work/$family.exemplars") exemplars from the engine's trace log," \
    "e.g. trace_id=$trace span_id=$span value=$value at $timestamp"
done
echo "OK"
