#!/usr/bin/env python3
"""Opens the console pages of a running Prometheus in headless Chromium and checks them.

Usage: check_consoles.py --prometheus URL --dashboards DIR --screenshots DIR
                         [--duration SECONDS] [--deadline SECONDS] [--scale FACTOR]
                         [--wait-for-data SECONDS]

For each Grafana dashboard of DIR, the console page generated from it
(/consoles/UID.html, see monitoring-stack/consoles/generate_consoles.py) is
loaded in Debian's chromium (--headless), driven over the DevTools protocol on
a pipe (--remote-debugging-pipe: no websocket, standard library only). A page
passes when, once every graph has finished loading (within --deadline s):
  * nothing was reported to the console as an error: no uncaught JavaScript
    exception, no console.error, no failed resource (a 404 of a script or a
    stylesheet, a failed query) in the browser's log;
  * it has one graph per panel of the dashboard, and every graph has rendered
    data: an SVG line (Rickshaw's path.path) with at least two points, and no
    "No timeseries returned" or "Error loading data" in it;
  * every current value of the right-hand table is a number, not "-".
A page that lacks data only (a slow counter that has not moved yet) is loaded
again every 5 s for up to --wait-for-data seconds (default 0); an error fails
it at once.
A screenshot of the whole page goes to --screenshots/UID.png. The graphs show
the last --duration seconds (default 120; the page's time control, set
through its #pctc URL hash as PromConsole reads it); --scale 0.6 makes
smaller pictures (device pixels per CSS pixel).

Exit status 0 only if every page passes.
"""
import argparse
import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "monitoring-stack" / "consoles"))
from generate_consoles import flat_panels  # noqa: E402  (the generator's reading of the panels)

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-extensions", "--no-first-run", "--hide-scrollbars", "--remote-debugging-pipe"]
WINDOW_WIDTH, WINDOW_HEIGHT = 1280, 900

# Runs in the page once the graphs are loaded: what the checks need, as JSON.
INSPECT_PAGE = r"""(() => {
  const graphs = [...document.querySelectorAll("div.nq_graph")].map(node => {
    let heading = node.previousElementSibling;
    while (heading && heading.tagName != "H3") heading = heading.previousElementSibling;
    const lines = [...node.querySelectorAll("svg path.path")].map(p => p.getAttribute("d") || "");
    const points = lines.map(d => (d.match(/[ML]/g) || []).length);
    const errors = [...node.querySelectorAll(".prom_graph_error")].map(e => e.textContent);
    return {title: heading ? heading.textContent : node.id, points: points, errors: errors};
  });
  const values = [...document.querySelectorAll("td.nq_value")].map(td => ({
    label: td.previousElementSibling ? td.previousElementSibling.textContent : "",
    text: td.textContent.trim()}));
  return JSON.stringify({graphs: graphs, values: values});
})()"""
LOADING_DONE = ('document.readyState == "complete" && document.querySelectorAll("div.nq_graph").length > 0 && '
                '[...document.querySelectorAll("div.nq_graph")].every(g => g.querySelector("svg, .prom_graph_error")'
                ' && !g.querySelector("img.prom_graph_loading"))')


class DevTools:
    """The DevTools protocol over Chromium's pipe: JSON messages ended by NUL, fd 3 in, fd 4 out."""

    def __init__(self, chromium, profile, log):
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def use_pipes_as_3_and_4():
            high_in, high_out = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)
        self.process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=use_pipes_as_3_and_4,
            pass_fds=(3, 4))
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer, self.next_id, self.events = b"", 0, []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=None, timeout=30, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError, EOFError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)


def console_errors(events, session):
    """The errors the page reported: exceptions, console.error, the browser log's errors."""
    out = []
    for e in events:
        if e.get("sessionId") != session:
            continue
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            out.append(f"uncaught exception: {text} ({details.get('url', '')}:{details.get('lineNumber', '?')})")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append("console.error: " + " ".join(str(a.get("value", a.get("description", "")))
                                                    for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            out.append(f"log: {entry.get('text', '')} {entry.get('url', '')}".strip())
    return out


def evaluate(devtools, session, expression):
    result = devtools.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
    if "exceptionDetails" in result:
        raise RuntimeError(f"evaluating in the page: {result['exceptionDetails']}")
    return result["result"].get("value")


def check_page(devtools, url, expected_graphs, screenshot, deadline_seconds, scale):
    """(errors, missing data) of one page (both empty: it passes); writes its screenshot."""
    target = devtools.call("Target.createTarget", url="about:blank")["targetId"]
    session = devtools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
        devtools.call(domain, session)
    devtools.call("Emulation.setDeviceMetricsOverride", session, width=WINDOW_WIDTH, height=WINDOW_HEIGHT,
                  deviceScaleFactor=scale, mobile=False)
    devtools.call("Page.navigate", session, url=url)
    problems, missing = [], []
    deadline = time.monotonic() + deadline_seconds
    while not evaluate(devtools, session, LOADING_DONE):
        if console_errors(devtools.events, session):
            break  # a graph that threw never finishes loading
        if time.monotonic() > deadline:
            problems.append(f"the graphs did not finish loading within {deadline_seconds} s")
            break
        time.sleep(0.25)
    page = json.loads(evaluate(devtools, session, INSPECT_PAGE))
    if len(page["graphs"]) != expected_graphs:
        problems.append(f"{len(page['graphs'])} graphs, the dashboard has {expected_graphs} panels")
    for g in page["graphs"]:
        if g["errors"]:
            missing.append(f"graph {g['title']!r}: {'; '.join(g['errors'])}")
        elif not g["points"] or max(g["points"]) < 2:
            missing.append(f"graph {g['title']!r}: no line with data points (points per line: {g['points']})")
    for v in page["values"]:
        if v["text"] in ("", "-"):
            missing.append(f"current value {v['label']!r}: no data ({v['text']!r})")

    # The whole page: the viewport as tall as the content.
    height = int(devtools.call("Page.getLayoutMetrics", session)["cssContentSize"]["height"])
    devtools.call("Emulation.setDeviceMetricsOverride", session, width=WINDOW_WIDTH, height=height,
                  deviceScaleFactor=scale, mobile=False)
    time.sleep(0.5)  # the graphs redraw on resize
    png = devtools.call("Page.captureScreenshot", session, format="png")["data"]
    screenshot.write_bytes(base64.b64decode(png))

    problems = console_errors(devtools.events, session) + problems
    devtools.call("Target.closeTarget", targetId=target)
    graphs_with_data = sum(1 for g in page["graphs"] if not g["errors"] and g["points"] and max(g["points"]) >= 2)
    status = "FAIL" if problems else "NODATA" if missing else "ok"
    print(f"{status:<6} {url}: {graphs_with_data}/{expected_graphs} graphs with data, "
          f"{len(page['values'])} current values, screenshot {screenshot}")
    return problems, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    parser.add_argument("--dashboards", required=True, help="directory of the Grafana dashboard JSON files")
    parser.add_argument("--screenshots", required=True, help="directory for UID.png")
    parser.add_argument("--duration", type=int, default=120, help="seconds the graphs show")
    parser.add_argument("--deadline", type=int, default=60, help="seconds a page may take to load its graphs")
    parser.add_argument("--scale", type=float, default=1.0, help="device pixels per CSS pixel of the screenshots")
    parser.add_argument("--wait-for-data", type=int, default=0, metavar="SECONDS",
                        help="load a page again every 5 s, up to this long, while data is all it lacks")
    a = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("check_consoles.py: chromium is not installed (Debian package chromium)")
    screenshots = pathlib.Path(a.screenshots)
    screenshots.mkdir(parents=True, exist_ok=True)
    time_control = "#pctc" + urllib.parse.quote(json.dumps({"duration": a.duration, "endTime": 0}))

    failed = []
    with tempfile.TemporaryDirectory() as profile, open(screenshots / "chromium.log", "w") as log:
        devtools = DevTools(chromium, profile, log)
        try:
            for path in sorted(pathlib.Path(a.dashboards).glob("*.json")):
                dashboard = json.loads(path.read_text())
                url = f"{a.prometheus.rstrip('/')}/consoles/{dashboard['uid']}.html{time_control}"
                data_deadline = time.monotonic() + a.wait_for_data
                while True:
                    errors, missing = check_page(devtools, url, len(flat_panels(dashboard)),
                                                 screenshots / f"{dashboard['uid']}.png", a.deadline, a.scale)
                    devtools.events.clear()
                    if errors or not missing or time.monotonic() + 5 > data_deadline:
                        break
                    print(f"       waiting for data: {'; '.join(missing)}")
                    time.sleep(5)
                for problem in errors + missing:
                    print(f"       {problem}")
                if errors or missing:
                    failed.append(dashboard["uid"])
        finally:
            devtools.close()
    print("FAILED: " + ", ".join(sorted(set(failed))) if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
