"""Pre-flight refusals per record, and the go-live readiness checklist (failing, then fixed)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import event, select

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    InvoiceLine,
    LineKind,
    LinkOrigin,
    LinkState,
    MileageEntry,
    Organization,
    PaymentTerm,
    POLine,
    PurchaseOrder,
    QboLink,
    QboObject,
    TaxCode,
    TxnClass,
)
from app.models.base import utcnow
from app.sync import mappings
from app.sync.currency import add_rate
from app.sync.lookups import memoized_lookups
from app.sync.preflight import Problem, check_record
from app.sync.readiness import readiness
from tests.support import fix_path

REALM = "9130000000000002"


def connect(country: str = "US", home: str = "USD", multicurrency: bool = False) -> None:
    """The connection row for REALM."""
    from app.models import ConnectionStatus, QboConnection

    db.session.add(QboConnection(realm_id=REALM, environment="emulator",
                                 status=ConnectionStatus.CONNECTED, company_name="Test Co",
                                 access_token_enc="x", refresh_token_enc="x",  # noqa: S106
                                 access_expires_at=utcnow() + timedelta(hours=1),
                                 country=country, home_currency=home,
                                 multicurrency_enabled=multicurrency))
    db.session.flush()


def qbo(entity: str, qbo_id: str, name: str, *, active: bool = True,
        subtype: str | None = None, currency: str | None = None,
        fetched: Any = None) -> QboObject:
    """A cached QBO row of REALM."""
    row = QboObject(realm_id=REALM, entity=entity, qbo_id=qbo_id, name=name, active=active,
                    sync_token="0",  # noqa: S106 - a QBO SyncToken
                    subtype=subtype, currency=currency, data={},
                    fetched_at=fetched or utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def link(entity_type: str, local_id: int, qbo_id: str,
         origin: LinkOrigin = LinkOrigin.PUSHED) -> None:
    """A link of REALM."""
    db.session.add(QboLink(realm_id=REALM, entity_type=entity_type, local_id=local_id,
                           qbo_id=qbo_id, origin=origin, state=LinkState.SYNCED))
    db.session.flush()


def codes(problems: list[Problem]) -> list[str]:
    """The problem codes, in order."""
    return [p.code for p in problems]


def invoice(client: Client, *lines: InvoiceLine, **kw: Any) -> Invoice:
    """An invoice for a client."""
    row = Invoice(number=kw.pop("number", "1001"), client=client, issue_date=date(2026, 3, 2),
                  currency=kw.pop("currency", client.currency), lines=list(lines), **kw)
    db.session.add(row)
    db.session.flush()
    return row


def hours_line(code: BillingCode | None, taxable: bool = False) -> InvoiceLine:
    """One hour at 100."""
    return InvoiceLine(kind=LineKind.HOURLY, hours=Decimal(1), rate=Decimal(100),
                       billing_code=code, taxable=taxable)


def test_party_names_and_collisions(app_ctx: Flask) -> None:
    connect()
    acme = Client(name="Acme")
    twin = Organization(name="  ACME ")
    bad = Client(name="Acme: East")
    person = Associate(display_name="Lee", first_name="", last_name="")
    db.session.add_all([acme, twin, bad, person])
    db.session.flush()
    problems = check_record(db.session, REALM, "client", acme)
    assert codes(problems) == ["duplicate_name"]
    assert "organization “  ACME ”" in problems[0].message
    assert fix_path(problems[0].fix) == f"/clients/{acme.id}"
    assert codes(check_record(db.session, REALM, "client", bad)) == ["invalid_name"]
    assert codes(check_record(db.session, REALM, "associate", person)) == ["employee_name"]
    twin.name = "Acme Supplies"
    assert check_record(db.session, REALM, "client", acme) == []


def test_name_taken_by_another_kind_of_party_in_qbo(app_ctx: Flask) -> None:
    connect()
    client = Client(name="Kestrel")
    db.session.add(client)
    qbo("Vendor", "41", "kestrel")
    db.session.flush()
    problems = check_record(db.session, REALM, "client", client)
    assert codes(problems) == ["duplicate_name"]
    assert "QuickBooks already has a vendor" in problems[0].message
    link("client", client.id, "7")
    assert check_record(db.session, REALM, "client", client) == []


def test_foreign_currency_needs_multicurrency(app_ctx: Flask) -> None:
    connect(multicurrency=False)
    client = Client(name="Maple", currency="CAD")
    db.session.add(client)
    db.session.flush()
    problems = check_record(db.session, REALM, "client", client)
    assert codes(problems) == ["multicurrency_off"]
    assert "multi-currency is off in QuickBooks" in problems[0].message
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    mappings.set_preference(db.session, REALM, "income_account", "1")
    inv = invoice(client, hours_line(code))
    assert codes(check_record(db.session, REALM, "invoice", inv)) == ["multicurrency_off"]


def test_linked_party_currency_must_match_qbo(app_ctx: Flask) -> None:
    connect(multicurrency=True)
    org = Organization(name="Northwind", currency="EUR")
    db.session.add(org)
    db.session.flush()
    qbo("Vendor", "9", "Northwind", currency="GBP")
    link("organization", org.id, "9")
    problems = check_record(db.session, REALM, "organization", org)
    assert codes(problems) == ["currency_mismatch"]
    assert "Set it back to GBP" in problems[0].message
    check = _by_key(readiness(db.session, REALM))["currencies"]
    assert (check.ok, check.count) == (False, 1)
    assert "currency mismatch: “Northwind” is EUR here but its QuickBooks vendor #9 is GBP" \
        in check.message


def test_invoice_currency_and_exchange_rate(app_ctx: Flask) -> None:
    connect(multicurrency=True)
    client = Client(name="Maple", currency="CAD")
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    db.session.add_all([client, code])
    mappings.set_preference(db.session, REALM, "income_account", "1")
    inv = invoice(client, hours_line(code))
    problems = check_record(db.session, REALM, "invoice", inv)
    assert codes(problems) == ["exchange_rate_missing"]
    assert fix_path(problems[0].fix) == "/admin/qbo/settings/rates"
    add_rate(db.session, "CAD", "USD", Decimal("0.73"), date(2026, 3, 5))
    assert codes(check_record(db.session, REALM, "invoice", inv)) == ["exchange_rate_missing"]
    add_rate(db.session, "CAD", "USD", Decimal("0.72"), date(2026, 3, 1))
    assert check_record(db.session, REALM, "invoice", inv) == []
    other = invoice(client, hours_line(code), number="1002", currency="EUR",
                    exchange_rate=Decimal("1.1"))
    assert codes(check_record(db.session, REALM, "invoice", other)) == ["currency_differs"]
    entered = Client(name="Euro Co", currency="EUR")
    db.session.add(entered)
    ok = invoice(entered, hours_line(code), number="1003", exchange_rate=Decimal("1.08"))
    assert check_record(db.session, REALM, "invoice", ok) == []


def test_invoice_lists_must_be_mapped_or_creatable(app_ctx: Flask) -> None:
    connect()
    client = Client(name="Acme")
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    tax = TaxCode(code="TX", name="Texas", rate_percent=Decimal("8.25"))
    term = PaymentTerm(name="Net 30")
    klass = TxnClass(name="Advisory")
    db.session.add_all([client, code, tax, term, klass])
    inv = invoice(client, hours_line(code, taxable=True), tax_code=tax, payment_term=term,
                  txn_class=klass)
    problems = check_record(db.session, REALM, "invoice", inv)
    assert codes(problems) == ["default_missing", "not_mapped"]
    assert "tax codes are read-only" in problems[1].message
    assert fix_path(problems[1].fix) == "/admin/qbo/settings/mappings#tax-codes"
    qbo("TaxCode", "2", "Texas")
    qbo("Item", "5", "Design", active=False)
    mappings.set_mapping(db.session, REALM, "tax_code", tax.id, "2")
    mappings.set_mapping(db.session, REALM, "billing_code", code.id, "5")
    problems = check_record(db.session, REALM, "invoice", inv)
    assert codes(problems) == ["qbo_inactive"]
    assert "inactive in QuickBooks" in problems[0].message
    db.session.get(QboObject, _obj_id("Item", "5")).active = True
    assert check_record(db.session, REALM, "invoice", inv) == []
    empty = invoice(client, number="1002")
    assert codes(check_record(db.session, REALM, "invoice", empty)) == ["no_lines"]
    no_code = invoice(client, hours_line(None), number="1003")
    problems = check_record(db.session, REALM, "invoice", no_code)
    assert codes(problems) == ["no_item"] and "Line 1 has no billing code" in problems[0].message


def test_a_run_reads_each_default_and_link_once(app_ctx: Flask) -> None:
    """Inside a run, checking more invoices and lines asks the database nothing more."""
    connect()
    design, build = (BillingCode(code=c, kind=BillingCodeKind.HOURLY) for c in ("Design", "Build"))
    acme = Client(name="Acme")
    db.session.add_all([design, build, acme])
    db.session.flush()
    rows = [invoice(acme, *(hours_line(code) for code in (design, build, design, build)),
                    number=f"20{n:02d}") for n in range(6)]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with memoized_lookups(db.session):
            first = codes(check_record(db.session, REALM, "invoice", rows[0]))
            asked = len(statements)
            rest = [codes(check_record(db.session, REALM, "invoice", row)) for row in rows[1:]]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # No income account yet: each creatable billing code is refused, and every invoice says so.
    assert first == ["default_missing", "default_missing"]
    assert rest == [first] * 5
    assert asked > 0 and len(statements) == asked, statements[asked:]


def _obj_id(entity: str, qbo_id: str) -> int:
    return db.session.scalar(select(QboObject.id).where(QboObject.entity == entity,
                                                        QboObject.qbo_id == qbo_id))


def test_non_us_lines_all_need_tax_codes(app_ctx: Flask) -> None:
    connect(country="AU", home="AUD")
    client = Client(name="Cool Cars", currency="AUD")
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    db.session.add_all([client, code])
    mappings.set_preference(db.session, REALM, "income_account", "1")
    inv = invoice(client, hours_line(code, taxable=True), hours_line(code))
    assert codes(check_record(db.session, REALM, "invoice", inv)) == [
        "tax_code_missing", "default_missing"]
    gst = TaxCode(code="GST", name="GST", rate_percent=Decimal(10))
    db.session.add(gst)
    inv.tax_code = gst
    qbo("TaxCode", "3", "GST")
    qbo("TaxCode", "4", "Zero-rated")
    mappings.set_mapping(db.session, REALM, "tax_code", gst.id, "3")
    mappings.set_preference(db.session, REALM, "exempt_tax_code", "4")
    assert check_record(db.session, REALM, "invoice", inv) == []


def test_entries_need_their_default_accounts(app_ctx: Flask, users: dict) -> None:
    connect()
    alex = users["alex"]
    expense = ExpenseEntry(associate=alex, expense_date=date(2026, 3, 2), amount=Decimal(5))
    miles = MileageEntry(associate=alex, trip_date=date(2026, 3, 2), miles=Decimal(10),
                         rate_per_mile=Decimal("0.7"))
    hours = HoursEntry(associate=alex, work_date=date(2026, 3, 2), hours=Decimal(2))
    db.session.add_all([expense, miles, hours])
    db.session.flush()
    # Owed to the associate (a bill, the default): no payment account is involved.
    assert codes(check_record(db.session, REALM, "expense", expense)) == ["default_missing"]
    mappings.set_preference(db.session, REALM, "associate_expenses_as", "purchase")
    assert codes(check_record(db.session, REALM, "expense", expense)) == [
        "default_missing", "default_missing"]
    problems = check_record(db.session, REALM, "mileage", miles)
    assert codes(problems) == ["default_missing"]
    assert fix_path(problems[0].fix) == "/admin/qbo/settings/defaults"
    assert check_record(db.session, REALM, "hours", hours) == []
    qbo("Account", "1", "Visa", subtype="Credit Card")
    qbo("Account", "2", "Travel", subtype="Expense")
    qbo("Item", "3", "Mileage")
    mappings.set_preference(db.session, REALM, "expense_payment_account", "1")
    mappings.set_preference(db.session, REALM, "expense_account", "2")
    assert codes(check_record(db.session, REALM, "expense", expense)) == ["payment_account"]
    mappings.set_preference(db.session, REALM, "expense_payment_type", "CreditCard")
    mappings.set_preference(db.session, REALM, "mileage_item", "3")
    assert check_record(db.session, REALM, "expense", expense) == []
    assert check_record(db.session, REALM, "mileage", miles) == []


def test_purchase_order_accounts_must_be_mapped(app_ctx: Flask) -> None:
    connect()
    org = Organization(name="Northwind")
    account = Account(name="Supplies", account_type=AccountType.EXPENSE)
    po = PurchaseOrder(number="PO-1", organization=org, order_date=date(2026, 3, 2),
                       lines=[POLine(account=account, quantity=Decimal(2),
                                     unit_cost=Decimal("4.50"))])
    db.session.add(po)
    db.session.flush()
    assert codes(check_record(db.session, REALM, "purchase_order", po)) == ["not_mapped"]
    qbo("Account", "8", "Supplies", subtype="Expense")
    qbo("Account", "9", "Payables", subtype="Accounts Payable", active=False)
    mappings.accept_suggestions(db.session, REALM, "account")
    mappings.set_preference(db.session, REALM, "ap_account", "9")
    assert codes(check_record(db.session, REALM, "purchase_order", po)) == ["qbo_inactive"]
    db.session.get(QboObject, _obj_id("Account", "9")).active = True
    assert check_record(db.session, REALM, "purchase_order", po) == []
    po.lines.append(POLine(quantity=Decimal(1), unit_cost=Decimal(1)))
    assert codes(check_record(db.session, REALM, "purchase_order", po)) == ["no_item"]


def _by_key(checks: list) -> dict[str, Any]:
    return {c.key: c for c in checks}


def test_readiness_each_check_fails_then_passes(app_ctx: Flask) -> None:
    checks = _by_key(readiness(db.session, REALM))
    assert not checks["connected"].ok and fix_path(checks["connected"].fix) == "/admin/qbo/"
    connect(multicurrency=False)
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    tax = TaxCode(code="TX", name="Texas", rate_percent=Decimal("8.25"))
    client = Client(name="Acme", currency="CAD", tax_code=tax)
    org = Organization(name="acme")
    term = PaymentTerm(name="Net 30")
    db.session.add_all([code, tax, client, org, term])
    qbo("Term", "3", "Net 30", active=False)
    db.session.flush()
    mappings.set_mapping(db.session, REALM, "payment_term", term.id, "3")
    checks = _by_key(readiness(db.session, REALM))
    assert checks["connected"].ok
    failing = {k for k, c in checks.items() if not c.ok}
    assert failing == {"lists", "map_payment_term", "map_tax_code", "names", "currencies",
                       "defaults"}
    assert checks["lists"].count == 4  # Account, Item, Class, TaxCode
    assert checks["map_tax_code"].count == 1 and "TX" in checks["map_tax_code"].message
    assert checks["names"].count == 1 and "(2×)" in checks["names"].message
    assert fix_path(checks["currencies"].fix) == f"/clients/{client.id}"
    assert checks["defaults"].count == 6
    assert checks["map_billing_code"].ok  # unmapped items are created by the push

    for entity, qbo_id, name, subtype in (
            ("Account", "1", "A/R", "Accounts Receivable"), ("Account", "2", "A/P",
                                                              "Accounts Payable"),
            ("Account", "3", "Checking", "Bank"), ("Account", "4", "Expenses", "Expense"),
            ("Account", "5", "Sales", "Income"), ("Item", "6", "Mileage", "Service"),
            ("Class", "7", "Advisory", None), ("TaxCode", "8", "Texas", None)):
        qbo(entity, qbo_id, name, subtype=subtype)
    db.session.get(QboObject, _obj_id("Term", "3")).active = True
    mappings.set_mapping(db.session, REALM, "tax_code", tax.id, "8")
    org.name = "Acme Supplies"
    client.currency = "USD"
    assert mappings.save_defaults(db.session, REALM, {
        "ar_account": "1", "ap_account": "2", "expense_payment_account": "3",
        "expense_account": "4", "income_account": "5", "mileage_item": "6"}) == {}
    checks = readiness(db.session, REALM)
    assert [c.name for c in checks if not c.ok] == []
    assert all(c.count == 0 for c in checks)


def test_readiness_flags_stale_lists_and_missing_rates(app_ctx: Flask) -> None:
    connect(multicurrency=True)
    old = utcnow() - timedelta(days=3)
    for entity in ("Account", "Item", "Term", "Class", "TaxCode"):
        qbo(entity, "1", f"{entity} one", fetched=old)
    db.session.add(Client(name="Maple", currency="CAD"))
    db.session.flush()
    checks = _by_key(readiness(db.session, REALM))
    assert checks["lists"].count == 5 and "older than 24 hours" in checks["lists"].message
    assert not checks["rates"].ok and "CAD" in checks["rates"].message
    assert checks["currencies"].ok
    add_rate(db.session, "CAD", "USD", Decimal("0.72"), date.today())
    for row in db.session.scalars(select(QboObject)):
        row.fetched_at = utcnow()
    checks = _by_key(readiness(db.session, REALM))
    assert checks["lists"].ok and checks["rates"].ok
