#!/usr/bin/env bash
# docker-compose.yml is valid (docker-compose config -q, no Docker daemon
# needed; also with its profile ha and the replicas' generated configs), every image is pinned to a version, Grafana refuses to start
# without an admin password from the env file, Prometheus keeps exemplars, and
# Grafana's provisioned datasources link exemplars to a provisioned tracing
# datasource whose URL compose passes from the env file (NQ_TRACING_URL).
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
NQ_PROMETHEUS_CONFIG=ha/prometheus-a.yml "${compose[@]}" --env-file "$work/env" --profile ha config -q
echo "ok: ${compose[*]} --profile ha config -q"

# The HA replicas' configs are prometheus-replica.sh's output of today's
# prometheus.yml, and valid (checked where compose mounts them, beside rules/
# and targets/).
mkdir "$work/etc"
cp -r rules targets "$work/etc/"
for replica in a b; do
  ./prometheus-replica.sh "$replica" http://victoria-metrics:8428/api/v1/write targets/alertmanager-ha.yml |
    diff - "ha/prometheus-$replica.yml" >/dev/null ||
    { echo "FAIL: ha/prometheus-$replica.yml is stale: run monitoring-stack/prometheus-replica.sh --update-ha"; exit 1; }
  cp "ha/prometheus-$replica.yml" "$work/etc/prometheus.yml"
  promtool check config "$work/etc/prometheus.yml" >/dev/null ||
    { echo "FAIL: ha/prometheus-$replica.yml is not a valid config"; exit 1; }
done
echo "ok: ha/prometheus-a.yml, ha/prometheus-b.yml are current and valid"

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

# Exemplars: Prometheus stores them, and each exemplarTraceIdDestinations
# entry of the Prometheus datasource names the uid of a provisioned datasource
# (the Tempo one, its URL from NQ_TRACING_URL, which compose gives Grafana
# with a default when the env file has none).
"${compose[@]}" --env-file "$work/env" config >"$work/config.yml"
grep -v '^NQ_TRACING_URL=' .env.example >"$work/no-tracing.env"
"${compose[@]}" --env-file "$work/no-tracing.env" config >"$work/config-default.yml"
python3 - grafana/provisioning/datasources/prometheus.yml "$work/config.yml" "$work/config-default.yml" <<'PY'
import sys, yaml
datasources = yaml.safe_load(open(sys.argv[1]))["datasources"]
config, default = (yaml.safe_load(open(p)) for p in sys.argv[2:4])
problems = []
flags = config["services"]["prometheus"]["command"]
if "--enable-feature=exemplar-storage" not in flags:
    problems.append(f"Prometheus runs without --enable-feature=exemplar-storage: {flags}")
uids = {d.get("uid"): d for d in datasources}
destinations = [t for d in datasources if d.get("type") == "prometheus"
                for t in (d.get("jsonData") or {}).get("exemplarTraceIdDestinations", [])]
if not any(t.get("name") == "trace_id" for t in destinations):
    problems.append("no exemplarTraceIdDestinations entry for the exemplar label trace_id")
for t in destinations:
    if t.get("datasourceUid") not in uids:
        problems.append(f"exemplarTraceIdDestinations {t}: no provisioned datasource has that uid")
    elif uids[t["datasourceUid"]].get("type") != "tempo":
        problems.append(f"exemplarTraceIdDestinations {t}: datasource is not a tempo one")
for d in datasources:
    if d.get("type") == "tempo" and d.get("url") not in ("$NQ_TRACING_URL", "${NQ_TRACING_URL}"):
        problems.append(f"datasource {d.get('name')}: url {d.get('url')!r}, expected ${{NQ_TRACING_URL}}")
for name, c in (("the env file", config), ("no NQ_TRACING_URL", default)):
    env = c["services"]["grafana"].get("environment") or {}
    if not env.get("NQ_TRACING_URL"):
        problems.append(f"with {name}, compose gives Grafana no NQ_TRACING_URL")
for p in problems:
    print("FAIL: " + p)
if problems:
    sys.exit(1)
print(f"ok: Prometheus keeps exemplars; trace_id links to datasource {destinations[0]['datasourceUid']!r}"
      f" (tempo, url ${{NQ_TRACING_URL}} = {config['services']['grafana']['environment']['NQ_TRACING_URL']})")
PY
