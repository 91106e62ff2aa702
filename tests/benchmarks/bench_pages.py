"""Benchmark: listing pages and "QBO Add All" with years of records in the database.

Run with ``python -m tests.benchmarks.bench_pages [--quick]``. The database is PostgreSQL when
``TEST_DATABASE_URL`` is set (its tables are dropped and recreated), else a temporary SQLite
file. Rows are seeded with bulk inserts; pages are fetched with the Flask test client as the
owner with QuickBooks on and connected, so the QBO columns render. Server time is the wall time
of each request; SQL statements are counted with a ``before_cursor_execute`` listener.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text

from tests.support import PASSWORDS, make_users, redis_server

CHUNK = 5_000
FULL = {"invoices": 50_000, "clients": 20_000, "hours": 100_000, "events": 50_000}
QUICK = {"invoices": 2_000, "clients": 1_000, "hours": 4_000, "events": 2_000}
REALM = "9130350000000001"


def _chunked(model: type, rows: Iterator[dict[str, Any]]) -> int:
    """Insert rows with one executemany per chunk; returns how many were written."""
    from app.extensions import db

    written, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            db.session.execute(insert(model), chunk)
            written, chunk = written + len(chunk), []
    if chunk:
        db.session.execute(insert(model), chunk)
        written += len(chunk)
    db.session.commit()
    return written


def _connect_qbo() -> None:
    """Integration on and a connected company (no QuickBooks call is made by a listing)."""
    from flask import current_app

    from app.extensions import db
    from app.models import CompanySettings, ConnectionStatus, Integration, QboConnection
    from app.qbo.connection import cipher_for
    from app.qbo.oauth import TokenSet
    from app.qbo.tokens import store_tokens

    CompanySettings.load().integration = Integration.QBO
    row = QboConnection(realm_id=REALM, environment="emulator", company_name="Bench",
                        status=ConnectionStatus.CONNECTED, home_currency="USD")
    tokens = {"access_token": "bench-access", "refresh_token": "bench-refresh",
              "expires_in": 3600, "x_refresh_token_expires_in": 8_726_400}
    store_tokens(row, TokenSet.from_response(tokens), cipher_for(current_app.config))
    db.session.add(row)
    db.session.commit()


def seed(sizes: dict[str, int], owner_id: int) -> dict[str, float]:
    """Clients, invoices (one line each), hours, sync events and QBO links; returns seconds."""
    from app.extensions import db
    from app.models import (
        BillingCode,
        BillingCodeKind,
        Client,
        EventOutcome,
        HoursEntry,
        Invoice,
        InvoiceLine,
        LineKind,
        QboLink,
        RunKind,
        RunStatus,
        SyncEvent,
        SyncRun,
    )

    started = time.perf_counter()
    code = BillingCode(code="Consulting", kind=BillingCodeKind.HOURLY)
    run = SyncRun(kind=RunKind.PUSH, status=RunStatus.SUCCEEDED, realm_id=REALM,
                  scope={"description": "history"})
    db.session.add_all([code, run])
    db.session.commit()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    n_clients, n_invoices = sizes["clients"], sizes["invoices"]
    half = n_clients // 2
    # Half the clients are "Alpha ...", half "Beta ...": "QBO Add All" searches one half.
    _chunked(Client, ({"name": f"{'Alpha' if i <= half else 'Beta'} Client {i:06d}",
                       "email": f"c{i}@bench.example", "currency": "USD", "is_company": True,
                       "is_inquiry": False, "active": True, "created_at": now,
                       "updated_at": now} for i in range(1, n_clients + 1)))
    first_client = db.session.scalar(select(func.min(Client.id)))
    days = 6 * 365  # years of records
    _chunked(Invoice, ({"number": f"INV{i:07d}", "client_id": first_client + i % n_clients,
                        "issue_date": date(2021, 1, 1) + timedelta(days=i % days),
                        "currency": "USD", "status": "final" if i % 3 else "draft",
                        "created_at": now, "updated_at": now}
                       for i in range(n_invoices)))
    first_invoice = db.session.scalar(select(func.min(Invoice.id)))
    _chunked(InvoiceLine, ({"invoice_id": first_invoice + i, "position": 0,
                            "kind": LineKind.HOURLY.value, "associate_id": owner_id,
                            "billing_code_id": code.id, "hours": Decimal("2.50"),
                            "rate": Decimal("120.0000"), "billable": True, "taxable": False,
                            "service_date": date(2026, 1, 1)} for i in range(n_invoices)))
    _chunked(HoursEntry, ({"associate_id": owner_id, "client_id": first_client + i % n_clients,
                           "billing_code_id": code.id,
                           "work_date": date(2021, 1, 1) + timedelta(days=i % days),
                           "hours": Decimal("1.50"), "rate": Decimal("95.0000"),
                           "description": f"Work item {i}", "billable": True, "status": "open",
                           "created_at": now, "updated_at": now}
                          for i in range(sizes["hours"])))
    _chunked(SyncEvent, ({"run_id": run.id, "realm_id": REALM, "entity_type": "invoice",
                          "local_id": first_invoice + i % n_invoices,
                          "label": f"Invoice INV{i % n_invoices:07d}", "action": "create",
                          "outcome": (EventOutcome.FAILED if i % 10 == 0
                                      else EventOutcome.CREATED).value,
                          "qbo_id": str(1000 + i), "request_id": f"bench-{i}",
                          "message": "Business Validation Error" if i % 10 == 0 else None,
                          "resolved": False, "created_at": now - timedelta(minutes=i)}
                         for i in range(sizes["events"])))
    # Half of every kind is already in QuickBooks, so the listings show both badges.
    first_hours = db.session.scalar(select(func.min(HoursEntry.id)))
    links = [("client", first_client, n_clients), ("invoice", first_invoice, n_invoices),
             ("hours", first_hours, sizes["hours"])]
    _chunked(QboLink, ({"realm_id": REALM, "entity_type": kind, "local_id": first + i,
                        "qbo_id": str(i + 1), "sync_token": "0", "state": "synced",
                        "pushed_hash": "0" * 64,
                        "origin": "pushed", "synced_at": now, "created_at": now,
                        "updated_at": now}
                       for kind, first, count in links for i in range(0, count, 2)))
    # A database that grew over years has planner statistics; fresh bulk inserts have none yet.
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return {"seed_s": time.perf_counter() - started}


def pages() -> dict[str, str]:
    """Every listing page, first and deep, with search and sort, and the sync log."""
    deep = 10**9  # clamped by the listing to its last page
    urls = {
        "clients first": "/clients/",
        "clients deep": f"/clients/?page={deep}",
        "clients search": "/clients/?q=Client+0001",
        "clients sort": f"/clients/?sort=email&dir=desc&page={deep}",
        "invoices first": "/invoices/",
        "invoices deep": f"/invoices/?page={deep}",
        "invoices search": "/invoices/?q=INV00012",
        "invoices sort client": f"/invoices/?sort=client&dir=asc&page={deep // 2}",
        "invoices sort number": "/invoices/?sort=number&dir=desc",
        "hours first": "/my/hours",
        "hours deep": f"/my/hours?page={deep}",
        "hours search": "/my/hours?q=item+123",
        "hours sort": f"/my/hours?sort=status&dir=asc&page={deep}",
        "sync log first": "/admin/qbo/log",
        "sync log deep": f"/admin/qbo/log?page={deep}",
        "sync log failed": "/admin/qbo/log?outcome=failed",
        "sync log search": "/admin/qbo/log?q=INV00012",
        "organizations": "/organizations/",
        "purchase orders": "/purchase-orders/",
        "associates": "/admin/associates",
        "expenses": "/my/expenses",
        "mileage": "/my/mileage",
    }
    return urls


@contextmanager
def counting_statements() -> Iterator[list[int]]:
    """Count the SQL statements sent while the block runs (the list's one item)."""
    from app.extensions import db

    counter = [0]

    def count(*_: Any) -> None:
        counter[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _time_pages(client: Any, app: Any, urls: dict[str, str], repeats: int) -> dict[str, Any]:
    """Per page: timings (ms), statements per request, and statements when rows double."""
    results: dict[str, Any] = {}
    per_page = app.config["PAGE_SIZE"]
    for name, url in urls.items():
        if client.get(url).status_code != 200:  # also warms up: templates compiled
            raise RuntimeError(f"{url} is not a page")
        timings, statements = [], []
        for _ in range(repeats):
            with counting_statements() as counter:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            statements.append(counter[0])
        app.config["PAGE_SIZE"] = per_page * 2
        try:
            with counting_statements() as counter:
                client.get(url)
            doubled = counter[0]
        finally:
            app.config["PAGE_SIZE"] = per_page
        results[name] = {"url": url, "ms": timings, "statements": max(statements),
                         "statements_when_rows_double": doubled}
    return results


def _add_all(client: Any, repeats: int) -> dict[str, Any]:
    """Time "QBO Add All" on the clients listing searched to one half, as its button posts."""
    from app.extensions import db, get_queue
    from app.models import SyncRun

    form = {"selection": "all", "q": "Alpha"}
    question = client.post("/admin/qbo/push/client", data=form)
    text = question.get_data(as_text=True)
    count = int(text.split('name="confirm" value="', 1)[1].split('"', 1)[0])
    confirm_ms, add_ms = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        client.post("/admin/qbo/push/client", data=form)
        confirm_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        answer = client.post("/admin/qbo/push/client", data={**form, "confirm": count},
                             headers={"HX-Request": "true"})
        add_ms.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200 or 'name="confirm"' in answer.get_data(as_text=True):
            raise RuntimeError(f"QBO Add All did not enqueue ({answer.status_code})")
    db.session.expire_all()
    runs = db.session.scalars(select(SyncRun).where(SyncRun.rq_job_id.is_not(None))).all()
    if len(runs) != repeats or any(run.total != count for run in runs):
        raise RuntimeError(f"QBO Add All did not enqueue {repeats} runs of {count}")
    # The runs only measured the click: their jobs leave the queue unexecuted.
    queue = get_queue()
    for run in runs:
        job = queue.fetch_job(run.rq_job_id)
        if job is not None:
            job.delete()
    return {"records": count, "confirm_ms": confirm_ms, "add_all_ms": add_ms}


def measure(sizes: dict[str, int], repeats: int = 5) -> dict[str, Any]:
    """Seed, time every page and "QBO Add All"; return the raw measurements."""
    from app import create_app
    from app.config import TestConfig, normalize_database_url
    from app.extensions import db

    url = os.environ.get("TEST_DATABASE_URL")
    with redis_server() as redis_url, tempfile.TemporaryDirectory() as tmp:
        database = normalize_database_url(url) if url else f"sqlite:///{Path(tmp) / 'p.db'}"
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database, REDIS_URL=redis_url,
                         WTF_CSRF_ENABLED=False, TOKEN_ENCRYPTION_KEY="bench-key",
                         LOGIN_ADDRESS_FREE_FAILURES=1_000_000)
        with app.app_context():
            db.drop_all()
            db.create_all()
            try:
                users = make_users()
                _connect_qbo()
                seeded = seed(sizes, users["owner"].id)
                client = app.test_client()
                login = client.post("/login", data={"username": "owner",
                                                    "password": PASSWORDS["owner"]})
                if login.status_code != 302:
                    raise RuntimeError("owner could not sign in")
                timed = _time_pages(client, app, pages(), repeats)
                add_all = _add_all(client, repeats)
            finally:
                db.session.remove()
                db.drop_all()
                db.engine.dispose()
    return {"database": database.split(":", 1)[0], "sizes": sizes, **seeded, "pages": timed,
            **add_all}


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank) of a few timings."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    """Seed, measure and print one line per page."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small database (smoke test)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    result = measure(QUICK if args.quick else FULL, args.repeats)
    print(f"{result['database']}: {result['sizes']} seeded in {result['seed_s']:.1f} s")
    for name, page in result["pages"].items():
        ms = page["ms"]
        print(f"  {name:22} median {statistics.median(ms):6.1f} ms  p95 {p95(ms):6.1f} ms  "
              f"({min(ms):.1f}-{max(ms):.1f})  {page['statements']} SQL "
              f"({page['statements_when_rows_double']} with twice the rows)")
    print(f"  QBO Add All over {result['records']} records: median "
          f"{statistics.median(result['add_all_ms']):.1f} ms "
          f"({min(result['add_all_ms']):.1f}-{max(result['add_all_ms']):.1f}); the question "
          f"{statistics.median(result['confirm_ms']):.1f} ms")


if __name__ == "__main__":
    main()
