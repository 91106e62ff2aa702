"""The shared limiter against the emulator's real limits, in scaled time."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from app.qbo.client import BatchQuery
from app.qbo.ratelimit import RateLimiter
from tests.qbo._workers import hammer
from tests.qbo.conftest import WINDOW_SECONDS, Company

QBO_PER_MINUTE = 500


def _peak(stamps: Sequence[float], window: float) -> int:
    """Most sends inside any window-long span."""
    ordered = sorted(stamps)
    best, lo = 0, 0
    for hi, stamp in enumerate(ordered):
        while ordered[lo] <= stamp - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _report(label: str, stamps: Sequence[float]) -> float:
    elapsed = max(stamps) - min(stamps)
    rate = len(stamps) / (elapsed / WINDOW_SECONDS)
    peak = _peak(stamps, WINDOW_SECONDS)
    print(
        f"\n{label}: {len(stamps)} requests in {elapsed:.2f}s "
        f"({elapsed / WINDOW_SECONDS:.2f} windows); mean {rate:.0f}/min-equivalent "
        f"= {rate / QBO_PER_MINUTE:.0%} of {QBO_PER_MINUTE}; busiest window {peak} "
        f"= {peak / QBO_PER_MINUTE:.0%}"
    )
    return peak / QBO_PER_MINUTE


@pytest.fixture(autouse=True)
def _minute_windows_only(emulator: Any) -> Iterator[None]:
    """These tests measure the minute windows. QBO's per-second window, scaled down with them
    to 50 ms here, is measured at a gentler scale in test_client_limits."""
    emulator.control("POST", "settings", {"requests_per_second": 0})
    yield
    emulator.control("POST", "settings", {"requests_per_second": 10})


@pytest.mark.slow
def test_steady_state_gets_no_429_and_uses_the_limit(company: Company) -> None:
    client = company.client
    threads, per_thread = 12, 75
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        for _ in range(per_thread):
            client.company_info()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    stats = company.stats()
    assert stats["throttled"] == 0
    assert stats["requests"]["GET /companyinfo/<id>"] == {"200": threads * per_thread}
    assert all(e.status == 200 for e in company.exchanges)
    assert len(company.exchanges) == threads * per_thread
    # QBO itself would let 900 requests through in just over one window (500 at once, the rest
    # as the first ones age out); the limiter paces at <= 9 per 1/60 window and keeps 5% spare.
    # How much of the budget the limiter uses is a timing figure: `make bench` measures it
    # (rate_limit_share); here it is printed, and what must hold on any machine is asserted.
    assert _report("steady state", _send_times(company)) <= 1.0


def _send_times(company: Company) -> list[float]:
    return [e.started_at for e in company.exchanges]


@pytest.mark.slow
def test_batch_limit_is_respected(company: Company, limiter: RateLimiter) -> None:
    client = company.client
    count = 60  # more than the 40 batch requests a window allows
    started = time.monotonic()

    def run(n: int) -> None:
        for i in range(n, count, 6):
            client.batch([BatchQuery("q", "select * from Term")], request_id_prefix=f"bq{i}")

    workers = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    stats = company.stats()
    assert stats["throttled"] == 0 and stats["batches"] == count
    batch_stamps = [e.started_at for e in company.exchanges]
    peak = _peak(batch_stamps, WINDOW_SECONDS)
    print(f"\nbatch: {count} batch requests in {elapsed:.2f}s; busiest window {peak} of 40")
    assert peak <= 40 and peak >= limiter.batch_limit - 1


@pytest.mark.slow
def test_limiter_shared_by_processes(company: Company, redis_url: str, key_prefix: str) -> None:
    processes, threads, per_thread = 3, 4, 50
    args = (company.client.base_url, company.realm_id, company.tokens.access_token(), redis_url,
            key_prefix, WINDOW_SECONDS, per_thread, threads)  # fmt: skip
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(hammer, [args] * processes)
    seen = [item for result in results for item in result]
    assert len(seen) == processes * threads * per_thread
    assert all(status == 200 for _, status in seen)
    assert company.stats()["throttled"] == 0
    # Never over QBO's budget; how close to it is measured by `make bench`.
    assert _report("3 processes", [t for t, _ in seen]) <= 1.0
