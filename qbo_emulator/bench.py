"""Benchmark: single creates per second and 30-item batch latency, throttling off.

Run with ``python -m qbo_emulator.bench``; the emulator runs in its own process as in a demo.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import requests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "qbo_emulator",
        "--port",
        str(port),
        "--seed",
        "sample",
        "--no-throttle",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/_emulator/", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("emulator did not start")


def _session(base: str) -> tuple[requests.Session, str]:
    realm = requests.get(f"{base}/_emulator/companies", timeout=5).json()[0]["realm_id"]
    tokens = requests.post(f"{base}/_emulator/companies/{realm}/tokens", timeout=5).json()
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    )
    return session, f"{base}/v3/company/{realm}"


def single_creates(base: str, total: int, workers: int, label: str) -> float:
    """Creates per second of Customer records over `workers` keep-alive connections."""
    per_worker = total // workers

    def work(worker: int) -> None:
        session, api = _session(base)
        for n in range(per_worker):
            response = session.post(
                f"{api}/customer",
                params={"minorversion": "75"},
                json={"DisplayName": f"Bench {label} {worker}-{n}"},
                timeout=10,
            )
            response.raise_for_status()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_worker * workers / (time.perf_counter() - start)


def batch_latency(base: str, rounds: int) -> list[float]:
    """Milliseconds per 30-item create batch."""
    session, api = _session(base)
    timings = []
    for r in range(rounds):
        body: dict[str, Any] = {
            "BatchItemRequest": [
                {"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"B{r}-{n}"}}
                for n in range(30)
            ]
        }
        start = time.perf_counter()
        response = session.post(
            f"{api}/batch", json=body, params={"minorversion": "75"}, timeout=10
        )
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        items = response.json()["BatchItemResponse"]
        if any("Fault" in item for item in items):
            raise RuntimeError(f"batch item failed: {items}")
    return timings


def paged_query_ms(rows_total: int = 10_000) -> float:
    """Slowest 1,000-row page of a query over ``rows_total`` customers, in milliseconds."""
    from .query import execute, parse

    rows = [{"Id": str(i), "DisplayName": f"Customer {i:05d}", "Active": i % 10 != 0,
             "MetaData": {"LastUpdatedTime": f"2024-{1 + i % 12:02d}-01T10:00:00-08:00"}}
            for i in range(1, rows_total + 1)]
    queries = [f"select * from Customer startposition {start} maxresults 1000"  # noqa: S608
               for start in range(1, rows_total, 1000)]
    queries.append("select * from Customer where DisplayName like '%9%' and Active in "
                   "(true,false) startposition 1001 maxresults 1000")
    slowest = 0.0
    for text in queries:
        started = time.perf_counter()
        execute(parse(text, ["Customer"]), rows, name_list=True)
        slowest = max(slowest, time.perf_counter() - started)
    return slowest * 1000


def measure(creates: int = 2000, workers: int = 4, batches: int = 30) -> dict[str, Any]:
    """Creates per second (parallel and sequential) and 30-item batch timings in ms."""
    port = _free_port()
    process = _start(port)
    base = f"http://127.0.0.1:{port}"
    try:
        rate = single_creates(base, creates, workers, "parallel")
        sequential = single_creates(base, max(1, creates // 4), 1, "sequential")
        timings = batch_latency(base, batches)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {"creates_per_s": rate, "sequential_creates_per_s": sequential,
            "batch30_ms": timings, "query_page_ms": paged_query_ms()}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(prog="python -m qbo_emulator.bench")
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batches", type=int, default=30)
    args = parser.parse_args(argv)
    r = measure(args.creates, args.workers, args.batches)
    timings = r["batch30_ms"]
    print(
        f"single creates: {r['creates_per_s']:.0f}/s with {args.workers} connections, "
        f"{r['sequential_creates_per_s']:.0f}/s with 1 (target >= 300/s)"
    )
    print(
        f"30-item batch: median {statistics.median(timings):.1f} ms, "
        f"max {max(timings):.1f} ms (target < 50 ms)"
    )
    print(f"query over 10,000 customers: slowest 1,000-row page {r['query_page_ms']:.1f} ms "
          "(target < 100 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
