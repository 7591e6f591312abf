#!/usr/bin/env bash
# The instruction-count guard: runs instruction_driver under callgrind (which
# counts instructions, not time, so the figures do not move with the load of
# the machine), prints the instructions (Ir) per iteration of each scenario
# beside its budget, and fails when one exceeds its budget or has none.
# Usage: instruction_counts.sh DRIVER PLUGIN.so BUDGETS [ITERATIONS]
set -euo pipefail
driver=$1 plugin=$2 budgets=$3 iterations=${4:-100000}

command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (scripts/nq deps)"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Collection is off but inside the scenarios (the driver's client requests);
# each scenario's counts are dumped to a file of their own.
valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out/callgrind.out" \
  "$driver" "$plugin" "$iterations" >"$out/driver.log" 2>&1 ||
  { cat "$out/driver.log"; echo "FAIL: the driver failed under callgrind"; exit 1; }

declare -A measured
for dump in "$out"/callgrind.out.*; do
  scenario=$(sed -n 's/^desc: Trigger: Client Request: //p' "$dump")
  [ -n "$scenario" ] || continue
  measured[$scenario]=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
done

status=0
printf '%-26s %12s %8s\n' scenario 'Ir/iteration' budget
while read -r scenario budget; do
  if [ -z "${measured[$scenario]:-}" ]; then
    echo "FAIL: no counts for scenario $scenario"
    status=1
    continue
  fi
  per_iteration=$(((measured[$scenario] + iterations / 2) / iterations))
  verdict=ok
  if ((per_iteration > budget)); then verdict="OVER BUDGET" status=1; fi
  printf '%-26s %12d %8d  %s\n' "$scenario" "$per_iteration" "$budget" "$verdict"
  unset "measured[$scenario]"
done < <(grep -v '^\s*\(#\|$\)' "$budgets")

for scenario in "${!measured[@]}"; do
  echo "FAIL: scenario $scenario has no budget in $budgets"
  status=1
done
exit $status
