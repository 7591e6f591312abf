#!/usr/bin/env bash
# A real Prometheus (Debian package, 2.42) with --enable-feature=native-histograms
# scrapes the plugin with native_histograms=true over protobuf, fed a known
# distribution (nq-native-histogram-feeder: select statements of 1, 2, ...,
# 1000 ms, equally often; 0.99 quantile 990 ms). It stores a native histogram
# for neuroquantum_query_duration_seconds, and histogram_quantile(0.99, ...)
# on it lies in the native bucket of 990 ms at schema 3, (2^-1/8, 1] s: within
# one bucket's resolution (about 9 %).
# Prometheus 2.42 ingests a protobuf histogram that has native fields as the
# native histogram only: its classic _bucket, _count and _sum series are not
# stored (scrape_classic_histograms came with 2.45); this test checks that
# too, since it decides what dashboards and alerts see (README, "Native
# histograms").
# Usage: prometheus_native_histogram_test.sh FEEDER PLUGIN
set -euo pipefail
feeder=$1 plugin=$(realpath "$2")

source "$(dirname "$0")/stack_lib.sh"

"$feeder" "$plugin" 60 >"$work/feeder.out" 2>"$work/feeder.log" &
pids+=($!)
wait_for 10 grep -q '^port ' "$work/feeder.out" || { cat "$work/feeder.log" >&2; fail "the feeder did not start"; }
target="127.0.0.1:$(sed -n 's/^port //p' "$work/feeder.out")"

start_prometheus_scraping_target --enable-feature=native-histograms
sleep 6  # a few more scrapes, so that the rate has several samples

health=$(curl -fsS "$api/targets")
grep -q '"lastError":""' <<<"$health" || fail "the last scrape failed: $health"

# A native histogram: the query API answers "histogram" values.
native=$(query 'neuroquantum_query_duration_seconds{query_type="select"}')
grep -q '"histogram":\[' <<<"$native" || fail "no native histogram stored: $native"

# 2.42 stores no classic series of a histogram that has native buckets.
has_data "$(query 'neuroquantum_query_duration_seconds_bucket')" &&
  fail "classic _bucket series stored beside the native histogram (not 2.42's behaviour?)"
has_data "$(query 'neuroquantum_query_duration_seconds_count')" && fail "classic _count series stored"
# ... but histogram_count() and histogram_sum() of the native one answer.
has_data "$(query 'histogram_count(rate(neuroquantum_query_duration_seconds[1m]))')" ||
  fail "no histogram_count of the native histogram"

p99=$(query 'histogram_quantile(0.99, sum(rate(neuroquantum_query_duration_seconds[1m])))')
value=$(grep -o '"value":\[[0-9.]*,"[^"]*"' <<<"$p99" | sed 's/.*,"//; s/"$//')
[[ -n $value ]] || fail "histogram_quantile has no value: $p99"
# The bucket of 0.99 s at schema 3: (2^(-1/8), 2^0] = (0.917, 1].
awk -v v="$value" 'BEGIN { lo = 2 ^ (-1 / 8); exit !(v > lo && v <= 1) }' ||
  fail "p99 $value s is not in the native bucket of the expected 0.99 s, (0.917, 1]"
echo "p99 of neuroquantum_query_duration_seconds (native): $value s; expected 0.99 s" \
  "(relative error $(awk -v v="$value" 'BEGIN { printf "%.2f %%", (v / 0.99 - 1) * 100 }'))"
echo "OK"
