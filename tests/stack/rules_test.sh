#!/usr/bin/env bash
# prometheus.yml is valid (promtool check config), the alert and recording
# rules load (promtool check rules), their unit tests
# pass (promtool test rules), and every alert has a test where it fires and one
# where it stays silent.
# Usage: rules_test.sh MONITORING_STACK_DIR
set -euo pipefail
cd "$1"
promtool check config prometheus.yml  # also loads the rule files it names
cd rules
promtool check rules neuroquantum_recording.yml neuroquantum_alerts.yml
promtool test rules tests/neuroquantum_alerts_test.yml

# alertname -> does a case expect it to fire / to stay silent?
alerts=$(sed -n 's/^ *- alert: *//p' neuroquantum_alerts.yml)
total=$(wc -l <<<"$alerts")
tested=0
for alert in $alerts; do
  cases=$(awk -v a="$alert" '
    /^ *- alertname:/ { name = $3; next }
    /^ *exp_alerts: *\[\]/ { if (name == a) silent = 1; next }
    /^ *exp_alerts:$/ { if (name == a) fires = 1 }
    END { print (fires ? "fires" : "") " " (silent ? "silent" : "") }' tests/neuroquantum_alerts_test.yml)
  if [[ $cases == "fires silent" ]]; then
    tested=$((tested + 1))
  else
    echo "FAIL: $alert lacks a case where it$([[ $cases == fires* ]] && echo " stays silent" || echo " fires")"
  fi
done
echo "alerts with unit tests (firing and silent): $tested/$total"
[ "$tested" = "$total" ] && [ "$total" = 14 ]
