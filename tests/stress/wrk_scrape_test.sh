#!/usr/bin/env bash
# A scrape flood: wrk (2 threads, 16 keep-alive connections) against /metrics
# of nq-mock-engine running its default workload (2 engine threads, 200
# queries/s). Every response must be 200 with no socket error; prints the
# scrapes/s and latency percentiles that docs/PERFORMANCE.md reports.
# Usage: wrk_scrape_test.sh MOCK_ENGINE PLUGIN [SECONDS]
set -euo pipefail
engine=$1 plugin=$(realpath "$2") seconds=${3:-10}
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source-path=SCRIPTDIR source=../stack/stack_lib.sh
source "$here/../stack/stack_lib.sh"

start_mock_engine engine --seed 11
wrk --threads 2 --connections 16 --duration "${seconds}s" --latency "http://$target/metrics" \
  >"$work/wrk.txt"
cat "$work/wrk.txt"

report=$(cat "$work/wrk.txt")
requests=$(awk '/requests in/ {print $1}' <<<"$report")
[ "${requests:-0}" -gt 0 ] || fail "wrk made no request"
! grep -q 'Non-2xx or 3xx responses' <<<"$report" || fail "some scrapes were not answered 200"
! grep -q 'Socket errors' <<<"$report" || fail "socket errors (connect, read, write or timeout)"
kill -0 "${pids[0]}" 2>/dev/null || fail "the mock engine died under the scrape flood"
echo "ok: $requests scrapes in ${seconds} s, all 200"
