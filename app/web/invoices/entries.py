"""Invoice lines billed from My History entries, and what QuickBooks holds of those entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    EntryStatus,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    InvoiceLine,
    LineKind,
    MileageEntry,
)
from app.web.qbo_push.targets import qbo_state

# (noun, model, date column, the line's column that remembers the entry)
_SOURCES = (("hours", HoursEntry, "work_date", "hours_entry_id"),
            ("expense", ExpenseEntry, "expense_date", "expense_entry_id"),
            ("mileage", MileageEntry, "trip_date", "mileage_entry_id"))


def open_entries(client_id: int) -> list[tuple[str, Any]]:
    """The client's open billable hours, expenses and mileage, each kind by date."""
    found: list[tuple[str, Any]] = []
    for noun, model, date_column, _ in _SOURCES:
        found += [(noun, entry) for entry in db.session.scalars(
            select(model).where(model.client_id == client_id,
                                model.status == EntryStatus.OPEN, model.billable.is_(True))
            .order_by(getattr(model, date_column), model.id))]
    return found


def line_for_entry(entry: Any, position: int) -> InvoiceLine:
    """An invoice line billing one entry, remembering which entry it came from."""
    if isinstance(entry, HoursEntry):
        code = entry.billing_code
        rate = entry.rate
        if rate is None:
            rate = (code.default_rate if code is not None else None) or entry.associate.hourly_rate
        return InvoiceLine(position=position, kind=LineKind.HOURLY,
                           associate_id=entry.associate_id, service_date=entry.work_date,
                           billing_code_id=entry.billing_code_id, description=entry.description,
                           hours=entry.hours, rate=rate, hours_entry_id=entry.id,
                           taxable=bool(code is not None and code.taxable))
    if isinstance(entry, ExpenseEntry):
        code = entry.billing_code
        return InvoiceLine(position=position, kind=LineKind.EXPENSE,
                           associate_id=entry.associate_id, service_date=entry.expense_date,
                           billing_code_id=entry.billing_code_id, description=entry.description,
                           expense_amount=entry.amount, expense_entry_id=entry.id,
                           taxable=bool(code is not None and code.taxable))
    return InvoiceLine(position=position, kind=LineKind.MILEAGE, associate_id=entry.associate_id,
                       service_date=entry.trip_date, description=entry.description,
                       miles=entry.miles, rate=entry.rate_per_mile, mileage_entry_id=entry.id)


def reopen_entry(line: InvoiceLine) -> bool:
    """A deleted line's entry can be billed again: back to open. True if there was one."""
    for _, model, _, column in _SOURCES:
        entry_id = getattr(line, column)
        entry: Any = db.session.get(model, entry_id) if entry_id else None
        if entry is not None and entry.status == EntryStatus.INVOICED:
            entry.status = EntryStatus.OPEN
            return True
    return False


def time_states(invoice: Invoice) -> dict[int, str]:
    """For each line billed from hours: what QuickBooks holds of that time, in words."""
    states: dict[int, str] = {}
    for line in invoice.lines:
        entry = line.hours_entry
        if entry is None:
            continue
        qbo = qbo_state("hours", entry)
        if qbo.link is None or not qbo.link.qbo_id:
            states[line.id] = "Time not in QuickBooks"
        elif qbo.state in ("failed", "pending"):
            states[line.id] = (f"Time #{qbo.link.qbo_id} not yet marked billed in QuickBooks: "
                               f"{qbo.link.last_error or 'its last update did not finish'}")
        elif qbo.state == "changed":
            states[line.id] = (f"Time #{qbo.link.qbo_id} still billable in QuickBooks: "
                               "copying this invoice marks it billed")
        else:
            states[line.id] = f"Time #{qbo.link.qbo_id} marked billed in QuickBooks"
    return states
