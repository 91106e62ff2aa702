"""A record that already holds a number no form accepts today: its pages open, its push fails
that record with a message and the rest of the run goes on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import (
    CompanySettings,
    EventOutcome,
    ExpenseEntry,
    MileageEntry,
    RunStatus,
    SyncEvent,
)
from tests.conftest import Auth
from tests.support import fix_path
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import link_of, push, qbo_rows, set_defaults


def _not_finite() -> Decimal:
    """What the database can hold that no amount should be: SQLite keeps an infinite REAL,
    PostgreSQL keeps NaN in a constrained numeric (it refuses infinity there)."""
    return Decimal("Infinity") if db.engine.dialect.name == "sqlite" else Decimal("NaN")


@pytest.fixture()
def damaged(app_ctx: Flask, users: dict) -> dict[str, Any]:
    """A sound expense, an expense with a non-finite amount, mileage with a non-finite rate."""
    alex = users["alex"]
    rows = {
        "good": ExpenseEntry(associate=alex, expense_date=date(2026, 11, 2),
                             amount=Decimal("12.40"), description="Parking"),
        "bad": ExpenseEntry(associate=alex, expense_date=date(2026, 11, 3),
                            amount=_not_finite(), description="Broken amount"),
        "trip": MileageEntry(associate=alex, trip_date=date(2026, 11, 3), miles=Decimal("10"),
                             rate_per_mile=_not_finite(), description="Broken rate"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return rows


def test_pages_of_a_damaged_entry_still_open(auth: Auth, damaged: dict) -> None:
    client = auth.login("alex")
    listing = client.get("/my/expenses")
    assert listing.status_code == 200 and "Broken amount" in listing.get_data(as_text=True)
    assert client.get("/my/mileage").status_code == 200
    edit = client.get(f"/my/expenses/{damaged['bad'].id}")
    assert edit.status_code == 200
    assert f"The stored {_not_finite()} cannot be kept" in edit.get_data(as_text=True)
    trip = client.get(f"/my/mileage/{damaged['trip'].id}").get_data(as_text=True)
    assert "cannot be kept" in trip
    fixed = client.post(f"/my/expenses/{damaged['bad'].id}",
                        data={"expense_date": "2026-11-03", "amount": "8.00"})
    assert fixed.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExpenseEntry, damaged["bad"].id).amount == Decimal("8.00")


def test_pushing_a_damaged_entry_fails_that_entry_only(
        app: Flask, auth: Auth, damaged: dict, emulator: Any, enable_qbo: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    use_dev_client(app, emulator, monkeypatch)
    realm = connect_company(app, emulator, "Damaged Co")
    set_defaults(emulator, realm)
    CompanySettings.load().associates_self_push = True
    db.session.commit()
    run = push([("expense", damaged["bad"].id), ("expense", damaged["good"].id),
                ("mileage", damaged["trip"].id)])
    assert run.status == RunStatus.PARTIAL and run.failed_count == 2, run.message
    assert link_of(realm, "expense", damaged["good"].id).qbo_id is not None
    # Owed to the associate (the default): a bill payable to their vendor record.
    [bill] = qbo_rows(emulator, realm, "Bill")
    assert Decimal(str(bill["TotalAmt"])) == Decimal("12.40")
    # By kind and id: an expense and a mileage entry may share an id (PostgreSQL sequences).
    failures = {(e.entity_type, e.local_id): e for e in db.session.scalars(
        db.select(SyncEvent).where(SyncEvent.outcome == EventOutcome.FAILED))}
    bad, trip = ("expense", damaged["bad"].id), ("mileage", damaged["trip"].id)
    assert set(failures) == {bad, trip}
    assert "Amount" in failures[bad].message
    assert "Rate per mile" in failures[trip].message
    assert fix_path(failures[bad].fix) == f"/my/expenses/{damaged['bad'].id}"
    client = auth.login("owner")
    log = client.get("/admin/qbo/log?outcome=failed").get_data(as_text=True)
    assert "is not an amount Ledgerhub can copy" in log
