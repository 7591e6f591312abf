#!/usr/bin/env bash
# The Rust example engine (bindings/rust/examples/rust_engine.rs) with the
# real plugin: it serves /metrics with its statements counted, reloads on
# SIGHUP without losing a count, and stops cleanly on SIGTERM.
# Usage: rust_engine_runs.sh CARGO MANIFEST PLUGIN   (environment as for cargo test)
set -uo pipefail
cargo=$1 manifest=$2 plugin=$3
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; echo "--- engine log:"; cat "$dir/log"; exit 1; }

"$cargo" build --offline --quiet --manifest-path "$manifest" --example rust_engine || fail "build"
printf '[plugins.metrics]\npath = "%s"\n[plugins.metrics.settings]\nlisten = "127.0.0.1:0"\n' \
  "$plugin" >"$dir/engine.toml"
"$CARGO_TARGET_DIR/debug/examples/rust_engine" "$dir/engine.toml" 2>"$dir/log" &
pid=$!

port_of_last_serving_line() {
  grep -o 'serving http://127.0.0.1:[0-9]*' "$dir/log" | tail -1 | grep -o '[0-9]*$'
}
statements() {
  curl -sf "http://127.0.0.1:$(port_of_last_serving_line)/metrics" |
    awk '/^neuroquantum_queries_total\{/ {sum += $2} END {print sum + 0}'
}
wait_for() {  # wait_for DESCRIPTION COMMAND...
  local what=$1; shift
  for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
  fail "$what"
}

wait_for "a serving line" grep -q 'serving http://' "$dir/log"
wait_for "statements counted" test "$(statements)" -gt 0
before=$(statements)
kill -HUP "$pid"
wait_for "the reload" grep -q 'rust engine: reloaded' "$dir/log"
after=$(statements)
[ "$after" -ge "$before" ] || fail "statements went from $before to $after over the reload"
echo "statements counted: $before before the reload, $after after"
kill -TERM "$pid"
wait "$pid" || fail "the engine exited with $?"
grep -q 'rust engine: stopped' "$dir/log" || fail "no clean stop"
echo "ok: the Rust engine serves, reloads on SIGHUP and stops"
