#!/usr/bin/env python3
"""Writes Prometheus console pages from the Grafana dashboards of the stack.

Usage: generate_consoles.py --dashboards DIR --out DIR [--job NAME]

The dashboards (DIR/*.json) are the single source of truth: for each one this
writes OUT/consoles/UID.html with every panel of the dashboard (row panels
opened) as a PromConsole.Graph of all its targets (title, PromQL, legend,
unit, min/max), the panels that show one number (stat, gauge) also as their
current value in the table on the right, coloured by the panel's thresholds,
which are listed under the graph. OUT/consoles/index.html links the pages;
OUT/console_libraries/ gets nq.lib (the page frame, next to this script) and
nq_pages.lib (the menu). Prometheus serves them with
  --web.console.templates=OUT/consoles --web.console.libraries=OUT/console_libraries
at /consoles/index.html.

The Grafana variables are replaced by fixed values (CONSOLE_VARIABLES): the job
given (default neuroquantum), every instance and database (".*", what "All"
sends), $__rate_interval 1m (what Grafana computes for the datasource's 15 s
timeInterval), $__range 5m, $__interval 15s. A variable with no value, or a
unit with no entry in UNITS, is an error: the pages never show a query
Prometheus cannot run or a number without its unit.

Standard library only.
"""
import argparse
import html
import json
import pathlib
import re
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
FRAME_LIBRARY = HERE / "nq.lib"

# The value of each Grafana variable in a console page.
CONSOLE_VARIABLES = {"job": "neuroquantum", "instance": ".*", "database": ".*",
                     "__rate_interval": "1m", "__range": "5m", "__range_s": "300",
                     "__range_ms": "300000", "__interval": "15s", "__interval_ms": "15000"}
# $var, ${var}, ${var:format} and [[var]].
VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]")
# Grafana's {{label}} in a legend.
LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")

# Grafana unit -> how a console shows it: the PromConsole.Graph axis and hover
# formatter (JavaScript), the text after a graph's value, the Go template
# function of Prometheus that formats a current value, the text after it.
UNITS = {
    "none": ("PromConsole.NumberFormatter.humanizeNoSmallPrefix", "", "humanize", ""),
    "short": ("PromConsole.NumberFormatter.humanizeNoSmallPrefix", "", "humanize", ""),
    "percentunit": ("NQ.percent", "", "humanizePercentage", ""),
    "s": ("PromConsole.NumberFormatter.humanize", "s", "humanizeDuration", ""),
    "bytes": ("PromConsole.NumberFormatter.humanize1024", "B", "humanize1024", "B"),
    "Bps": ("PromConsole.NumberFormatter.humanize1024", "B/s", "humanize1024", "B/s"),
    "reqps": ("PromConsole.NumberFormatter.humanizeNoSmallPrefix", " req/s", "humanize", " req/s"),
    "ops": ("PromConsole.NumberFormatter.humanizeNoSmallPrefix", " ops/s", "humanize", " ops/s"),
    "mps": ("PromConsole.NumberFormatter.humanizeNoSmallPrefix", " msg/s", "humanize", " msg/s"),
    "rowsps": ("PromConsole.NumberFormatter.humanizeNoSmallPrefix", " rows/s", "humanize", " rows/s"),
}
# Panels that show one current number: also in the table on the right.
SINGLE_VALUE_PANELS = {"stat", "gauge"}
# Grafana's named colours (its classic palette); others (#hex) are CSS already.
COLORS = {"green": "#56a64b", "orange": "#ff9830", "red": "#e02f44", "yellow": "#fade2a",
          "blue": "#3274d9", "purple": "#a352cc", "dark-red": "#ad0317", "dark-green": "#19730e"}


class DashboardError(Exception):
    pass


def substitute(expr, values):
    """The expression with the Grafana variables replaced, and the names that have no value."""
    unknown = []

    def value(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in values:
            return values[name]
        unknown.append(name)
        return m.group(0)
    return VARIABLE.sub(value, expr), unknown


def flat_panels(dashboard):
    """The panels of a dashboard, those of rows included, rows left out."""
    out = []
    for p in dashboard.get("panels", []):
        if p.get("type") == "row":
            out.extend(q for q in p.get("panels", []) if q.get("type") != "row")
        else:
            out.append(p)
    return out


def template_safe(text, where):
    """Text that goes verbatim into a Go template (a raw string or a script)."""
    if "{{" in text or "}}" in text or "`" in text:
        raise DashboardError(f"{where}: {{{{, }}}} or ` cannot go into a console template: {text}")
    return text


def js(value):
    """A JavaScript literal of a JSON value, safe inside <script>."""
    return json.dumps(value).replace("</", "<\\/")


def unit_of(panel, where):
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "none")
    if unit not in UNITS:
        raise DashboardError(f"{where}: unit {unit!r} has no entry in UNITS of {pathlib.Path(__file__).name}")
    return unit


def threshold_steps(panel):
    """[(colour, lower bound or None)] of an absolute thresholds setting, or []."""
    thresholds = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds") or {}
    if thresholds.get("mode", "absolute") != "absolute":
        return []
    return [(COLORS.get(s["color"], s["color"]), s.get("value")) for s in thresholds.get("steps", [])]


def formatted(go_function, suffix, number):
    """A Go template that shows a constant as the unit formats it."""
    return f"{{{{ {float(number)!r} | {go_function} }}}}{suffix}"


def thresholds_caption(steps, unit):
    if len(steps) < 2:
        return ""
    _, _, go_function, suffix = UNITS[unit]
    parts = []
    for color, bound in steps:
        swatch = f'<span class="nq_threshold_swatch" style="background: {html.escape(color)}"></span>'
        parts.append(f"{swatch}below {formatted(go_function, suffix, steps[1][1])}" if bound is None
                     else f"{swatch}from {formatted(go_function, suffix, bound)}")
    return f'<div class="nq_thresholds">Thresholds: {", ".join(parts)}</div>'


def threshold_color(steps):
    """A Go template choosing the colour of $v from the steps."""
    bounded = [(c, b) for c, b in steps if b is not None]
    base = next((c for c, b in steps if b is None), "inherit")
    if not bounded:
        return base
    out = ""
    for i, (color, bound) in enumerate(sorted(bounded, key=lambda s: -s[1])):
        out += f"{{{{ {'if' if i == 0 else 'else if'} ge $v {float(bound)!r} }}}}{color}"
    return out + f"{{{{ else }}}}{base}{{{{ end }}}}"


def targets_of(panel, values, where):
    """[(PromQL, legend)] of the panel's visible targets, variables substituted."""
    out = []
    for t in panel.get("targets", []):
        if t.get("hide"):
            continue
        expr, unknown = substitute(t.get("expr", ""), values)
        if unknown:
            raise DashboardError(f"{where} [{t.get('refId', '?')}]: variables {unknown} have no console value")
        if not expr.strip():
            raise DashboardError(f"{where} [{t.get('refId', '?')}]: no expression")
        out.append((template_safe(" ".join(expr.split()), where), t.get("legendFormat", "")))
    if not out:
        raise DashboardError(f"{where}: no target")
    return out


def current_value_rows(panel, targets, unit, steps):
    """Rows of the right-hand table: the current value of each series of the panel."""
    _, _, go_function, suffix = UNITS[unit]
    title = html.escape(panel.get("title", ""))
    rows = [f'<tr><th colspan="2">{title}</th></tr>']
    for expr, legend in targets:
        label = LEGEND_LABEL.sub(lambda m: "{{ .Labels." + m.group(1) + " }}", html.escape(legend)) or "value"
        no_data_label = LEGEND_LABEL.sub(r"\1", html.escape(legend)) or "value"
        rows.append(
            f"{{{{ range query `{expr}` }}}}{{{{ $v := .Value }}}}"
            f'<tr><td>{label}</td><td class="nq_value" style="color: {threshold_color(steps)}">'
            f"{{{{ $v | {go_function} }}}}{suffix}</td></tr>"
            f'{{{{ else }}}}<tr><td>{no_data_label}</td><td class="nq_value">-</td></tr>{{{{ end }}}}')
    return rows


def graph(panel, index, targets, unit, steps):
    formatter, graph_suffix, _, _ = UNITS[unit]
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    names = [LEGEND_LABEL.sub(r"[[\1]]", legend) for _, legend in targets]
    name_list = ", ".join(js(n) if n else "NQ.labelsName" for n in names)
    options = [f'node: document.querySelector("#nq_graph_{index}")',
               f"expr: {js([expr for expr, _ in targets])}",
               f"name: [{name_list}]",
               f"yAxisFormatter: {formatter}",
               f"yHoverFormatter: {formatter}",
               f"yUnits: {js(graph_suffix)}",
               f"yTitle: {js(panel.get('title', ''))}"]
    for key in ("min", "max"):
        if isinstance(defaults.get(key), (int, float)):
            options.append(f"{key}: {defaults[key]!r}")
    options = ",\n    ".join(options)
    return f"""
  <h3 id="nq_panel_{index}">{html.escape(panel.get('title', ''))}</h3>
  {thresholds_caption(steps, unit)}
  <div class="nq_graph" data-panel-type="{html.escape(panel.get('type', ''))}" id="nq_graph_{index}"></div>
  <script>
  new PromConsole.Graph({{
    {options}
  }});
  </script>"""


def page(dashboard, values):
    uid, title = dashboard["uid"], dashboard.get("title", dashboard["uid"])
    right, graphs = [], []
    for index, panel in enumerate(flat_panels(dashboard), start=1):
        where = f"{uid} / {panel.get('title', '(untitled)')}"
        unit = unit_of(panel, where)
        steps = threshold_steps(panel)
        targets = targets_of(panel, values, where)
        if panel.get("type") in SINGLE_VALUE_PANELS:
            right.extend(current_value_rows(panel, targets, unit, steps))
        graphs.append(graph(panel, index, targets, unit, steps))
    right_table = "\n".join(['{{ template "nq_right_table_head" }}', *right, '{{ template "nq_right_table_tail" }}']
                            if right else [])
    return f"""{{{{/* {uid}: generated by generate_consoles.py from the Grafana dashboard {uid}.json; do not edit. */}}}}
{{{{ template "nq_head" {js(title)} }}}}
{{{{ template "nq_navbar" . }}}}
{right_table}
{{{{ template "nq_content_head" . }}}}
 <div class="prom_content_div">
  <h1>{html.escape(title)}</h1>
  <p>job="{html.escape(values['job'])}", every instance; rate window {values['__rate_interval']}.
  The Grafana dashboard <code>{html.escape(uid)}</code>, panel by panel.</p>
{"".join(graphs)}
 </div>
{{{{ template "nq_content_tail" . }}}}
{{{{ template "nq_tail" }}}}
"""


def index_page(dashboards):
    items = "\n".join(
        f'  <li><a href="{html.escape(d["uid"])}.html">{html.escape(d.get("title", d["uid"]))}</a>'
        f" ({len(flat_panels(d))} panels)</li>" for d in dashboards)
    return f"""{{{{/* The index of the console pages, generated by generate_consoles.py; do not edit. */}}}}
{{{{ template "nq_head" "NeuroQuantumDB consoles" }}}}
{{{{ template "nq_navbar" . }}}}
<div class="prom_console_content"><div class="container-fluid">
 <h1>NeuroQuantumDB consoles</h1>
 <p>The Grafana dashboards of the monitoring stack as Prometheus console pages (no Grafana needed).</p>
 <ul>
{items}
 </ul>
</div></div>
{{{{ template "nq_tail" }}}}
"""


def menu_library(dashboards):
    items = "\n".join(
        f'    <li class="nav-item"><a class="nav-link" href="{{{{ pathPrefix }}}}/consoles/{html.escape(d["uid"])}.html">'
        f'{html.escape(d.get("title", d["uid"]).split(" / ")[-1])}</a></li>' for d in dashboards)
    return f"""{{{{/* The menu of the console pages, generated by generate_consoles.py; do not edit. */}}}}
{{{{ define "nq_pages_menu" }}}}
{items}
{{{{ end }}}}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dashboards", required=True, help="directory of the Grafana dashboard JSON files")
    parser.add_argument("--out", required=True, help="writes OUT/consoles and OUT/console_libraries")
    parser.add_argument("--job", default=CONSOLE_VARIABLES["job"], help="value of $job")
    a = parser.parse_args()
    values = dict(CONSOLE_VARIABLES, job=a.job)

    dashboards = [json.loads(p.read_text()) for p in sorted(pathlib.Path(a.dashboards).glob("*.json"))]
    if not dashboards:
        sys.exit(f"generate_consoles.py: no dashboard in {a.dashboards}")
    consoles, libraries = pathlib.Path(a.out) / "consoles", pathlib.Path(a.out) / "console_libraries"
    for directory in (consoles, libraries):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    try:
        for d in dashboards:
            (consoles / f"{d['uid']}.html").write_text(page(d, values))
    except DashboardError as e:
        sys.exit(f"generate_consoles.py: {e}")
    (consoles / "index.html").write_text(index_page(dashboards))
    (libraries / "nq_pages.lib").write_text(menu_library(dashboards))
    shutil.copy(FRAME_LIBRARY, libraries / FRAME_LIBRARY.name)


if __name__ == "__main__":
    main()
