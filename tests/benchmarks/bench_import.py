"""Benchmark: import 10,000 QBO customers and report requests made and records per second.

Run with ``python -m tests.benchmarks.bench_import [--customers N]``. The emulator runs in this
process with throttling off; the customers are created through the batch API (30 a request).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from rq import SimpleWorker
from sqlalchemy import func, select

from qbo_emulator.testing import run_emulator
from tests.support import redis_server

BATCH = 30


def create_customers(base_url: str, headers: dict[str, str], count: int) -> float:
    """Create ``count`` customers with batch requests; returns the seconds taken."""
    started = time.perf_counter()
    with requests.Session() as session:
        session.headers.update(headers)
        for first in range(0, count, BATCH):
            items = [{"bId": str(i), "operation": "create", "Customer": {
                "DisplayName": f"Bench Customer {first + i:05d}",
                "PrimaryEmailAddr": {"Address": f"c{first + i}@bench.example"},
                "PrimaryPhone": {"FreeFormNumber": f"555-01{(first + i) % 100:02d}"},
                "BillAddr": {"Line1": f"{first + i} Main St", "City": "Springfield"},
            }} for i in range(min(BATCH, count - first))]
            answer = session.post(f"{base_url}/batch", params={"minorversion": "75"},
                                  json={"BatchItemRequest": items}, timeout=60)
            answer.raise_for_status()
            faults = [r for r in answer.json()["BatchItemResponse"] if "Fault" in r]
            if faults:
                raise RuntimeError(f"batch create failed: {faults[0]}")
    return time.perf_counter() - started


def _queries(stats: dict[str, Any]) -> tuple[int, int]:
    """(query requests, all requests) from the emulator's statistics."""
    requests_by_endpoint = stats.get("requests") or {}
    total = sum(sum(v.values()) for v in requests_by_endpoint.values())
    queries = sum(sum(v.values()) for k, v in requests_by_endpoint.items()
                  if k.lower().endswith("/query"))
    return queries, total


def measure(customers: int) -> dict[str, float]:
    """Create the customers in QBO, run the import job once; requests made and records/s."""
    logging.getLogger("rq").setLevel(logging.WARNING)

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db, get_queue
    from app.models import (
        Client,
        CompanySettings,
        ConnectionStatus,
        Integration,
        QboConnection,
        RunKind,
        SyncRun,
    )
    from app.qbo.connection import cipher_for
    from app.qbo.oauth import TokenSet
    from app.qbo.tokens import store_tokens
    from app.sync.runs import enqueue_run

    emulator = run_emulator(throttle=False)
    try:
        with redis_server() as redis_url, tempfile.TemporaryDirectory() as tmp:
            company = emulator.create_company(name="Benchmark Co", seed="empty")
            made = create_customers(company.base_url, company.headers, customers)
            app = create_app(TestConfig,
                             SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp) / 'b.db'}",
                             REDIS_URL=redis_url, QBO_EMULATOR_URL=emulator.url,
                             QBO_ENVIRONMENT="emulator", QBO_CLIENT_ID=emulator.client_id,
                             QBO_CLIENT_SECRET=emulator.client_secret,
                             TOKEN_ENCRYPTION_KEY="bench-token-key")  # noqa: S106
            with app.app_context():
                db.create_all()
                CompanySettings.load().integration = Integration.QBO
                row = QboConnection(realm_id=company.realm_id, environment="emulator",
                                    status=ConnectionStatus.CONNECTED,
                                    company_name="Benchmark Co", home_currency="USD")
                store_tokens(row, TokenSet.from_response(company.tokens), cipher_for(app.config))
                db.session.add(row)
                db.session.commit()
                stats = f"stats?realm={company.realm_id}"
                before = _queries(emulator.control("GET", stats))
                queue = get_queue()
                run = enqueue_run(db.session, queue, RunKind.IMPORT, {"steps": ["clients"]},
                                  user_id=None, realm_id=company.realm_id)
                started = time.perf_counter()
                SimpleWorker([queue], connection=queue.connection).work(
                    burst=True, logging_level="WARNING")
                elapsed = time.perf_counter() - started
                after = _queries(emulator.control("GET", stats))
                db.session.expire_all()
                run = db.session.get(SyncRun, run.id)
                clients = db.session.scalar(select(func.count(Client.id))) or 0
                result = {"customers": customers, "create_seconds": made,
                          "status": run.status.value, "message": run.message or "",
                          "requests": after[1] - before[1], "queries": after[0] - before[0],
                          "imported": clients, "seconds": elapsed,
                          "records_per_s": clients / elapsed}
                db.session.remove()
                db.engine.dispose()
    finally:
        emulator.stop()
    return result


def main(argv: list[str] | None = None) -> None:
    """Create the customers, run the import job once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args(argv)
    r = measure(args.customers)
    print(f"created {r['customers']} customers in {r['create_seconds']:.1f} s "
          f"({r['customers'] / r['create_seconds']:.0f}/s, batch API, throttling off)")
    print(f"import run: {r['status']}; {r['message']}")
    print(f"requests made by the import: {r['requests']} ({r['queries']} queries)")
    print(f"imported {r['imported']} clients in {r['seconds']:.1f} s "
          f"({r['records_per_s']:.0f} records/s)")


if __name__ == "__main__":
    main()
