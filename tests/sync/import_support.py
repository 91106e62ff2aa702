"""Helpers shared by the import, matching and import-page tests."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from rq import SimpleWorker

from app.extensions import db, get_queue
from app.models import ConnectionStatus, QboConnection
from app.qbo.client import QBOClient
from app.qbo.connection import cipher_for, client_for
from app.qbo.oauth import TokenSet
from app.qbo.tokens import store_tokens
from tests.support import TEST_TOKEN_KEY


def use_dev_client(app: Flask, emulator: Any, monkeypatch: Any) -> None:
    """Point the app at the emulator with its default development client."""
    monkeypatch.setitem(app.config, "QBO_EMULATOR_URL", emulator.url)
    monkeypatch.setitem(app.config, "QBO_ENVIRONMENT", "emulator")
    monkeypatch.setitem(app.config, "QBO_CLIENT_ID", emulator.client_id)
    monkeypatch.setitem(app.config, "QBO_CLIENT_SECRET", emulator.client_secret)
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", TEST_TOKEN_KEY)


def connect_company(app: Flask, emulator: Any, name: str = "Import Co",
                    **options: Any) -> str:
    """Create an emulator company and save it as Ledgerhub's connection; returns the realm."""
    company = emulator.create_company(name=name, **options)
    row = QboConnection(realm_id=company.realm_id, environment="emulator",
                        status=ConnectionStatus.CONNECTED, company_name=name,
                        home_currency=options.get("home_currency") or "USD",
                        multicurrency_enabled=bool(options.get("multicurrency")),
                        # as read at connect: US companies default to automated sales tax
                        automated_sales_tax=options.get("country", "US") == "US"
                        and options.get("sales_tax", "automated") == "automated")
    store_tokens(row, TokenSet.from_response(company.tokens), cipher_for(app.config))
    db.session.add(row)
    db.session.commit()
    return company.realm_id


def qbo_client(app: Flask, realm_id: str) -> QBOClient:
    """The app's own QBO client for the realm."""
    from app.extensions import get_redis

    return client_for(app.config, db.engine, get_redis(), realm_id)


QBO_USER_CLIENT = "qbo-user"


def api(emulator: Any, realm_id: str, method: str, path: str,
        body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call the company's API directly (as someone working in QBO would change it).

    It calls as an app of its own: what a person does in QuickBooks does not spend Ledgerhub's
    share of the realm's rate limit (10 requests a second per realm and app).
    """
    import requests

    emulator.control("POST", "clients", {"client_id": QBO_USER_CLIENT,
                                         "client_secret": "qbo-user-secret",
                                         "redirect_uris": ["http://localhost/cb"]})
    company = emulator.connect(realm_id, client_id=QBO_USER_CLIENT)
    for _ in range(50):
        response = requests.request(method, f"{company.base_url}/{path}", json=body,
                                    headers=company.headers, params={"minorversion": "75"},
                                    timeout=30)
        if response.status_code != 429:
            break
        # A test polling QBO is held to QBO's 10 a second like anyone: wait for a slot.
        time.sleep(0.1)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def work_queue() -> None:
    """Run every queued job in this process (a real RQ worker, burst mode)."""
    queue = get_queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def request_count(emulator: Any, realm_id: str) -> dict[str, Any]:
    """The emulator's request statistics for one company."""
    return emulator.control("GET", f"stats?realm={realm_id}")


def import_steps(realm_id: str, *steps: str) -> Any:
    """Enqueue an import run for the steps, work it off, and return the finished run."""
    from app.models import RunKind, SyncRun
    from app.sync.runs import enqueue_run

    run = enqueue_run(db.session, get_queue(), RunKind.IMPORT, {"steps": list(steps)},
                      user_id=None, realm_id=realm_id)
    work_queue()
    db.session.expire_all()
    return db.session.get(SyncRun, run.id)


def bulk_customers(emulator: Any, realm_id: str, count: int, prefix: str = "Bulk") -> None:
    """Create many customers straight in the emulator's store (as its seeding does)."""
    from qbo_emulator import operations
    from qbo_emulator.entities.common import WriteContext
    from qbo_emulator.jsonutil import now

    store = emulator.emulator.store
    with store.lock:
        company = store.companies[realm_id]
        ctx = WriteContext(store, company, now())
        for i in range(count):
            operations.save(ctx, "Customer", {
                "DisplayName": f"{prefix} Customer {i:05d}",
                "PrimaryEmailAddr": {"Address": f"c{i}@bulk.example"},
                "PrimaryPhone": {"FreeFormNumber": f"555-{i // 10000:03d}-{i % 10000:04d}"},
                "BillAddr": {"Line1": f"{i} Main St", "City": "Springfield",
                             "PostalCode": "12345"},
            })


def query_requests(stats: dict[str, Any]) -> int:
    """How many query requests the emulator's statistics show."""
    return sum(sum(by_status.values()) for key, by_status in (stats.get("requests") or {}).items()
               if key.lower().endswith("/query"))
