"""Benchmark: copy 1,000 invoices, each with a new client and three hourly lines.

Run with ``python -m tests.benchmarks.bench_push [--invoices N]``. The emulator runs in its own
process with QBO's real limits in scaled time (``--time-scale 60``: a minute lasts one second)
and the app's limiter uses the same scaled window. The same push runs twice in this one run,
with batching and without, and the figures of both are printed with their ratio. A third,
longer batched run against an emulator with a slower clock measures how much of QBO's rate
limits the copy uses once it has spent the first minute's budget, and how many 429 answers it
met: the emulator's object count is sampled while the copy runs, and the share is taken over
the minutes after the first (a copy shorter than a minute fits in one window and would seem
faster than any steady pace allows).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.support import free_port, redis_server

TIME_SCALE = 60


def _control(base: str, method: str, path: str, body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}/_emulator/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - local
        return json.loads(response.read() or b"null")


def _income_account(base: str, realm: str, tokens: dict[str, Any]) -> str:
    query = urllib.parse.quote("select * from Account where AccountType = 'Income'")
    request = urllib.request.Request(
        f"{base}/v3/company/{realm}/query?query={query}&minorversion=75",
        headers={"Authorization": f"Bearer {tokens['access_token']}",
                 "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - local
        return json.loads(response.read())["QueryResponse"]["Account"][0]["Id"]


def _seed_records(count: int) -> list[tuple[str, int]]:
    from app.extensions import db
    from app.models import (
        Associate,
        BillingCode,
        BillingCodeKind,
        Client,
        Invoice,
        InvoiceLine,
        InvoiceStatus,
        LineKind,
    )

    people = [Associate(first_name="Bench", last_name=f"Person {i}",
                        display_name=f"Bench Person {i}") for i in range(3)]
    codes = [BillingCode(code=f"Bench Service {i}", kind=BillingCodeKind.HOURLY)
             for i in range(3)]
    invoices = []
    for n in range(count):
        client = Client(name=f"Bench Client {n:05d}", email=f"c{n}@bench.example")
        lines = [InvoiceLine(position=i, kind=LineKind.HOURLY, associate=people[i],
                             billing_code=codes[i], service_date=date(2026, 11, 1 + i),
                             hours=Decimal("1.25") * (i + 1), rate=Decimal("120.00"))
                 for i in range(3)]
        invoices.append(Invoice(number=f"B{n:05d}", client=client, issue_date=date(2026, 11, 5),
                                lines=lines, status=InvoiceStatus.FINAL))
    db.session.add_all(invoices)
    db.session.commit()
    return [("invoice", inv.id) for inv in invoices]


@contextmanager
def _sampling(base: str, realm: str, every: float) -> Iterator[list[tuple[float, int]]]:
    """(time, objects in the company) every `every` seconds while the block runs."""
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def count() -> int:
        objects = _control(base, "GET", f"stats?realm={realm}")["objects"]
        return sum(row["active"] + row["inactive"] for row in objects.values())

    def sample() -> None:
        while not done.wait(every):
            samples.append((time.perf_counter(), count()))

    samples.append((time.perf_counter(), count()))
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join(10)
        samples.append((time.perf_counter(), count()))


def steady_objects_per_minute(samples: list[tuple[float, int]],
                              window: float) -> tuple[float, float] | None:
    """Objects per (scaled) minute after the first window, and the minutes it covers.

    The first window starts with the first object created; the span ends at the last sample
    taken while objects were still being created. None when the copy was too short.
    """
    base = samples[0][1]
    final = samples[-1][1]
    started = next((t for t, n in samples if n > base), None)
    if started is None:
        return None
    span = [(t, n) for t, n in samples if t >= started + window and n < final]
    if len(span) < 2 or span[-1][0] - span[0][0] < window / 2:
        return None
    (t1, n1), (t2, n2) = span[0], span[-1]
    minutes = (t2 - t1) / window
    return (n2 - n1) / minutes, minutes


def _one_push(emulator_url: str, redis_url: str, workdir: Path, count: int,
              batching: bool, time_scale: float, label: str = "",
              sample_every: float | None = None,
              concurrency: int | None = None) -> dict[str, Any]:
    """A fresh database and company; push every invoice; return the figures."""
    from app import create_app
    from app.config import Config, TestConfig
    from app.extensions import db
    from app.models import (
        ConnectionStatus,
        QboConnection,
        QboPreference,
        RunKind,
        SyncRun,
    )
    from app.qbo.connection import cipher_for
    from app.qbo.oauth import TokenSet
    from app.qbo.tokens import store_tokens
    from app.sync import jobs, push

    label = label or ("batched" if batching else "unbatched")
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir / label}.db",
                     REDIS_URL=redis_url, QBO_EMULATOR_URL=emulator_url,
                     QBO_ENVIRONMENT="emulator", TOKEN_ENCRYPTION_KEY="bench-key",
                     QBO_RATE_WINDOW_SECONDS=60 / time_scale, QBO_PUSH_BATCHING=batching,
                     QBO_PUSH_CONCURRENCY=concurrency or Config.QBO_PUSH_CONCURRENCY)
    realm = _control(emulator_url, "POST", "companies",
                     {"name": f"Bench {label}", "seed": "empty"})["realm_id"]
    tokens = _control(emulator_url, "POST", f"companies/{realm}/tokens", {})
    with app.app_context():
        db.create_all()
        row = QboConnection(realm_id=realm, environment="emulator", company_name="Bench",
                            status=ConnectionStatus.CONNECTED, home_currency="USD")
        store_tokens(row, TokenSet.from_response(tokens), cipher_for(app.config))
        db.session.add(row)
        db.session.add(QboPreference(realm_id=realm, key="income_account",
                                     value=_income_account(emulator_url, realm, tokens)))
        roots = _seed_records(count)
        run = SyncRun(kind=RunKind.PUSH, scope={"records": [list(r) for r in roots]},
                      realm_id=realm)
        db.session.add(run)
        db.session.commit()
        engines: list[push.PushEngine] = []
        original = push.PushEngine.__init__

        def remember(self: push.PushEngine, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            engines.append(self)

        push.PushEngine.__init__ = remember  # type: ignore[method-assign]
        sampling = (_sampling(emulator_url, realm, sample_every) if sample_every
                    else nullcontext([]))
        with sampling as samples:
            started = time.perf_counter()
            try:
                jobs.execute_run(run.id)
            finally:
                push.PushEngine.__init__ = original  # type: ignore[method-assign]
            wall = time.perf_counter() - started
        db.session.expire_all()
        run = db.session.get(SyncRun, run.id)
        stats = _control(emulator_url, "GET", f"stats?realm={realm}")
        figures: dict[str, Any] = {
            "created": run.created_count, "failed": run.failed_count,
            "requests": stats["requests_total"], "batches": stats["batches"],
            "throttled": stats["throttled"], "seconds": wall,
            "peak_in_flight": stats["peak_in_flight"],
            "token_refreshes": stats["token_calls"].get("refresh_token", 0),
            "local_ms_per_object": engines[0].local_seconds * 1000 / max(1, run.total),
            "samples": samples}
        db.session.remove()
        db.engine.dispose()
    return figures


# QBO's limits per realm and app (qbo-api-notes.md, "Limits"): 500 requests and 40 batch
# requests of 30 operations a minute. The most objects a minute can carry is 40 full batches
# plus the remaining 460 single requests.
CEILING_PER_MINUTE = 40 * 30 + (500 - 40)
# The rate-limit run uses a slower clock than the others (a minute lasts 10 s), so QBO's limits
# and not this machine's speed decide how fast the copy goes.
RATE_TIME_SCALE = 6
# It copies 2,500 invoices and their clients (5,006 objects): about three minutes at the
# ceiling, so two are measured after the first.
RATE_INVOICES = 2500
# The same copy once more against a QBO that answers as a distant one does: 0.3 s a request
# and 0.1 s more a batch item (3.3 s for 30; qbo-api-notes.md, "Limits": 30-item batches take
# long). These are this benchmark's assumption, not figures Intuit publishes. It runs with the
# default concurrency (QBO_PUSH_CONCURRENCY) and, for comparison, one request at a time, on
# a fifth of the records (a copy that slow needs no more to be measured for minutes). Its clock
# is slower still (a minute lasts 20 s): the app's threads and the emulator share this machine.
LATENCY = {"request": 0.3, "batch_item": 0.1}
SLOW_TIME_SCALE = 3


@contextmanager
def emulator_process(time_scale: float, latency: dict[str, float] | None = None) -> Iterator[str]:
    """The emulator in its own process with QBO's real limits in scaled time; yields its URL."""
    port = free_port()
    latency = latency or {"request": 0.0, "batch_item": 0.0}
    emulator = subprocess.Popen(  # noqa: S603 - the project's own emulator
        [sys.executable, "-m", "qbo_emulator", "--port", str(port), "--seed", "none",
         "--time-scale", str(time_scale), "--latency", str(latency["request"]),
         "--batch-item-latency", str(latency["batch_item"])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                _control(url, "GET", "")
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        emulator.terminate()
        emulator.wait(10)


def _rate_figures(rate: dict[str, Any], window: float) -> dict[str, Any]:
    """Objects per scaled minute after the first, and the share of QBO's ceiling."""
    rate["whole_run_per_minute"] = rate["created"] / (rate["seconds"] / window)
    steady = steady_objects_per_minute(rate.pop("samples"), window)
    if steady is None:
        # Too short to leave the first window: the whole run is all there is (a quick run).
        rate["objects_per_minute"], rate["steady_minutes"] = rate["whole_run_per_minute"], 0.0
    else:
        rate["objects_per_minute"], rate["steady_minutes"] = steady
    rate["rate_limit_share"] = rate["objects_per_minute"] / CEILING_PER_MINUTE
    return rate


def measure(invoices: int, rate_invoices: int = RATE_INVOICES) -> dict[str, dict[str, Any]]:
    """The push with batching, without, and batched under QBO's limits at a slower clock
    (answering at once, then slowly with the default concurrency and with one at a time)."""
    results: dict[str, dict[str, Any]] = {}
    with redis_server() as redis_url, tempfile.TemporaryDirectory() as tmp:
        with emulator_process(TIME_SCALE) as url:
            for batching in (True, False):
                label = "batched" if batching else "unbatched"
                results[label] = _one_push(url, redis_url, Path(tmp), invoices, batching,
                                           TIME_SCALE)
                results[label].pop("samples")
        runs = (("rate", None, None, rate_invoices, RATE_TIME_SCALE),
                ("rate_latency", LATENCY, None, rate_invoices, SLOW_TIME_SCALE),
                ("rate_latency_sequential", LATENCY, 1, max(1, rate_invoices // 5),
                 SLOW_TIME_SCALE))
        for label, latency, concurrency, count, scale in runs:
            window = 60 / scale
            with emulator_process(scale, latency) as url:
                results[label] = _rate_figures(
                    _one_push(url, redis_url, Path(tmp), count, True, scale, label=label,
                              sample_every=window / 40, concurrency=concurrency),
                    window)
                results[label]["minute_seconds"] = window
    return results


def main(argv: list[str] | None = None) -> None:
    """Run the push with and without batching and print both and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--rate-invoices", type=int, default=RATE_INVOICES)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = measure(args.invoices, args.rate_invoices)
    print(f"Copying {args.invoices} invoices, each with a new client and 3 hourly lines "
          f"(QBO limits scaled x{TIME_SCALE}):")
    for label in ("batched", "unbatched"):
        r = results[label]
        print(f"  {label:9}: {r['created']:.0f} objects created, {r['failed']:.0f} failed, "
              f"{r['requests']:.0f} requests ({r['batches']:.0f} batch), "
              f"{r['requests'] / max(1, r['created']):.4f} requests/object, "
              f"{r['throttled']:.0f} throttled, {r['seconds']:.1f} s, "
              f"local work {r['local_ms_per_object']:.3f} ms/object")
    on, off = results["batched"], results["unbatched"]
    print(f"  ratio unbatched/batched: requests x{off['requests'] / max(1, on['requests']):.1f}, "
          f"time x{off['seconds'] / max(0.001, on['seconds']):.1f}")
    for label, title in (("rate", "answering at once"),
                         ("rate_latency", "answering slowly, "
                                          f"{results['rate_latency']['peak_in_flight']:.0f} "
                                          "requests at a time"),
                         ("rate_latency_sequential", "answering slowly, one at a time")):
        rate = results[label]
        print(f"  under QBO's limits (a minute lasts {rate['minute_seconds']:.0f} s), {title}, "
              f"{rate['created']:.0f} objects: {rate['objects_per_minute']:.0f} objects a "
              f"minute over {rate['steady_minutes']:.1f} minutes after the first = "
              f"{rate['rate_limit_share']:.2f} of the ceiling {CEILING_PER_MINUTE} "
              f"(whole run {rate['whole_run_per_minute']:.0f}/min), "
              f"{rate['requests']:.0f} requests ({rate['batches']:.0f} batch), "
              f"{rate['throttled']:.0f} answered 429, {rate['token_refreshes']:.0f} token "
              f"refreshes, at most {rate['peak_in_flight']:.0f} in flight")


if __name__ == "__main__":
    main()
