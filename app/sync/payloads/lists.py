"""Billing codes, payment terms and classes as QBO items, terms and classes."""

from __future__ import annotations

from typing import Any

from app.models import BillingCode, PaymentTerm, TxnClass
from app.sync.entities import Refs, clip


def item(b: BillingCode, refs: Refs) -> dict[str, Any]:
    """Billing code -> Service item (sold; also purchasable when an expense account is set)."""
    body: dict[str, Any] = {"Name": b.code, "Type": "Service", "Active": b.active,
                            "Taxable": b.taxable,
                            "IncomeAccountRef": refs.preference("income_account",
                                                                "income account for new items")}
    if b.description:
        body["Description"] = clip(b.description, 4000)
    if b.default_rate is not None:
        body["UnitPrice"] = b.default_rate
    return body


def term(t: PaymentTerm, refs: Refs) -> dict[str, Any]:
    """Payment term -> Term."""
    return {"Name": t.name, "DueDays": t.due_days, "Active": t.active}


def qbo_class(c: TxnClass, refs: Refs) -> dict[str, Any]:
    """Class -> Class."""
    return {"Name": c.name, "Active": c.active}
