"""Every route, walked as anonymous, associate, QBO admin and owner."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from werkzeug.routing import Rule

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    CompanySettings,
    Contact,
    EventOutcome,
    ExchangeRate,
    ExpenseEntry,
    HoursEntry,
    Integration,
    Invoice,
    InvoiceLine,
    LineKind,
    MileageEntry,
    Organization,
    OrganizationCategory,
    PaymentMethod,
    PaymentTerm,
    POLine,
    PurchaseOrder,
    RunKind,
    RunStatus,
    SyncEvent,
    SyncRun,
    TaxCode,
    TxnClass,
)
from tests.conftest import Auth

ROLES = ["anonymous", "alex", "qboadmin", "owner"]
ALLOWED = {
    "public": set(ROLES),
    "login": {"alex", "qboadmin", "owner"},
    "manager": {"qboadmin", "owner"},
    "owner": {"owner"},
    "qbo_admin": {"qboadmin", "owner"},
    "qbo_owner": {"owner"},
    "qbo_self_push": {"alex", "qboadmin", "owner"},
}
SKIP = {"static"}
QBO_PREFIXES = ("/admin/qbo", "/my/qbo")


def _records(users: dict) -> dict[str, int]:
    """One of every record, so each URL parameter resolves to something real."""
    term = PaymentTerm(name="Net 30", due_days=30)
    code = BillingCode(code="Consulting", kind=BillingCodeKind.HOURLY)
    client = Client(name="Acme", payment_term=term)
    category = OrganizationCategory(name="Supplier")
    org = Organization(name="Northwind", category=category,
                       contacts=[Contact(name="Lee Park")])
    account = Account(name="Checking", account_type=AccountType.BANK)
    invoice = Invoice(number="1001", client=client, issue_date=date.today(),
                      lines=[InvoiceLine(kind=LineKind.HOURLY, hours=Decimal(1),
                                         rate=Decimal(100), billing_code=code)])
    po = PurchaseOrder(number="PO-1", organization=org, order_date=date.today(),
                       lines=[POLine(billing_code=code, quantity=Decimal(1),
                                     unit_cost=Decimal(5))])
    # On the post-import follow-up lists: no login, no rate, no category.
    imported = Associate(display_name="Imported Ivy")
    loose = Organization(name="Loose Vendor")
    rows = [term, code, client, category, org, account, invoice, po, imported, loose,
            TxnClass(name="Advisory"), TaxCode(code="TAX", name="Tax", rate_percent=Decimal(8)),
            PaymentMethod(name="Check")]
    db.session.add_all(rows)
    db.session.flush()
    ids = {
        "client_id": client.id, "organization_id": org.id, "contact_id": org.contacts[0].id,
        "invoice_id": invoice.id, "line_id": invoice.lines[0].id, "po_id": po.id,
        "purchase_order_id": po.id, "po_line_id": po.lines[0].id,
        "associate_id": users["alex"].id, "account_id": account.id,
        "record_id": code.id,  # catalog.edit, walked with kind=billing-codes
        "billing_code_id": code.id,
        "follow_up:associate_id": imported.id, "follow_up:organization_id": loose.id,
    }
    for name, user in users.items():
        for model, kw in ((HoursEntry, {"work_date": date.today(), "hours": Decimal(1)}),
                          (ExpenseEntry, {"expense_date": date.today(), "amount": Decimal(1)}),
                          (MileageEntry, {"trip_date": date.today(), "miles": Decimal(1),
                                          "rate_per_mile": Decimal(1)})):
            entry = model(associate_id=user.id, **kw)
            db.session.add(entry)
            db.session.flush()
            ids[f"{model.__tablename__}:{name}"] = entry.id
    run = SyncRun(kind=RunKind.PUSH, status=RunStatus.FAILED, scope={"records": []},
                  requested_by_id=users["alex"].id)
    db.session.add(run)
    db.session.flush()
    event = SyncEvent(run_id=run.id, entity_type="client", local_id=client.id, action="create",
                      outcome=EventOutcome.FAILED, label="Acme")
    db.session.add(event)
    db.session.flush()
    ids.update(run_id=run.id, event_id=event.id)
    rate = ExchangeRate(currency="CAD", home_currency="USD", rate=Decimal("0.73"),
                        as_of=date.today())
    db.session.add(rate)
    db.session.flush()
    ids["rate_id"] = rate.id
    db.session.commit()
    return ids


ENTRY_TABLES = {"hours": "hours_entries", "expenses": "expense_entries",
                "mileage": "mileage_entries"}


def _url(app: Flask, rule: Rule, ids: dict[str, int], role: str) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "entry_id":
            slug = rule.endpoint.split(".")[1].split("_")[0]
            owner = role if role in ("alex", "qboadmin", "owner") else "alex"
            values[arg] = ids[f"{ENTRY_TABLES[slug]}:{owner}"]
        elif rule.endpoint.startswith("qbo_import.follow_up_") and f"follow_up:{arg}" in ids:
            values[arg] = ids[f"follow_up:{arg}"]
        elif arg in ids:
            values[arg] = ids[arg]
        elif arg == "kind":
            values[arg] = "billing-codes"
        elif arg == "entity":
            values[arg] = ("hours" if rule.endpoint.startswith("qbo_push.push_mine")
                           else "client")
        elif arg == "local_id":
            values[arg] = (ids[f"hours_entries:{role if role != 'anonymous' else 'alex'}"]
                           if rule.endpoint.startswith("qbo_push.push_mine") else ids["client_id"])
        elif arg in ("run_id", "event_id"):
            values[arg] = ids[arg]
        else:
            pytest.fail(f"test_authz: no value for <{arg}> in {rule.rule}; add one to _records")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP]
    # Deleting comes late so the other routes still find their records; logging out last.
    return sorted(rules, key=lambda r: (r.endpoint == "auth.logout",
                                        "delete" in r.endpoint or "remove" in r.endpoint,
                                        r.rule))


def test_every_route_declares_its_access_level(app: Flask) -> None:
    """A route without a permission decorator is a bug: the walk would not cover it."""
    missing = [r.endpoint for r in _rules(app)
               if not hasattr(app.view_functions[r.endpoint], "access_level")]
    assert missing == []


def test_every_quickbooks_route_is_hidden_while_the_integration_is_none(app: Flask) -> None:
    """QuickBooks addresses use a qbo_* guard, so the walk below expects 404 for them all."""
    unguarded = [r.rule for r in _rules(app) if r.rule.startswith(QBO_PREFIXES)
                 and not app.view_functions[r.endpoint].access_level.startswith("qbo")]
    assert unguarded == []


def test_state_changing_routes_are_post_only(app: Flask) -> None:
    """No route changes state through GET: such endpoints accept POST and not GET."""
    for rule in _rules(app):
        view = rule.endpoint.rsplit(".", 1)[-1]
        if any(word in view for word in ("delete", "remove", "logout", "push", "retry",
                                         "disconnect", "enqueue", "finalize", "confirm")):
            assert "GET" not in rule.methods, rule.endpoint


@pytest.mark.parametrize("qbo_on", [False, True], ids=["qbo-off", "qbo-on"])
@pytest.mark.parametrize("role", ROLES)
def test_walk(app: Flask, auth: Auth, users: dict, role: str, qbo_on: bool) -> None:
    """Each role gets exactly the routes its level allows; no forbidden route answers 200."""
    settings = CompanySettings.load()
    settings.integration = Integration.QBO if qbo_on else Integration.NONE
    settings.associates_self_push = True
    db.session.commit()
    ids = _records(users)
    if role != "anonymous":
        auth.login(role)
    client = auth.client
    failures = []
    for rule in _rules(app):
        level = app.view_functions[rule.endpoint].access_level
        allowed = role in ALLOWED[level]
        qbo_route = level.startswith("qbo") or rule.rule.startswith(QBO_PREFIXES)
        if qbo_route and not qbo_on:
            allowed = False
        url = _url(app, rule, ids, role)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        status = response.status_code
        if rule.endpoint == "auth.login" and role != "anonymous":
            ok = status == 302
        elif allowed:
            ok = status < 500 and status not in (401, 403, 404, 405)
        elif role == "anonymous":
            ok = status == 302 and "/login" in response.headers.get("Location", "")
        else:
            hidden = qbo_route and not qbo_on
            ok = status == (404 if hidden else 403)
        if not ok:
            failures.append(f"{method} {url} [{level}] as {role}: {status}")
    assert failures == []
