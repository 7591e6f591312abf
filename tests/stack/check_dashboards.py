#!/usr/bin/env python3
"""Checks the Grafana dashboards of monitoring-stack/ against a real Prometheus.

Usage: check_dashboards.py --prometheus URL --dashboards DIR
                           [--catalogue SERIES_NAMES_FILE] [--rules FILE...]
                           [--job NAME] [--instance REGEX]

Standard library only. Exit status 0 only if every check passes.

Structure of each dashboard (DIR/*.json):
  * the uids the stack promises, with their panel counts: neuroquantum-overview
    12, neuroquantum-queries 13, neuroquantum-websocket 13 (row panels are not
    counted; panels inside collapsed rows are). Each has one panel on the
    native-histogram form (`classic or native`, see below);
  * schemaVersion 38 (Grafana 10), refresh "10s";
  * the variables `datasource` (type datasource, query prometheus), `job`
    (label_values(neuroquantum_build_info, job)) and `instance`
    (label_values(neuroquantum_build_info{job="$job"}, instance)); the job and
    instance queries are run against Prometheus too and must return values;
  * every panel and target uses the datasource {"type": "prometheus",
    "uid": "${datasource}"};
  * every panel sets fieldConfig.defaults.unit. Tables are NOT exempt: their
    value column is formatted with that unit (seconds, ops/s...). Only panels
    that show no query data (text, news, dashlist) are exempt;
  * every metric selector of every target has job="$job" and
    instance=~"$instance" matchers, and every range is a Grafana interval
    variable ($__rate_interval, $__range, $__interval), never a fixed window;
  * every target that queries a family the plugin writes exemplars on
    (neuroquantum_query_duration_seconds, its _bucket series,
    neuroquantum_query_digest_calls_total,
    neuroquantum_query_digest_duration_seconds_total) sets "exemplar": true,
    so that Grafana shows them and links them to their traces.

Native histograms: the dashboards and recording rules query the duration
families that may be native histograms as `classic or native` (e.g.
histogram_quantile(q, sum by (le) (rate(X_bucket[..]))) or
histogram_quantile(q, sum(rate(X[..])))), so that the same checks pass
whether Prometheus stores the classic series (no native-histograms feature
flag, or the plugin's native_histograms off) or only the native histogram
(feature flag and native_histograms on).

Queries: every target of every panel, with the Grafana variables substituted
($job -> --job, $instance -> --instance (".*", what "All" sends), $database
-> ".*" ("All" of the queries dashboard),
$__rate_interval -> 1m (what Grafana computes for the datasource's 15 s
timeInterval: 4 x 15 s), $__range -> 5m, $__interval -> 15s; the ${var} and
${var:format} forms too; $datasource is not used in expressions), runs as an
instant query (/api/v1/query). A PromQL error is ERROR; a result with no
sample, or whose samples are all NaN (a quantile or ratio over no traffic,
which Grafana shows as "NaN"/"No data"), is EMPTY. Each panel prints
ok / EMPTY / ERROR, then "panels verified non-empty: N/38".

Recording rules: every `record:` of the --rules files is queried by its name
and must have a sample that is not NaN (Prometheus must have evaluated the
rules, as the stack tests do every second).

With --unsupported-functions NAME,...: the engine behind the URL lacks these
functions (VictoriaMetrics 1.79 has no histogram_sum, histogram_count: it
has no Prometheus native histograms). A panel whose query calls one is not
run: it prints SKIP with the function, is not counted as verified, and the
summary line says how many were skipped ("panels verified non-empty: N/38,
skipped: M"). Grafana shows such a panel as an error on that datasource.

With --evaluate-rule-exprs: every `expr` of the --rules files (recording and
alerting) runs as an instant query and must not be an error; an empty result
is fine (an alert that does not fire). This tells whether another
Prometheus-compatible engine (e.g. VictoriaMetrics) can evaluate the rules.

With --catalogue (the output of `nq-metrics-reference --series-names`):
every metric name used by the dashboards (targets and variable queries) and by
the `expr` fields of the --rules files must be a series of the catalogue. A
histogram is listed by its NAME_count series and stands for NAME_bucket,
NAME_sum and NAME (its native histogram) as well; `up` and Prometheus's other scrape series are allowed.
Names with ':' are recording rules: they must be defined (`record:`) in one of
the --rules files, wherever they are used (checked with or without
--catalogue). The rules files are read with a minimal YAML reader: `expr:`
values may be plain, quoted, or `|` / `>` blocks over several lines.
"""
import argparse
import json
import math
import pathlib
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

# The Grafana variables' values, their syntax and the panels of a dashboard
# (rows opened) are those of the console page generator.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent.parent / "monitoring-stack" / "consoles"))
from generate_consoles import CONSOLE_VARIABLES, VARIABLE, flat_panels, substitute  # noqa: E402

PANELS = {"neuroquantum-overview": 12, "neuroquantum-queries": 13, "neuroquantum-websocket": 13}
SCHEMA_VERSION = 38
REFRESH = "10s"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
JOB_QUERY = "label_values(neuroquantum_build_info, job)"
INSTANCE_QUERY = 'label_values(neuroquantum_build_info{job="$job"}, instance)'
NO_DATA_PANELS = {"text", "news", "dashlist"}
RANGE_VARIABLES = {"__rate_interval", "__range", "__interval"}
# Series the plugin writes exemplars on (trace_id, span_id): a target querying
# one must set "exemplar": true.
EXEMPLAR_SERIES = {"neuroquantum_query_duration_seconds", "neuroquantum_query_duration_seconds_bucket",
                   "neuroquantum_query_digest_calls_total", "neuroquantum_query_digest_duration_seconds_total"}
# Series Prometheus adds to every scrape.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                 "scrape_samples_post_metric_relabeling", "scrape_series_added"}

AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
               "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[a-zA-Z0-9]*")


# --- PromQL scanning ---------------------------------------------------------

def _skip_string(s, i):
    quote, i = s[i], i + 1
    while i < len(s) and s[i] != quote:
        i += 2 if s[i] == "\\" and quote != "`" else 1
    return i + 1


def _skip_to_close(s, i, close):
    """Index just after the `close` that ends s[i] (an opening bracket), strings skipped."""
    i += 1
    while i < len(s) and s[i] != close:
        i = _skip_string(s, i) if s[i] in "\"'`" else i + 1
    return i + 1


def _skip_space(s, i):
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def scan_promql(expr):
    """The metric selectors and ranges of a PromQL expression (Grafana variables
    may be in it): a list of ("metric", name, matchers or None) and
    ("range", text) items. Strings, label lists, functions, keywords skipped."""
    items, i, n = [], 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            i = _skip_string(expr, i)
        elif c == "#":
            while i < n and expr[i] != "\n":
                i += 1
        elif c == "{":  # selector without a metric name
            end = _skip_to_close(expr, i, "}")
            items.append(("metric", None, expr[i + 1:end - 1]))
            i = end
        elif c == "[":
            end = _skip_to_close(expr, i, "]")
            items.append(("range", expr[i + 1:end - 1].strip()))
            i = end
        elif c == "$":  # a Grafana variable outside a range or string
            m = VARIABLE.match(expr, i)
            i = m.end() if m else i + 1
        elif c.isdigit() or (c == "." and i + 1 < n and expr[i + 1].isdigit()):
            i = NUMBER.match(expr, i).end()
        elif IDENT.match(expr, i):
            word = IDENT.match(expr, i).group(0)
            i += len(word)
            j = _skip_space(expr, i)
            nxt = expr[j] if j < n else ""
            if word.lower() in LABEL_LIST_KEYWORDS:
                if nxt == "(":
                    i = _skip_to_close(expr, j, ")")
            elif word.lower() in KEYWORDS or word in AGGREGATORS or nxt == "(":
                pass  # a keyword, an aggregation or a function call
            elif nxt == "{":
                end = _skip_to_close(expr, j, "}")
                items.append(("metric", word, expr[j + 1:end - 1]))
                i = end
            else:
                items.append(("metric", word, None))
        else:
            i += 1
    return items


def metric_names(expr):
    return {name for kind, name, *_ in scan_promql(expr) if kind == "metric" and name}


# --- Prometheus ----------------------------------------------------------------

def prometheus_get(base, path, params, post=True):
    """(data, None) or (None, error) for a Prometheus API call; POST form (as
    Grafana with httpMethod POST) or GET (the label values endpoint)."""
    url = base.rstrip("/") + path
    form = urllib.parse.urlencode(params, doseq=True)
    request = urllib.request.Request(url, data=form.encode()) if post else \
        urllib.request.Request(url + "?" + form)
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            answer = json.load(reply)
    except urllib.error.HTTPError as e:
        try:
            answer = json.load(e)
        except ValueError:
            return None, f"HTTP {e.code}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        return None, f"{url}: {e}"
    if answer.get("status") != "success":
        return None, f"{answer.get('errorType', 'error')}: {answer.get('error', 'unknown error')}"
    return answer["data"], None


def has_data(data):
    """Whether an instant query's result holds a sample that is not NaN."""
    if data["resultType"] in ("scalar", "string"):
        samples = [data["result"]]
    else:
        samples = [s["value"] for s in data["result"] if "value" in s]
        samples += [v for s in data["result"] for v in s.get("values", [])]
    for _, v in samples:
        try:
            if not math.isnan(float(v)):
                return True
        except ValueError:
            return True
    return False


def label_values(base, query, values):
    """Runs a Grafana label_values(selector, label) variable query."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", query, re.S)
    if not m:
        return None, f"not a label_values(selector, label) query: {query}"
    selector, _ = substitute(m.group(1), values)
    data, error = prometheus_get(base, f"/api/v1/label/{m.group(2)}/values", {"match[]": selector}, post=False)
    return data, error


# --- Rules files -------------------------------------------------------------

def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _strip_comment(text):
    return re.sub(r"(^|\s)#.*$", "", text).strip()


def yaml_scalars(path, key):
    """The values of `key:` in a YAML file (plain, quoted, | or > block), minimal."""
    lines = pathlib.Path(path).read_text().splitlines()
    pattern = re.compile(r"^(\s*(?:-\s+)?)" + key + r"\s*:(?:\s+(.*))?$")
    out = []
    for i, line in enumerate(lines):
        m = pattern.match(line)
        if not m:
            continue
        col, rest = len(m.group(1)), (m.group(2) or "").strip()
        follow = []
        for more in lines[i + 1:]:
            if more.strip() and _indent(more) <= col:
                break
            follow.append(more)
        if re.fullmatch(r"[|>][0-9+-]*(\s+#.*)?", rest):
            out.append("\n".join(f.strip() for f in follow).strip())
        elif rest[:1] in ("'", '"'):
            text, quote = " ".join([rest] + [f.strip() for f in follow]), rest[0]
            j = 1
            while j < len(text):
                if quote == '"' and text[j] == "\\":
                    j += 2
                elif text[j] == quote and quote == "'" and text[j + 1:j + 2] == "'":
                    j += 2
                elif text[j] == quote:
                    break
                else:
                    j += 1
            body = text[1:j]
            body = body.replace("''", "'") if quote == "'" else \
                body.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
            out.append(body)
        else:
            parts = [_strip_comment(rest)]
            for f in follow:
                if f.strip().startswith("#"):
                    break
                parts.append(_strip_comment(f))
            out.append(" ".join(p for p in parts if p))
    return out


# --- Dashboards ----------------------------------------------------------------

def variable_query(v):
    q = v.get("query")
    return q.get("query", "") if isinstance(q, dict) else (q or "")


def check_variables(uid, d, problems):
    """Structure of the three variables; returns the job and instance queries."""
    by_name = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    missing = [n for n in ("datasource", "job", "instance") if n not in by_name]
    if missing:
        problems.append(f"{uid}: variables {missing} missing")
    ds = by_name.get("datasource")
    if ds and (ds.get("type") != "datasource" or variable_query(ds) != "prometheus"):
        problems.append(f"{uid}: variable datasource must be type datasource, query prometheus")
    queries = {}
    for name, expected in (("job", JOB_QUERY), ("instance", INSTANCE_QUERY)):
        v = by_name.get(name)
        if not v:
            continue
        q = variable_query(v)
        if v.get("type") != "query" or re.sub(r"\s+", "", q) != re.sub(r"\s+", "", expected):
            problems.append(f"{uid}: variable {name} must be a query variable {expected!r}, is {q!r}")
        if v.get("datasource") != DATASOURCE:
            problems.append(f"{uid}: variable {name} datasource {v.get('datasource')!r}, expected {DATASOURCE}")
        queries[name] = q
    return queries


def check_selectors(where, expr, problems):
    for item in scan_promql(expr):
        if item[0] == "range":
            text = item[1]
            parts = text.split(":") if not VARIABLE.fullmatch(text) else [text]
            for part in parts:
                m = VARIABLE.fullmatch(part.strip()) if part.strip() else None
                if part.strip() and not (m and (m.group(1) or m.group(2) or m.group(3)) in RANGE_VARIABLES):
                    problems.append(f"{where}: range [{text}] is not $__rate_interval, $__range or $__interval")
            continue
        _, name, matchers = item
        matchers = matchers or ""
        if not re.search(r'(^|[\s,])job\s*=\s*"\$\{?job\}?"', matchers) or \
           not re.search(r'(^|[\s,])instance\s*=~\s*"\$\{?instance(:\w+)?\}?"', matchers):
            problems.append(f'{where}: selector {name or ""}{{{matchers}}} lacks job="$job", instance=~"$instance"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    parser.add_argument("--dashboards", required=True, help="directory of the dashboard JSON files")
    parser.add_argument("--catalogue", help="file with the catalogue's series names (whitespace separated)")
    parser.add_argument("--rules", nargs="*", default=[], help="Prometheus rules files")
    parser.add_argument("--unsupported-functions", default="",
                        help="comma-separated PromQL functions the engine lacks: panels calling them are skipped")
    parser.add_argument("--evaluate-rule-exprs", action="store_true",
                        help="run every expr of the --rules files as a query; none may be an error")
    parser.add_argument("--job", default="neuroquantum", help="value of $job (default neuroquantum)")
    parser.add_argument("--instance", default=".*", help="value of $instance (default .*, i.e. All)")
    a = parser.parse_args()

    values = dict(CONSOLE_VARIABLES, job=a.job, instance=a.instance, datasource="${datasource}")
    problems, used, used_where = [], set(), {}
    verified = total = skipped = 0
    unsupported = [f for f in a.unsupported_functions.split(",") if f]

    recorded = set()
    for path in a.rules:
        recorded.update(v.strip("'\"") for v in yaml_scalars(path, "record"))

    dashboards = {}
    for path in sorted(pathlib.Path(a.dashboards).glob("*.json")):
        try:
            d = json.loads(path.read_text())
        except ValueError as e:
            problems.append(f"{path.name}: not JSON: {e}")
            continue
        if d.get("uid") not in PANELS:
            problems.append(f"{path.name}: uid {d.get('uid')!r} is none of {sorted(PANELS)}")
        elif d["uid"] in dashboards:
            problems.append(f"{path.name}: uid {d['uid']!r} used twice")
        else:
            dashboards[d["uid"]] = d
    for uid in PANELS:
        if uid not in dashboards:
            problems.append(f"dashboard {uid} missing in {a.dashboards}")

    for uid, count in PANELS.items():
        d = dashboards.get(uid)
        if d is None:
            total += count
            continue
        if d.get("schemaVersion") != SCHEMA_VERSION:
            problems.append(f"{uid}: schemaVersion {d.get('schemaVersion')!r}, expected {SCHEMA_VERSION}")
        if d.get("refresh") != REFRESH:
            problems.append(f"{uid}: refresh {d.get('refresh')!r}, expected {REFRESH!r}")
        if any(p.get("type") == "row" for p in d.get("panels", [])):
            print(f"note   {uid}: has row panels (not counted)")
        offered = []
        for name, query in check_variables(uid, d, problems).items():
            found, error = label_values(a.prometheus, query, values)
            if error or not found:
                problems.append(f"{uid}: variable {name} ({query}) returns {error or 'no value'}")
            elif name == "job" and a.job not in found:
                problems.append(f"{uid}: variable job offers {found}, not {a.job!r}")
            offered.append(f"{name}={','.join(found or [])}")
            m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query, re.S)
            for metric in metric_names(m.group(1)) if m else ():
                used.add(metric)
                used_where.setdefault(metric, f"{uid} / variable {name}")

        print(f"{uid}: variables offer {'; '.join(offered)}")
        panels = flat_panels(d)
        if len(panels) != count:
            problems.append(f"{uid}: {len(panels)} panels, expected {count}")
        total += max(count, len(panels))
        for p in panels:
            title = f"{uid} / {p.get('title', '(untitled)')}"
            if p.get("datasource") != DATASOURCE:
                problems.append(f"{title}: datasource {p.get('datasource')!r}, expected {DATASOURCE}")
            if p.get("type") not in NO_DATA_PANELS and \
                    not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
                problems.append(f"{title}: no unit (fieldConfig.defaults.unit)")
            targets = [t for t in p.get("targets", []) if not t.get("hide")]
            lacking = sorted({f for t in targets for f in unsupported
                              if re.search(r"\b" + re.escape(f) + r"\s*\(", t.get("expr", ""))})
            if lacking:
                print(f"SKIP   {title} (calls {', '.join(lacking)}, which this engine lacks)")
                skipped += 1
                continue
            failures = []
            if not targets:
                failures.append(("EMPTY", "the panel has no target"))
            for t in targets:
                ref, expr = t.get("refId", "?"), t.get("expr", "")
                where = f"{title} [{ref}]"
                if "datasource" in t and t["datasource"] != DATASOURCE:
                    problems.append(f"{where}: datasource {t['datasource']!r}, expected {DATASOURCE}")
                if not expr.strip():
                    failures.append(("ERROR", f"{ref}: no expression"))
                    continue
                check_selectors(where, expr, problems)
                for metric in metric_names(expr):
                    used.add(metric)
                    used_where.setdefault(metric, title)
                exemplars = sorted(metric_names(expr) & EXEMPLAR_SERIES)
                if exemplars and t.get("exemplar") is not True:
                    problems.append(f'{where}: queries {", ".join(exemplars)} (exemplars) without "exemplar": true')
                query, unknown = substitute(expr, values)
                if unknown:
                    failures.append(("ERROR", f"{ref}: unknown variables {unknown}"))
                    continue
                data, error = prometheus_get(a.prometheus, "/api/v1/query", {"query": query})
                if error:
                    failures.append(("ERROR", f"{ref}: {error}\n           query: {query}"))
                elif not has_data(data):
                    failures.append(("EMPTY", f"{ref}: no sample (or only NaN)\n           query: {query}"))
            status = "ERROR" if any(f[0] == "ERROR" for f in failures) else \
                "EMPTY" if failures else "ok"
            print(f"{status:<6} {title}")
            for _, text in failures:
                print(f"         {text}")
            if failures:
                problems.append(f"{title}: {status}")
            else:
                verified += 1
    print(f"panels verified non-empty: {verified}/{total}" + (f", skipped: {skipped}" if skipped else ""))

    # Recording rules: defined in the rules files wherever they are used.
    rule_used = set()
    for path in a.rules:
        for expr in yaml_scalars(path, "expr"):
            for metric in metric_names(expr):
                rule_used.add(metric)
                used_where.setdefault(metric, path)
    for name in sorted(n for n in used | rule_used if ":" in n and n not in recorded):
        problems.append(f"{name} (used by {used_where[name]}): recording rule defined in no --rules file")
    with_data = 0
    for name in sorted(recorded):
        data, error = prometheus_get(a.prometheus, "/api/v1/query", {"query": name})
        if error or not has_data(data):
            print(f"{'ERROR' if error else 'EMPTY':<6} recording rule {name}")
            problems.append(f"recording rule {name}: {error or 'no sample (or only NaN)'}")
        else:
            print(f"ok     recording rule {name}")
            with_data += 1
    if recorded:
        print(f"recording rules with data: {with_data}/{len(recorded)}")

    if a.evaluate_rule_exprs:
        exprs = [(path, expr) for path in a.rules for expr in yaml_scalars(path, "expr")]
        evaluated = answering = 0
        for path, expr in exprs:
            data, error = prometheus_get(a.prometheus, "/api/v1/query", {"query": expr})
            if error:
                print(f"ERROR  rule expr of {path}: {error}\n           query: {expr}")
                problems.append(f"rule expr {expr!r}: {error}")
            else:
                evaluated += 1
                answering += has_data(data)
        print(f"rule expressions evaluated without error: {evaluated}/{len(exprs)} "
              f"(with a sample now: {answering})")

    if a.catalogue:
        catalogue = set(pathlib.Path(a.catalogue).read_text().split())
        histograms = {n[:-len("_count")] for n in catalogue if n.endswith("_count")}

        def known(n):
            base = re.sub(r"_(bucket|sum|count)$", "", n)
            return n in catalogue or n in SCRAPE_SERIES or base in histograms
        names = {n for n in used | rule_used if ":" not in n}
        unknown = sorted(n for n in names if not known(n))
        for name in unknown:
            problems.append(f"{name} (used by {used_where[name]}): not a series of the catalogue")
        print(f"metric names used by dashboards and rules: {len(names)}, not in the catalogue: {len(unknown)}; "
              f"recording rules used: {len({n for n in used | rule_used if ':' in n})}")

    for p in problems:
        print("FAIL: " + p)
    print("FAILED" if problems else "OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
