#!/usr/bin/env bash
# A real Prometheus (Debian package, 2.42) with --enable-feature=native-histograms
# asks for protobuf first; it scrapes the mock engine with the plugin, and
# counters and the classic histograms are queryable.
# Usage: prometheus_protobuf_scrape_test.sh MOCK_ENGINE PLUGIN
set -euo pipefail
engine=$1 plugin=$(realpath "$2")

source "$(dirname "$0")/stack_lib.sh"

start_mock_engine engine --seed 17

# The Accept header of Prometheus 2.42 with native histograms enabled
# (scrapeAcceptHeaderWithProtobuf, scrape/scrape.go): the plugin answers protobuf.
accept='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
curl -fsS -o /dev/null -D "$work/headers" -H "Accept: $accept" "http://$target/metrics"
grep -qi '^Content-Type: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' "$work/headers" ||
  fail "not answered in protobuf: $(cat "$work/headers")"

start_prometheus_scraping_target --enable-feature=native-histograms
grep -q 'Experimental native histogram support enabled' "$work/prometheus.log" ||
  fail "Prometheus did not enable native histograms"
sleep 4  # a few more scrapes, so that counters and histograms have moved

# Every scrape so far succeeded and ingested samples.
health=$(curl -fsS "$api/targets")
grep -q '"health":"up"' <<<"$health" || fail "target not up: $health"
grep -q '"lastError":""' <<<"$health" || fail "the last scrape failed: $health"
samples=$(query 'scrape_samples_scraped{job="neuroquantum"}')
grep -q '"value":\[[0-9.]*,"[1-9][0-9]*"' <<<"$samples" || fail "no samples scraped: $samples"

# A counter that moves: its rate is above zero.
expect_queries_rate_above_zero

# The classic histogram: Prometheus 2.42 ingests a protobuf histogram without
# native fields (no schema spans, zero threshold or zero count) as the classic
# _bucket, _count and _sum series, and no native histogram series.
p99=$(query 'histogram_quantile(0.99, sum by (le) (rate(neuroquantum_query_duration_seconds_bucket[5s])))')
grep -q '"value":\[[0-9.]*,"[0-9]' <<<"$p99" || fail "histogram_quantile has no value: $p99"
has_data "$(query 'neuroquantum_query_duration_seconds_count')" || fail "no _count series"
has_data "$(query 'neuroquantum_query_duration_seconds_sum')" || fail "no _sum series"
native=$(query 'neuroquantum_query_duration_seconds')
has_data "$native" && fail "a native histogram series appeared for a classic histogram: $native"

# Protobuf, not OpenMetrics: client_model 0.3.0 has no created timestamp, so
# the counters' _created samples (which the OpenMetrics scrape of
# prometheus_scrape_test.sh ingests) are absent.
created=$(query 'neuroquantum_queries_created')
has_data "$created" && fail "_created samples ingested: Prometheus did not scrape protobuf: $created"
echo "p99 of neuroquantum_query_duration_seconds: $(grep -o '"value":\[[^]]*\]' <<<"$p99" | head -n1)"
echo "OK"
