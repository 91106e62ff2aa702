"""What every payload builder shares, and the fingerprint of a record.

A payload is built from the record and a ``Refs`` resolver. Built with ``LocalRefs`` (local ids
in place of QBO ids), the same function yields the record's fingerprint, so "changed since it
was copied" and "nothing to send" are decided without asking QBO. Which function builds which
record's payload is written in ``app.sync.registry``; the builders are in ``app.sync.payloads``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from app.models import Fix, Invoice
from app.money import ZERO

Key = tuple[str, int]  # (entity_type, local id)


class NotSendable(Exception):
    """The record cannot be sent as it is; the message names the fix."""

    def __init__(self, message: str, fix: Fix | None = None, code: str = "local") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code


class Refs(Protocol):
    """Resolves references while a payload is built."""

    def ref(self, entity_type: str, local_id: int) -> dict[str, str]:
        """The QBO reference of a record the push creates or links (a dependency)."""

    def mapped(self, entity_type: str, local_id: int, what: str) -> dict[str, str]:
        """The QBO reference of a list entry that must be mapped (tax codes, accounts)."""

    def preference(self, key: str, what: str) -> dict[str, str]:
        """A default account or item chosen in the QBO settings."""

    def option(self, key: str, default: str) -> str:
        """A plain per-company option."""

    def invoice_tax(self, invoice: Invoice) -> dict[str, Any]:
        """Tax parts of an invoice: ``line_tax_codes`` and TxnTaxDetail / GlobalTaxCalculation."""

    def currency(self, code: str | None, rate: Decimal | None = None,
                 on: Any = None) -> dict[str, Any]:
        """CurrencyRef (+ ExchangeRate for a transaction dated ``on``) under multi-currency."""

    def owed_as(self, entity_type: str, local_id: int) -> str:
        """What an associate's expense or mileage becomes: "Bill" (owed) or "Purchase" (paid)."""


def clip(text: str | None, limit: int) -> str | None:
    """The text cut to QBO's field length (None for empty)."""
    return text[:limit] if text else None


def no_deps(_: Any) -> Iterable[Key]:
    """Dependencies of a record that refers to nothing."""
    return ()


class LocalRefs:
    """Refs that stand for local ids: the payload becomes a fingerprint of the record."""

    def ref(self, entity_type: str, local_id: int) -> dict[str, str]:
        """A stand-in reference."""
        return {"value": f"{entity_type}:{local_id}"}

    def mapped(self, entity_type: str, local_id: int, what: str) -> dict[str, str]:
        """A stand-in reference."""
        return {"value": f"{entity_type}:{local_id}"}

    def preference(self, key: str, what: str) -> dict[str, str]:
        """A stand-in reference."""
        return {"value": f"pref:{key}"}

    def option(self, key: str, default: str) -> str:
        """A stand-in option."""
        return f"option:{key}"

    def invoice_tax(self, invoice: Invoice) -> dict[str, Any]:
        """The local tax inputs: line taxability, the invoice's tax code and tax treatment."""
        inputs: dict[str, Any] = {
            "line_tax_codes": [{"value": str(line.taxable)} for line in invoice.lines],
            "tax_code": invoice.tax_code_id}
        if invoice.tax_calculation is not None:  # absent before it existed: same hash as then
            inputs["tax_calculation"] = invoice.tax_calculation
        return inputs

    def currency(self, code: str | None, rate: Decimal | None = None,
                 on: Any = None) -> dict[str, Any]:
        """Currency and rate as entered."""
        return {"currency": code, "rate": rate}

    def owed_as(self, entity_type: str, local_id: int) -> str:
        """One form for the fingerprint: the choice of Bill or Purchase is not a local edit."""
        return "Purchase"


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value != ZERO else "0"
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def fingerprint(entity_type: str, record: Any) -> str | None:
    """A hash of everything the record would send; None when it cannot be sent as is."""
    from app.sync.amounts import amount_problems
    from app.sync.registry import RECORD_TYPES

    if amount_problems(record):
        return None
    try:
        payload = RECORD_TYPES[entity_type].payload
        if payload is None:
            return None
        body = payload(record, LocalRefs())
    except NotSendable:
        return None
    text = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
