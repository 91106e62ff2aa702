"""Invoice numbers in QuickBooks: ours, or someone else's.

Ledgerhub sends its own invoice number as ``DocNumber`` and QBO keeps it. QBO refuses a number
it already has (6140), and with custom transaction numbers on it continues from the highest
number it has seen, so an invoice typed in QuickBooks can take a number Ledgerhub uses later.
A number held in QBO is either an earlier copy of the same invoice (it carries Ledgerhub's
marker for that invoice: link it, never create another) or someone else's invoice (fail that
record, name the QBO invoice and say where to renumber).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.models import Fix, FixCode
from app.qbo.client import QBOClient
from app.qbo.faults import QBOError
from app.qbo.query import where_in

MARKER = "Ledgerhub ref "
# QBO documents no limit on IN lists; 100 numbers of at most 21 characters keep a query
# near 3 KB (sent as a POST body), far below any proxy's limit, and under the 1000-row page.
IN_CHUNK = 100
_TXN_ID = re.compile(r"TxnId\s*=\s*([0-9]+)")


def marker(request_id: str) -> str:
    """The text a transaction carries to prove which Ledgerhub write created it."""
    return f"{MARKER}{request_id}"


def record_marker(entity_type: str, local_id: int) -> str:
    """The start every marker of one local record shares (see sending.new_request_id)."""
    return f"{MARKER}lh-{entity_type[:8]}-{local_id}-"


def lookup(client: QBOClient, numbers: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """QBO invoices holding any of these numbers, by number (one query per 100 numbers)."""
    wanted = sorted({n for n in numbers if n})
    wheres = [where_in("DocNumber", wanted[start:start + IN_CHUNK])
              for start in range(0, len(wanted), IN_CHUNK)]
    found: dict[str, list[dict[str, Any]]] = {}
    for row in client.query_rows_many("Invoice", wheres):
        found.setdefault(str(row.get("DocNumber")), []).append(row)
    return found


def is_ours(row: dict[str, Any], entity_type: str, local_id: int, request_id: str | None,
            customer_id: str | None) -> bool:
    """Whether a QBO invoice is an earlier copy of this local invoice.

    The marker of the pending write proves it; a marker of another write of the same local
    record counts when the customer is the one the client is linked to.
    """
    note = str(row.get("PrivateNote") or "")
    if request_id and marker(request_id) in note:
        return True
    customer = str((row.get("CustomerRef") or {}).get("value") or "")
    return record_marker(entity_type, local_id) in note and bool(customer_id) \
        and customer == customer_id


def conflicting_id(fault: QBOError) -> str | None:
    """The TxnId a 6140 names ("DocNumber=1001 is assigned to TxnType=Invoice with TxnId=57")."""
    for text in (fault.detail, fault.message, *(e.get("detail") for e in fault.errors)):
        match = _TXN_ID.search(str(text or ""))
        if match:
            return match.group(1)
    return None


def read_invoice(client: QBOClient, qbo_id: str | None) -> dict[str, Any] | None:
    """The QBO invoice a 6140 names, or None when it cannot be read."""
    if not qbo_id:
        return None
    try:
        return client.read("Invoice", qbo_id)
    except QBOError:
        return None


def extra_copy_message(row: dict[str, Any], linked_id: str) -> str:
    """A second QBO copy of an invoice that is already linked (left by an earlier failure)."""
    return (f"QuickBooks has a second copy of this invoice, {describe(row)}, besides the linked "
            f"#{linked_id}. Void or delete the extra copy in QuickBooks, then Add QBO again.")


def renumber_fix(local_id: int) -> Fix:
    """Fixed on the invoice's page, at its number field."""
    return Fix(FixCode.RENUMBER_INVOICE, "invoice", local_id)


def describe(row: dict[str, Any] | None, qbo_id: str | None = None) -> str:
    """Name a QBO invoice: its number, Id, customer and date, as far as known."""
    if row is None:
        return f"invoice #{qbo_id}" if qbo_id else "another invoice"
    facts = [f"#{row.get('Id')}"]
    customer = (row.get("CustomerRef") or {}).get("name")
    if customer:
        facts.append(f"customer “{customer}”")
    if row.get("TxnDate"):
        facts.append(f"dated {row['TxnDate']}")
    return f"invoice {row.get('DocNumber')} ({', '.join(facts)})"


def taken_message(number: str, row: dict[str, Any] | None, qbo_id: str | None = None) -> str:
    """Why an invoice cannot be copied under its number, and what to do."""
    return (f"Invoice number {number} is already used in QuickBooks by {describe(row, qbo_id)}, "
            "which Ledgerhub did not create. QuickBooks refuses a second invoice with the same "
            "number: give this invoice another number (Fix), then Add QBO again.")
