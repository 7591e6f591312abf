#!/usr/bin/env bash
# docker-compose.yml is valid (docker-compose config -q, no Docker daemon
# needed), every image is pinned to a version, and Grafana refuses to start
# without an admin password from the env file.
# Usage: compose_test.sh MONITORING_STACK_DIR
set -euo pipefail
cd "$1"
compose=(docker-compose)
command -v docker-compose >/dev/null || compose=(docker compose)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp .env.example "$work/env"

"${compose[@]}" --env-file "$work/env" config -q
echo "ok: ${compose[*]} config -q"

unpinned=$(grep -E '^\s+image:' docker-compose.yml | grep -vE 'image: \S+:[v0-9][0-9A-Za-z.-]*$' |
  grep -v 'nq-metrics/mock-engine:local' || true)
[ -z "$unpinned" ] || { echo "FAIL: images without a pinned version:"; echo "$unpinned"; exit 1; }
echo "ok: every image is pinned"

: >"$work/empty.env"
if "${compose[@]}" --env-file "$work/empty.env" config -q 2>"$work/err"; then
  echo "FAIL: the stack starts without GRAFANA_ADMIN_PASSWORD"
  exit 1
fi
grep -q GRAFANA_ADMIN_PASSWORD "$work/err" || { echo "FAIL: unclear error:"; cat "$work/err"; exit 1; }
echo "ok: no admin password, no stack (the message names GRAFANA_ADMIN_PASSWORD)"
