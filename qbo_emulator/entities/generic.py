"""Writes to the XSD entities the emulator has no rules of its own for (Payment, Deposit, ...).

A real company holds them and a client may create them (qbo-api-notes "Entities a real company
holds"): the body is checked against the XSD (unknown property 2010, done by the caller),
references must exist, and the service completes what every transaction gets.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from .. import currency, errors, schema
from .common import WriteContext, money, number, ref_value, resolve_refs

# Entities whose total is not the sum of their lines (journal entries balance debits against
# credits; a payment's TotalAmt is what the customer paid, sent by the client).
TOTAL_FROM_CLIENT = frozenset({"JournalEntry", "Payment"})


def is_transaction(entity: str) -> bool:
    """True for entities derived from the XSD's Transaction type (deletable, dated)."""
    return "Transaction" in schema.bases(entity)


def name_list(entity: str) -> bool:
    """True for list entities with an Active flag (inactive rows hide from queries)."""
    return not is_transaction(entity) and "Active" in schema.properties(entity)


def prepare(
    ctx: WriteContext, entity: str, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Check references and complete a record of an entity without rules of its own."""
    resolve_refs(ctx, entity, obj)
    allowed = schema.properties(entity)
    if "Active" in allowed and not is_transaction(entity):
        obj.setdefault("Active", True)
    if not is_transaction(entity):
        return
    _txn_date(obj, ctx.moment.date())
    lines = _lines(obj, old)
    if "CurrencyRef" in allowed:
        # Intuit's reference for every transaction: "If not specified, the home currency".
        code = ref_value(obj, "CurrencyRef") or ctx.company.home_currency
        obj["CurrencyRef"] = currency.ref(code)
    if "TotalAmt" in allowed:
        if obj.get("TotalAmt") is not None:
            obj["TotalAmt"] = number(obj["TotalAmt"], "TotalAmt")
        elif entity not in TOTAL_FROM_CLIENT and lines:
            # "TotalAmt ... calculated by QuickBooks business logic" (Intuit API reference).
            obj["TotalAmt"] = money(sum((Decimal(line["Amount"]) for line in lines), Decimal(0)))


def _txn_date(obj: dict[str, Any], today: date) -> None:
    # Intuit's reference: "TxnDate ... If not supplied, the current date on the server is used."
    text = obj.get("TxnDate") or today.isoformat()
    try:
        obj["TxnDate"] = date.fromisoformat(str(text)[:10]).isoformat()
    except ValueError as exc:
        raise errors.QBOFault("2010", f"Invalid date {text}", "TxnDate") from exc


def _lines(obj: dict[str, Any], old: dict[str, Any] | None) -> list[dict[str, Any]]:
    raw = obj.get("Line")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise errors.QBOFault("2010", "Line must be a list", "Line")
    old_ids = {str(line.get("Id")) for line in (old or {}).get("Line", []) if line.get("Id")}
    next_id = max((int(i) for i in old_ids if i.isdigit()), default=0) + 1
    lines = []
    for position, line in enumerate(raw, start=1):
        if not isinstance(line, dict):
            raise errors.QBOFault("2010", "Line must be an object", "Line")
        line = dict(line)
        if line.get("Amount") is not None:
            line["Amount"] = number(line["Amount"], "Line.Amount")
        if str(line.get("Id")) not in old_ids:
            line["Id"] = str(next_id)
            next_id += 1
        line["LineNum"] = position
        lines.append(line)
    obj["Line"] = lines
    return [line for line in lines if line.get("Amount") is not None]
