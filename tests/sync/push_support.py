"""Helpers for the push tests: a connected company with its defaults, records, QBO reads."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from typing import Any

from app.config import BASE_DIR
from app.extensions import db, get_queue
from app.models import (
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PaymentTerm,
    QboLink,
    QboPreference,
    RunKind,
    SyncRun,
)
from app.sync.runs import enqueue_run
from tests.support import TEST_SECRET_KEY
from tests.sync.import_support import api, work_queue


def qbo_rows(emulator: Any, realm_id: str, entity: str, where: str = "") -> list[dict[str, Any]]:
    """Every row of an entity in the emulator company (active and inactive)."""
    active = "Active IN (true, false)" if entity in ("Customer", "Employee", "Vendor", "Item",
                                                     "Term", "Class", "Account") else ""
    clauses = " AND ".join(c for c in (where, active) if c)
    text = f"select * from {entity}" + (f" where {clauses}" if clauses else "") + \
        " MAXRESULTS 1000"
    answer = api(emulator, realm_id, "GET", f"query?query={text}")
    return answer.get("QueryResponse", {}).get(entity, [])


def account_id(emulator: Any, realm_id: str, name: str) -> str:
    """The QBO id of a seeded account."""
    rows = qbo_rows(emulator, realm_id, "Account", f"Name = '{name}'")
    assert rows, name
    return rows[0]["Id"]


def set_defaults(emulator: Any, realm_id: str) -> None:
    """The defaults an accountant chooses before going live."""
    prefs = {
        "income_account": account_id(emulator, realm_id, "Services"),
        "expense_payment_account": account_id(emulator, realm_id, "Checking"),
        "expense_account": account_id(emulator, realm_id, "Travel"),
        "mileage_account": account_id(emulator, realm_id, "Automobile"),
        "ap_account": account_id(emulator, realm_id, "Accounts Payable (A/P)"),
    }
    for key, value in prefs.items():
        db.session.add(QboPreference(realm_id=realm_id, key=key, value=value))
    db.session.commit()


def make_invoice(number: str = "1001", client_name: str = "Harbor Freight Co",
                 associate: Associate | None = None, lines: int = 3) -> Invoice:
    """An invoice with hourly lines for a new client, billing code and associate."""
    associate = associate or Associate(first_name="Robin", last_name="Hale",
                                       display_name=f"Robin Hale {number}",
                                       hourly_rate=Decimal("110.00"))
    term = PaymentTerm(name=f"Net 30 {number}", due_days=30)
    code = BillingCode(code=f"Consulting {number}", kind=BillingCodeKind.HOURLY,
                       default_rate=Decimal("150.00"))
    client = Client(name=client_name, email="ap@harbor.example", payment_term=term)
    invoice = Invoice(number=number, client=client, issue_date=date(2026, 11, 2),
                      payment_term=term, currency="USD", status=InvoiceStatus.FINAL)
    invoice.lines = [
        InvoiceLine(position=n, kind=LineKind.HOURLY, associate=associate, billing_code=code,
                    service_date=date(2026, 11, n), hours=Decimal("1.25") * n,
                    rate=Decimal("150.00"), description=f"Work item {n}")
        for n in range(1, lines + 1)
    ]
    db.session.add(invoice)
    db.session.commit()
    return invoice


def push(records: list[tuple[str, int]], *, dry_run: bool = False, work: bool = True) -> SyncRun:
    """Enqueue a push run for the records and (by default) let a real worker execute it."""
    run = enqueue_run(db.session, get_queue(), RunKind.PUSH, {"records": [list(r) for r in
                                                                        records]},
                      user_id=None, realm_id=None, dry_run=dry_run)
    if work:
        work_queue()
    db.session.expire_all()
    return db.session.get(SyncRun, run.id)


def link_of(realm_id: str, entity_type: str, local_id: int) -> QboLink | None:
    """The link of a record in the realm."""
    return db.session.scalars(db.select(QboLink).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
        QboLink.local_id == local_id)).first()


def writes(emulator: Any, realm_id: str) -> int:
    """Write requests (POSTs other than queries) the emulator answered for the company."""
    stats = emulator.control("GET", f"stats?realm={realm_id}")
    return sum(sum(by_status.values()) for key, by_status in stats["requests"].items()
               if key.startswith("POST") and not key.endswith("/query"))


def total_requests(emulator: Any, realm_id: str) -> int:
    """Every Accounting API request the emulator answered for the company."""
    return emulator.control("GET", f"stats?realm={realm_id}")["requests_total"]


def start_worker(app: Any, *, burst: bool = True, cron: bool = False,
                 extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python worker.py`` (the real entry point) with the test app's settings."""
    cfg = app.config
    env = {**os.environ, "LEDGERHUB_ENV": "development", "SECRET_KEY": TEST_SECRET_KEY,
           "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": cfg["REDIS_URL"], "QBO_EMULATOR_URL": cfg["QBO_EMULATOR_URL"],
           "QBO_ENVIRONMENT": "emulator", "QBO_CLIENT_ID": cfg["QBO_CLIENT_ID"],
           "QBO_CLIENT_SECRET": cfg["QBO_CLIENT_SECRET"],
           "TOKEN_ENCRYPTION_KEY": cfg["TOKEN_ENCRYPTION_KEY"], "RQ_QUEUE": cfg["RQ_QUEUE"],
           "QBO_PUSH_LOCK_SECONDS": "3", "QBO_HTTP_TIMEOUT": "30", "QBO_BACKOFF_BASE": "0.01",
           **(extra_env or {})}
    args = ([sys.executable, "worker.py"] + ([] if cron else ["--no-cron"])
            + (["--burst"] if burst and not cron else []))
    return subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
