#!/usr/bin/env bash
# The contract suite must fail on a broken plugin, naming what it breaks.
# Usage: broken_plugin_is_caught.sh CONTRACT_TESTS BROKEN_PLUGIN
set -uo pipefail
out=$(NQ_CONTRACT_PLUGIN=$2 "$1" 2>&1)
status=$?
echo "$out" | grep -E '^\[  (FAILED|PASSED|     OK) '
[ "$status" -ne 0 ] || { echo "FAIL: the contract suite passed a broken plugin"; exit 1; }
for case in MalformedEventsAreCountedNotRead ConcurrentHookCallsNeverBlock; do
  grep -q "^\[  FAILED  \] NqMetrics/PluginContract\.$case/" <<<"$out" ||
    { echo "FAIL: $case did not catch the broken plugin"; exit 1; }
done
echo "ok: the contract suite fails the broken plugin"
