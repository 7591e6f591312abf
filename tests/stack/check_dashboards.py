#!/usr/bin/env python3
"""Checks the Grafana dashboards against a real Prometheus.

Usage: check_dashboards.py --prometheus URL --dashboards DIR
                           [--catalogue SERIES_NAMES_FILE] [--rules FILE...]

For each dashboard: the uid and panel count the stack promises, refresh 10s,
the datasource/job/instance variables, a unit on every panel. Then every
target of every panel, with the Grafana variables substituted, is run as an
instant query; a PromQL error or an empty result fails. With --catalogue,
every metric name used by the dashboards and by the rules' expressions must be
a series of the catalogue (or a recording rule defined in the rules).
"""
import argparse
import json
import pathlib
import re
import sys
import urllib.parse
import urllib.request

PANELS = {"neuroquantum-overview": 11, "neuroquantum-queries": 10, "neuroquantum-websocket": 12}
VARIABLES = {"datasource", "job", "instance"}
# Grafana variables, as the test substitutes them: the test's job, every
# instance, and windows that fit a Prometheus that scraped for a short while.
SUBSTITUTIONS = {"job": "neuroquantum", "instance": ".*", "__rate_interval": "15s",
                 "__range": "1m", "__interval": "1s"}
METRIC = re.compile(r"\b(neuroquantum_[a-z0-9_]+)\b(?!:)")
RECORDED = re.compile(r"\b(neuroquantum:[a-z0-9_:]+)")


def substitute(expr):
    for name, value in SUBSTITUTIONS.items():
        expr = expr.replace("${%s}" % name, value).replace("$" + name, value)
    return expr


def query(prometheus, expr):
    url = prometheus.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            body = json.load(reply)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    if body.get("status") != "success":
        return None, body.get("error", "unknown error")
    return body["data"]["result"], None


def rule_expressions(path):
    """The expr: values of a rules file (plain, or | / > blocks)."""
    exprs, lines = [], pathlib.Path(path).read_text().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if not m:
            continue
        if m.group(2) not in ("|", ">", "|-", ">-"):
            exprs.append(m.group(2))
            continue
        indent, block = len(m.group(1)), []
        for follow in lines[i + 1:]:
            if follow.strip() and len(follow) - len(follow.lstrip()) <= indent:
                break
            block.append(follow.strip())
        exprs.append(" ".join(block))
    return exprs


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--prometheus", required=True)
    args.add_argument("--dashboards", required=True)
    args.add_argument("--catalogue")
    args.add_argument("--rules", nargs="*", default=[])
    a = args.parse_args()

    problems, verified, total, used = [], 0, 0, set()
    for uid, count in PANELS.items():
        path = pathlib.Path(a.dashboards) / (uid + ".json")
        d = json.loads(path.read_text())
        if d.get("uid") != uid:
            problems.append(f"{path}: uid {d.get('uid')!r}, expected {uid!r}")
        if d.get("refresh") != "10s":
            problems.append(f"{uid}: refresh {d.get('refresh')!r}, expected '10s'")
        names = {v["name"] for v in d.get("templating", {}).get("list", [])}
        if not VARIABLES <= names:
            problems.append(f"{uid}: variables {sorted(VARIABLES - names)} missing")
        panels = [p for p in d["panels"] if p.get("type") != "row"]
        if len(panels) != count:
            problems.append(f"{uid}: {len(panels)} panels, expected {count}")
        for p in panels:
            total += 1
            title = f"{uid} / {p['title']}"
            if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
                problems.append(f"{title}: no unit")
            empty = []
            for t in p.get("targets", []):
                used.update(METRIC.findall(t["expr"]))
                result, error = query(a.prometheus, substitute(t["expr"]))
                if error:
                    empty.append(f"ERROR {t['refId']}: {error}")
                elif not result:
                    empty.append(f"EMPTY {t['refId']}: {substitute(t['expr'])}")
            if not p.get("targets"):
                empty.append("no targets")
            print(("ok     " if not empty else "FAIL   ") + title)
            for e in empty:
                print("         " + e)
            if empty:
                problems.append(f"{title}: " + "; ".join(empty))
            else:
                verified += 1
    print(f"panels verified non-empty: {verified}/{total}")

    if a.catalogue:
        catalogue = set(pathlib.Path(a.catalogue).read_text().split())
        # A histogram is listed by its _count series; its base name stands for
        # NAME_bucket, NAME_sum and NAME_count.
        catalogue |= {n[: -len("_count")] for n in catalogue if n.endswith("_count")}
        recorded, rule_used = set(), set()
        for path in a.rules:
            recorded.update(re.findall(r"^\s*- record:\s*(\S+)", pathlib.Path(path).read_text(), re.M))
        for path in a.rules:
            for expr in rule_expressions(path):
                rule_used.update(METRIC.findall(expr))
                for name in RECORDED.findall(expr):
                    if name not in recorded:
                        problems.append(f"{path}: uses recording rule {name}, defined nowhere")
        # A histogram's series: NAME_bucket, NAME_sum, NAME_count.
        unknown = sorted(n for n in (used | rule_used)
                         if n not in catalogue and re.sub(r"_(bucket|sum|count)$", "", n) not in catalogue)
        for name in unknown:
            problems.append(f"{name}: used by a dashboard or rule, not in the catalogue")
        print(f"metric names used by dashboards and rules: {len(used | rule_used)}, "
              f"not in the catalogue: {len(unknown)}")

    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
