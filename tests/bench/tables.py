#!/usr/bin/env python3
"""Turns one nq-bench run (JSON, medians of repetitions) into the tables of
docs/PERFORMANCE.md, so that every figure of a table comes from the same run.

    build/release/bin/nq-bench --benchmark_min_time=0.5 --benchmark_repetitions=3 \\
        --benchmark_report_aggregates_only=true --benchmark_out=run.json \\
        --benchmark_out_format=json
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432 build/release/bin/nq-bench \\
        --benchmark_filter=BM_Memory --benchmark_out=memory.json --benchmark_out_format=json
    tests/bench/tables.py run.json memory.json

Prints Markdown: recording an event (plugin against prometheus-cpp naive and
with handles, 1 and 2 threads), scrapes and their gzip, the gzip compressors,
and heap bytes per series (the memory benchmarks run apart, with glibc's mmap
threshold pinned, see docs/PERFORMANCE.md). The context line is the first
file's. A benchmark missing from the runs leaves its cell empty."""

import json
import re
import sys
from collections import defaultdict

IMPLEMENTATIONS = ("Plugin", "PromCppNaive", "PromCppHandles")
SCRAPE_FORMATS = ("Text", "OpenMetrics", "Protobuf")


def medians(run):
    """run_name -> the median aggregate (or the single iteration) of it."""
    out = {}
    for b in run["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        out[b["run_name"]] = b
    return out


def cpu(b, unit):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    return b["cpu_time"] * scale[b["time_unit"]] / scale[unit]


def number(value, digits=3):
    if value is None:
        return ""
    return f"{value:.{digits}g}" if value < 1000 else f"{value:,.0f}"


def event_table(results):
    rows = defaultdict(dict)
    for name, b in results.items():
        m = re.fullmatch(r"BM_(\w+?)_(Plugin|PromCppNaive|PromCppHandles)(_WithContext)?"
                         r"/threads:(\d)", name)
        if not m:
            continue
        event = m.group(1) + (" with context" if m.group(3) else "")
        rows[event][(m.group(2), int(m.group(4)))] = cpu(b, "ns")
    print("| event (CPU ns per event) | plugin 1T | plugin 2T | naive 1T | naive 2T "
          "| handles 1T | handles 2T | plugin / handles 1T | 2T |")
    print("|---|---|---|---|---|---|---|---|---|")
    for event in sorted(rows, key=lambda e: (e != "QueryPair", e)):
        r = rows[event]
        cells = [number(r.get((impl, threads))) for impl in IMPLEMENTATIONS for threads in (1, 2)]
        ratios = []
        for threads in (1, 2):
            plugin, handles = r.get(("Plugin", threads)), r.get(("PromCppHandles", threads))
            ratios.append(f"{plugin / handles:.2f}" if plugin and handles else "")
        print(f"| {event} | " + " | ".join(cells + ratios) + " |")


def scrape_table(results):
    print("| series | " + " | ".join(SCRAPE_FORMATS) + " | " +
          " | ".join(f"{f} + gzip" for f in SCRAPE_FORMATS) +
          " | text + gzip / text | prometheus-cpp text |")
    print("|---" * (2 * len(SCRAPE_FORMATS) + 3) + "|")
    for series in (10000, 100000):
        def ms(name):
            b = results.get(f"BM_Scrape_{name}/{series}")
            return cpu(b, "ms") if b else None
        plain = [ms(f"Plugin_{f}") for f in SCRAPE_FORMATS]
        gzipped = [ms(f"Plugin_{f}Gzip") for f in SCRAPE_FORMATS]
        ratio = f"{gzipped[0] / plain[0]:.2f}" if plain[0] and gzipped[0] else ""
        cells = [number(v) + " ms" if v else "" for v in plain + gzipped]
        promcpp = ms("PromCpp_Text")
        print(f"| {series:,} | " + " | ".join(cells) +
              f" | {ratio} | {number(promcpp) + ' ms' if promcpp else ''} |")


def gzip_table(results):
    print("| compressor, level | 10k: CPU | gzip body | 100k: CPU | gzip body |")
    print("|---|---|---|---|---|")
    rows = defaultdict(dict)
    for name, b in results.items():
        m = re.fullmatch(r"BM_Gzip_(\w+)/(\d+)(?:/(\d))?", name)
        if m:
            label = m.group(1) + (f" {m.group(3)}" if m.group(3) else "")
            rows[label][int(m.group(2))] = (cpu(b, "ms"), b.get("gzip_bytes"))
    for label in sorted(rows):
        cells = []
        for series in (10000, 100000):
            time, size = rows[label].get(series, (None, None))
            cells += [number(time) + " ms" if time else "",
                      f"{size / 1000:,.1f} kB" if size else ""]
        print(f"| {label} | " + " | ".join(cells) + " |")


def memory_table(results):
    print("| heap bytes | plugin | prometheus-cpp |")
    print("|---|---|---|")
    for kind, counter in (("CounterSeries", "per counter series"),
                          ("HistogramSeries", "per 16-bucket histogram value")):
        cells = []
        for impl in ("Plugin", "PromCpp"):
            b = results.get(f"BM_Memory_{impl}_{kind}/iterations:1", {})
            value = b.get("bytes_per_series", b.get("bytes_per_value"))
            cells.append(f"{value:.1f} B" if value else "")
        print(f"| {counter} | " + " | ".join(cells) + " |")


def main():
    runs = []
    for path in sys.argv[1:]:
        with open(path) as f:
            runs.append(json.load(f))
    results = {}
    for run in runs:
        results.update(medians(run))
    run = runs[0]
    context = run.get("context", {})
    print(f"nq-bench run of {context.get('date', '?')}, {context.get('num_cpus', '?')} CPUs "
          f"at {context.get('mhz_per_cpu', '?')} MHz, load average "
          f"{', '.join(f'{x:.1f}' for x in context.get('load_avg', []))}; medians.\n")
    for title, table in (("Recording an event", event_table), ("Scrapes", scrape_table),
                         ("Gzip", gzip_table), ("Memory", memory_table)):
        print(f"### {title}\n")
        table(results)
        print()


if __name__ == "__main__":
    main()
