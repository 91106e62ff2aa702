"""Importing QBO lists and parties into Ledgerhub, against the emulator over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    EventOutcome,
    LinkOrigin,
    LinkState,
    Organization,
    PaymentMethod,
    PaymentTerm,
    PermissionLevel,
    QboLink,
    QboObject,
    RunStatus,
    SyncEvent,
    TaxCode,
    TxnClass,
)
from app.sync.importer import steps_from_scope
from app.sync.lists import cache_age, refresh_lists
from app.sync.registry import CACHED_QBO_ENTITIES as ALL_ENTITIES
from tests.sync.import_support import (
    api,
    bulk_customers,
    connect_company,
    import_steps,
    qbo_client,
    query_requests,
    request_count,
    use_dev_client,
)


@pytest.fixture()
def dev_app(app: Flask, emulator: Any, enable_qbo: None,
            monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app using the emulator's development client, QBO integration on."""
    use_dev_client(app, emulator, monkeypatch)
    return app


def _cached(realm: str, entity: str) -> dict[str, QboObject]:
    rows = db.session.scalars(select(QboObject).where(QboObject.realm_id == realm,
                                                      QboObject.entity == entity))
    return {row.name: row for row in rows}


def test_refresh_lists_caches_every_list_with_inactive_rows_and_tax_rates(
        dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Cache Co")
    cust = api(emulator, realm, "POST", "customer",
               {"DisplayName": "Gone O'Brien", "PrimaryEmailAddr": {"Address": "g@x.test"},
                "PrimaryPhone": {"FreeFormNumber": "(555) 010-2000"}})["Customer"]
    api(emulator, realm, "POST", "customer", {"Id": cust["Id"], "SyncToken": cust["SyncToken"],
                                              "sparse": True, "Active": False})
    with qbo_client(dev_app, realm) as client:
        counts = refresh_lists(client, db.session, realm, ALL_ENTITIES)
    assert counts["Account"] == 21 and counts["Term"] == 4 and counts["Customer"] == 34
    accounts = _cached(realm, "Account")
    assert accounts["Checking"].subtype == "Bank"
    assert accounts["Checking"].data["AccountSubType"] == "Checking"
    items = _cached(realm, "Item")
    assert items["Design"].subtype == "Service" and items["Design"].data["UnitPrice"] == "75"
    assert items["Design"].data["IncomeAccountRef"] == accounts["Services"].qbo_id
    texas = _cached(realm, "TaxCode")["Texas"]
    assert texas.data["rate_percent"] == "8.25"
    assert texas.data["sales_rates"][0]["name"] == "Texas State"
    gone = _cached(realm, "Customer")["Gone O'Brien (deleted)"]
    assert gone.active is False and gone.data["email"] == "g@x.test"
    assert gone.data["phone"] == "(555) 010-2000"
    assert _cached(realm, "Employee")["Renée O'Neil"].data["GivenName"] == "Renée"
    assert cache_age(db.session, realm, "Customer") is not None
    # A second refresh updates in place.
    with qbo_client(dev_app, realm) as client:
        refresh_lists(client, db.session, realm, ["Customer"])
    assert len(_cached(realm, "Customer")) == 34


def _links(realm: str, entity_type: str) -> dict[int, QboLink]:
    rows = db.session.scalars(select(QboLink).where(QboLink.realm_id == realm,
                                                    QboLink.entity_type == entity_type))
    return {link.local_id: link for link in rows}


def test_first_import_of_a_seeded_company(dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Seeded Co")
    run = import_steps(realm, "lists")
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.summary["attention"] == 0
    accounts = {a.name: a for a in db.session.scalars(select(Account))}
    assert accounts["Checking"].account_type == AccountType.BANK
    assert "Opening Balance Equity" not in accounts  # Equity: skipped, still cached
    skipped = db.session.scalars(select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.outcome == EventOutcome.SKIPPED)).all()
    assert any("Equity" in (e.message or "") for e in skipped)
    codes = {c.code: c for c in db.session.scalars(select(BillingCode))}
    assert codes["Design"].kind == BillingCodeKind.HOURLY
    assert codes["Design"].default_rate == Decimal("75.00")
    terms = {t.name: t.due_days for t in db.session.scalars(select(PaymentTerm))}
    assert terms == {"Due on receipt": 0, "Net 15": 15, "Net 30": 30, "Net 60": 60}
    assert {c.name for c in db.session.scalars(select(TxnClass))} >= {"Consulting", "Remote"}
    assert len(db.session.scalars(select(PaymentMethod)).all()) == 6
    texas = db.session.scalar(select(TaxCode).where(TaxCode.code == "Texas"))
    assert texas.rate_percent == Decimal("8.25")
    assert all(link.origin == LinkOrigin.IMPORTED
               for link in _links(realm, "billing_code").values())
    # Terms, payment methods, classes, the five state codes of automated sales tax (Texas,
    # California, New York, Washington, Florida) and items; TAX and NON only mark US lines
    # taxable, so they are skipped with the reason.
    assert run.summary["added"] == (run.summary["by_entity"]["Account"]["added"]
                                    + 4 + 6 + 4 + 5 + 11)
    assert sum("only marks US invoice lines" in (e.message or "") for e in skipped) == 2
    assert db.session.scalar(select(TaxCode).where(TaxCode.code == "TAX")) is None

    run = import_steps(realm, "clients", "organizations", "associates")
    assert run.status == RunStatus.SUCCEEDED, run.message
    clients = {c.name: c for c in db.session.scalars(select(Client))}
    assert len(clients) == 33
    assert "Zoë Müller GmbH" in clients and "東京デザイン株式会社" in clients
    assert "Søren O'Connor & Sons" in clients
    amy = clients["Amy's Bird Sanctuary"]
    assert amy.email == "amysbirdsanctuary@example.com" and amy.currency == "USD"
    assert "Sub-customer of Freeman Sporting Goods" in clients["55 Twin Lane"].notes
    assert len(db.session.scalars(select(Organization)).all()) == 23
    renee = db.session.scalar(select(Associate).where(Associate.display_name == "Renée O'Neil"))
    assert renee.first_name == "Renée" and renee.username is None
    assert renee.password_hash is None and renee.permission == PermissionLevel.ASSOCIATE
    assert run.summary == {**run.summary, "added": 33 + 23 + 4, "linked": 0,
                           "already_linked": 0, "attention": 0}
    link = _links(realm, "client")[amy.id]
    assert link.state == LinkState.SYNCED and link.sync_token == "0"  # noqa: S105


def test_reimport_after_changes_on_both_sides(dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Changes Co", seed="empty")
    first = api(emulator, realm, "POST", "customer", {
        "DisplayName": "Original Ltd", "PrimaryEmailAddr": {"Address": "o@x.test"}})["Customer"]
    run = import_steps(realm, "lists", "clients")
    assert run.summary["added"] >= 1
    original = db.session.scalar(select(Client).where(Client.name == "Original Ltd"))
    # Changes in Ledgerhub: the imported client is edited, one new client typed in by hand
    # that QBO also has (same name and phone), one look-alike with no confirming detail.
    original.notes = "edited here"
    db.session.add_all([
        Client(name="Hand Typed Inc", phone="+1 (555) 123-4567"),
        Client(name="Maybe Same LLC", email="other@x.test"),
    ])
    db.session.commit()
    # Changes in QBO: the linked customer renamed, three new customers, one made inactive.
    api(emulator, realm, "POST", "customer", {"Id": first["Id"], "SyncToken": "0",
                                              "sparse": True, "DisplayName": "Renamed Ltd"})
    api(emulator, realm, "POST", "customer", {"DisplayName": "hand  typed inc",
                                              "PrimaryPhone": {"FreeFormNumber": "555-123-4567"}})
    api(emulator, realm, "POST", "customer", {"DisplayName": "Maybe Same LLC",
                                              "PrimaryEmailAddr": {"Address": "m@x.test"}})
    gone = api(emulator, realm, "POST", "customer", {"DisplayName": "Closed Shop"})["Customer"]
    api(emulator, realm, "POST", "customer", {"Id": gone["Id"], "SyncToken": "0",
                                              "sparse": True, "Active": False})
    run = import_steps(realm, "clients")
    assert run.status == RunStatus.SUCCEEDED, run.message
    summary = run.summary
    assert (summary["added"], summary["linked"], summary["already_linked"],
            summary["attention"]) == (1, 1, 1, 1)
    db.session.expire_all()
    original = db.session.get(Client, original.id)
    assert original.name == "Original Ltd" and original.notes == "edited here"  # untouched
    hand = db.session.scalar(select(Client).where(Client.name == "Hand Typed Inc"))
    assert _links(realm, "client")[hand.id].origin == LinkOrigin.MATCHED
    closed = db.session.scalar(select(Client).where(Client.name == "Closed Shop (deleted)"))
    assert closed is not None and closed.active is False
    maybe = db.session.scalars(select(Client).where(Client.name == "Maybe Same LLC")).all()
    assert len(maybe) == 1 and maybe[0].id not in _links(realm, "client")
    attention = db.session.scalars(select(SyncEvent).where(
        SyncEvent.action == "attention", SyncEvent.resolved.is_(False))).all()
    assert [(e.label, e.local_id) for e in attention] == [("Maybe Same LLC", maybe[0].id)]
    # A third run changes nothing and does not duplicate the open question.
    run = import_steps(realm, "clients")
    assert (run.summary["added"], run.summary["already_linked"], run.summary["attention"]) \
        == (0, 3, 1)
    assert len(db.session.scalars(select(SyncEvent).where(
        SyncEvent.action == "attention", SyncEvent.resolved.is_(False))).all()) == 1
    assert len(db.session.scalars(select(Client)).all()) == 4


def test_names_are_stored_exactly(dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Names Co", seed="empty")
    long_name = "Ω" + "x" * 98 + "é"
    for name in (long_name, "Mc'Donald’s \"Quotes\"", "Tab-free  double  space"):
        api(emulator, realm, "POST", "vendor", {"DisplayName": name})
    api(emulator, realm, "POST", "employee", {"GivenName": "Zoë", "FamilyName": "D'Arcy"})
    run = import_steps(realm, "organizations", "associates")
    assert run.status == RunStatus.SUCCEEDED
    names = set(db.session.scalars(select(Organization.name)))
    assert names == {long_name, "Mc'Donald’s \"Quotes\"", "Tab-free  double  space"}
    assert len(long_name) == 100
    assert db.session.scalar(select(Associate).where(Associate.display_name == "Zoë D'Arcy"))
    # Made inactive, QBO appends " (deleted)": all 110 characters are kept.
    gone = api(emulator, realm, "POST", "vendor", {"DisplayName": "L" * 100})["Vendor"]
    api(emulator, realm, "POST", "vendor", {"Id": gone["Id"], "SyncToken": "0",
                                            "sparse": True, "Active": False})
    run = import_steps(realm, "organizations")
    assert run.summary["added"] == 1 and run.summary["attention"] == 0
    kept = db.session.scalar(select(Organization).where(Organization.name.like("LLL%")))
    assert kept.name == "L" * 100 + " (deleted)" and kept.active is False


def test_list_names_match_unlinked_local_records(dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Lists Co")
    net30 = PaymentTerm(name="net 30", due_days=30)
    design = BillingCode(code="Design", kind=BillingCodeKind.HOURLY,
                         default_rate=Decimal("80"))
    db.session.add_all([net30, design])
    db.session.commit()
    run = import_steps(realm, "lists")
    assert run.summary["linked"] == 2
    assert _links(realm, "payment_term")[net30.id].origin == LinkOrigin.MATCHED
    db.session.refresh(design)
    assert design.default_rate == Decimal("80.00")  # a linked local record is not changed
    assert len(db.session.scalars(select(PaymentTerm)).all()) == 4


def test_a_failed_push_link_is_reused_by_a_match(dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Failed Co", seed="empty")
    mine = Client(name="Pushed Once", email="p@x.test")
    db.session.add(mine)
    db.session.flush()
    db.session.add(QboLink(realm_id=realm, entity_type="client", local_id=mine.id,
                           state=LinkState.FAILED, last_error="6240 Duplicate Name Exists"))
    db.session.commit()
    api(emulator, realm, "POST", "customer", {"DisplayName": "Pushed Once",
                                              "PrimaryEmailAddr": {"Address": "P@x.test"}})
    run = import_steps(realm, "clients")
    assert run.summary["linked"] == 1
    link = _links(realm, "client")[mine.id]
    assert link.qbo_id and link.state == LinkState.SYNCED and link.last_error is None


def test_unknown_step_fails_the_run_clearly(dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Bad Co", seed="empty")
    with pytest.raises(ValueError, match="Unknown import step"):
        steps_from_scope({"steps": ["everything"]})
    assert realm


@pytest.mark.slow
def test_ten_thousand_customers_in_eleven_queries(dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Big Co", seed="empty")
    bulk_customers(emulator, realm, 10_000)
    before = query_requests(request_count(emulator, realm))
    run = import_steps(realm, "clients")
    queries = query_requests(request_count(emulator, realm)) - before
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert queries <= 11
    assert run.summary["added"] == 10_000 and run.done == 10_000
    assert db.session.scalar(select(func.count(Client.id))) == 10_000
    assert db.session.scalar(select(func.count(QboLink.id))) == 10_000
    # A re-run after a crash finds everything imported and adds nothing twice.
    run = import_steps(realm, "clients")
    assert run.summary["already_linked"] == 10_000 and run.summary["added"] == 0


def test_an_interrupted_import_keeps_its_pages_and_a_rerun_finishes(
        dev_app: Flask, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.sync import importer

    realm = connect_company(dev_app, emulator, "Crash Co", seed="empty")
    bulk_customers(emulator, realm, 25)
    monkeypatch.setattr(importer, "PAGE_SIZE", 10)
    original = importer.Importer._write
    calls = {"n": 0}

    def crash_on_third_page(self: Any, entity: str, decisions: list[Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker lost")
        original(self, entity, decisions)

    monkeypatch.setattr(importer.Importer, "_write", crash_on_third_page)
    run = import_steps(realm, "clients")
    assert run.status == RunStatus.FAILED
    assert db.session.scalar(select(func.count(Client.id))) == 20
    monkeypatch.setattr(importer.Importer, "_write", original)
    run = import_steps(realm, "clients")
    assert run.status == RunStatus.SUCCEEDED
    assert (run.summary["added"], run.summary["already_linked"]) == (5, 20)
    assert db.session.scalar(select(func.count(Client.id))) == 25
