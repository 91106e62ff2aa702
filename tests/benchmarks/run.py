"""Every benchmark in one run: figures with their spread into bench-results.json, and a table.

Run with ``python -m tests.benchmarks [--quick] [--runs N] [--output PATH]`` (``make bench``).
Each figure is the median of several runs (``--runs``; the page timings are repeated per
page instead, since seeding the database is the slow part) and is printed with its spread and
its target. Absolute times depend on the machine, which is recorded with them.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.benchmarks import bench_import, bench_pages, bench_push


@dataclass(frozen=True)
class Target:
    """A figure's goal: ``value <op> limit``."""

    op: str
    limit: float

    def met(self, value: float) -> bool:
        """Whether the measured value meets the goal."""
        checks: dict[str, Callable[[float, float], bool]] = {
            "<=": lambda v, t: v <= t, "<": lambda v, t: v < t,
            ">=": lambda v, t: v >= t, "==": lambda v, t: v == t}
        return checks[self.op](value, self.limit)


TARGETS: dict[str, Target | None] = {
    "requests_per_object": Target("<=", 0.06),
    "requests_per_object_unbatched": None,
    "rate_limit_share": Target(">=", 0.85),
    "throttled_429": Target("==", 0),
    "rate_limit_share_slow_qbo": None,
    "rate_limit_share_slow_qbo_one_at_a_time": None,
    "import_requests_10k": Target("<=", 11),
    "import_records_per_s": None,
    "local_ms_per_object": Target("<", 2),
    "page_p95_ms": Target("<=", 100),
    "page_sql_max": None,
    "page_sql_extra_when_rows_double": Target("==", 0),
    "add_all_ms": Target("<=", 300),
    "emulator_creates_per_s": None,
    "emulator_batch30_ms": None,
}

FULL = {"invoices": 1000, "rate_invoices": bench_push.RATE_INVOICES, "customers": 10_000,
        "pages": bench_pages.FULL, "page_repeats": 7, "creates": 2000, "batches": 30}
QUICK = {"invoices": 60, "rate_invoices": 60, "customers": 600, "pages": bench_pages.QUICK,
         "page_repeats": 3, "creates": 200, "batches": 5}


def _figure(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def _push(sizes: dict[str, Any], runs: int) -> dict[str, dict[str, Any]]:
    rows = [bench_push.measure(sizes["invoices"], sizes["rate_invoices"]) for _ in range(runs)]
    batched = [r["batched"] for r in rows]
    unbatched = [r["unbatched"] for r in rows]
    rate = [r["rate"] for r in rows]
    return {
        "requests_per_object": _figure([r["requests"] / max(1, r["created"]) for r in batched]),
        "requests_per_object_unbatched": _figure(
            [r["requests"] / max(1, r["created"]) for r in unbatched]),
        "local_ms_per_object": _figure([r["local_ms_per_object"] for r in batched]),
        "rate_limit_share": _figure([r["rate_limit_share"] for r in rate]),
        # Every 429 counts: the worst run is reported, not the median.
        "throttled_429": {**_figure([r["throttled"] for r in rate]),
                          "median": max(r["throttled"] for r in rate)},
        # QBO answering slowly (bench_push.LATENCY): the default concurrency, then one at a time.
        "rate_limit_share_slow_qbo": _figure(
            [r["rate_latency"]["rate_limit_share"] for r in rows]),
        "rate_limit_share_slow_qbo_one_at_a_time": _figure(
            [r["rate_latency_sequential"]["rate_limit_share"] for r in rows]),
        "_push": {"batched": batched, "unbatched": unbatched, "rate": rate,
                  "rate_latency": [r["rate_latency"] for r in rows],
                  "rate_latency_sequential": [r["rate_latency_sequential"] for r in rows]},
    }


def _import(sizes: dict[str, Any], runs: int) -> dict[str, dict[str, Any]]:
    rows = [bench_import.measure(sizes["customers"]) for _ in range(runs)]
    # The requests a quick run makes are for its smaller size (the table says so).
    return {"import_requests_10k": _figure([r["requests"] for r in rows]),
            "import_records_per_s": _figure([r["records_per_s"] for r in rows]),
            "_import": {"runs": rows}}


def _pages(sizes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = bench_pages.measure(sizes["pages"], sizes["page_repeats"])
    pages = result["pages"]
    worst = max(pages, key=lambda name: bench_pages.p95(pages[name]["ms"]))
    worst_ms = pages[worst]["ms"]
    page_p95 = {**_figure(worst_ms), "median": bench_pages.p95(worst_ms), "page": worst}
    statements = [p["statements"] for p in pages.values()]
    extra = [p["statements_when_rows_double"] - p["statements"] for p in pages.values()]
    return {"page_p95_ms": page_p95,
            "page_sql_max": _figure(statements) | {"median": max(statements)},
            "page_sql_extra_when_rows_double": _figure(extra) | {"median": max(extra)},
            "add_all_ms": _figure(result["add_all_ms"]) | {"records": result["records"]},
            "_pages": result}


def _emulator(sizes: dict[str, Any], runs: int) -> dict[str, dict[str, Any]]:
    from qbo_emulator import bench as emulator_bench

    rows = [emulator_bench.measure(sizes["creates"], 4, sizes["batches"]) for _ in range(runs)]
    return {"emulator_creates_per_s": _figure([r["creates_per_s"] for r in rows]),
            "emulator_batch30_ms": _figure(
                [statistics.median(r["batch30_ms"]) for r in rows]),
            "_emulator": {"runs": rows}}


def machine() -> dict[str, Any]:
    """What the absolute times were measured on."""
    url = os.environ.get("TEST_DATABASE_URL")
    return {"platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "load_average": list(os.getloadavg()),
            "database": "postgresql" if url else "sqlite"}


def collect(quick: bool, runs: int) -> dict[str, Any]:
    """Run every part and gather the figures, their spread, targets and details."""
    sizes = QUICK if quick else FULL
    parts: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for name, part in (("emulator", lambda: _emulator(sizes, runs)),
                       ("import", lambda: _import(sizes, runs)),
                       ("push", lambda: _push(sizes, runs)),
                       ("pages", lambda: _pages(sizes))):
        # Each part starts without the garbage of the ones before: a full collection of the
        # push part's objects would otherwise land inside one timed page request.
        gc.collect()
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        parts.update(part())
        timings[name] = round(time.perf_counter() - started, 1)
    figures = {k: v["median"] for k, v in parts.items() if not k.startswith("_")}
    return {
        "quick": quick, "runs": runs, "machine": machine(), "part_seconds": timings,
        "figures": figures,
        "spread": {k: {"min": v["min"], "max": v["max"], "runs": v["runs"]}
                   for k, v in parts.items() if not k.startswith("_")},
        "targets": {k: (f"{t.op} {t.limit:g}" if t else None) for k, t in TARGETS.items()},
        "met": {k: t.met(figures[k]) for k, t in TARGETS.items() if t is not None},
        "details": {k.lstrip("_"): v for k, v in parts.items() if k.startswith("_")}
                   | {"worst_page": parts["page_p95_ms"]["page"],
                      "add_all_records": parts["add_all_ms"]["records"]},
    }


def table(results: dict[str, Any]) -> str:
    """The figures as a plain-text table with target and pass/miss."""
    lines = [f"{'figure':34} {'median':>10} {'spread':>21}  {'target':>8}  result",
             "-" * 84]
    for key, target in TARGETS.items():
        value = results["figures"][key]
        spread = results["spread"][key]
        verdict = "" if target is None else ("pass" if target.met(value) else "MISS")
        goal = "" if target is None else f"{target.op} {target.limit:g}"
        lines.append(f"{key:34} {value:10.4g} {spread['min']:9.4g} - {spread['max']:9.4g}  "
                     f"{goal:>8}  {verdict}")
    m = results["machine"]
    lines.append(f"machine: {m['processor']}, {m['cpus']} CPUs, load {m['load_average'][0]:.1f}, "
                 f"{m['platform']}, Python {m['python']}, database {m['database']}")
    details = results["details"]
    if results["quick"]:
        lines.append("quick run: small sizes, so the targets (set for the full sizes) do not "
                     "apply; import_requests_10k is for the quick customer count")
    rate = details["push"]["rate"]
    lines.append(f"rate limit: {rate[0]['created']:.0f} objects per run, share measured over "
                 f"{min(r['steady_minutes'] for r in rate):.1f}+ minutes after the first "
                 f"(whole run {statistics.median(r['whole_run_per_minute'] for r in rate):.0f}"
                 f" objects/min of the {bench_push.CEILING_PER_MINUTE} ceiling)")
    lines.append(f"slowest page: {details['worst_page']}; QBO Add All over "
                 f"{details['add_all_records']} records")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run everything, write the JSON, print the table."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (3; quick 1)")
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    runs = args.runs or (1 if args.quick else 3)
    results = collect(args.quick, runs)
    args.output.write_text(json.dumps(results, indent=2, default=str))
    print(table(results))
    print(f"written to {args.output}")
    return 0
