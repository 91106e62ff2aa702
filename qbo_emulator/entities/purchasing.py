"""Purchase orders, bills and bill payments: links, PO status and bill balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import errors
from .common import WriteContext, ref_value


def prepare_po(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """POStatus is Open or Closed; LinkedTxn is kept by the service."""
    status = obj.get("POStatus") or (old or {}).get("POStatus") or "Open"
    if status not in ("Open", "Closed"):
        raise errors.QBOFault("2010", f"Invalid POStatus {status}", "POStatus")
    obj["POStatus"] = status
    if old is not None and old.get("LinkedTxn"):
        obj["LinkedTxn"] = old["LinkedTxn"]


def prepare_bill_links(ctx: WriteContext, bill: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Keep only valid PurchaseOrder links (same vendor, open or already linked); drop the rest."""
    vendor = ref_value(bill, "VendorRef")
    already = {link["TxnId"] for link in _po_links((old or {}).get("LinkedTxn"))}
    valid: dict[str, dict[str, Any]] = {}
    for link in _po_links(bill.get("LinkedTxn")):
        po = ctx.get("PurchaseOrder", link["TxnId"])
        if po is None or ref_value(po, "VendorRef") != vendor:
            continue
        if po.get("POStatus") == "Closed" and link["TxnId"] not in already:
            continue
        valid[link["TxnId"]] = po
    links = [{"TxnId": po_id, "TxnType": "PurchaseOrder"} for po_id in valid]
    # BillPayment links are read-only: keep the service's own, ignore what the client sent.
    payments = [
        link for link in (old or {}).get("LinkedTxn") or [] if link.get("TxnType") == "BillPayment"
    ]
    if links or payments:
        bill["LinkedTxn"] = links + payments
    else:
        bill.pop("LinkedTxn", None)
    for line in bill["Line"]:
        kept = []
        for link in _po_links(line.get("LinkedTxn")):
            po = valid.get(link["TxnId"])
            line_id = str(link.get("TxnLineId", ""))
            if po is not None and any(po_line.get("Id") == line_id for po_line in po["Line"]):
                kept.append(
                    {"TxnId": link["TxnId"], "TxnType": "PurchaseOrder", "TxnLineId": line_id}
                )
        if kept:
            line["LinkedTxn"] = kept
        else:
            line.pop("LinkedTxn", None)


def _po_links(links: Any) -> list[dict[str, Any]]:
    result = []
    for link in links or []:
        if isinstance(link, dict) and link.get("TxnType") == "PurchaseOrder" and link.get("TxnId"):
            result.append({**link, "TxnId": str(link["TxnId"])})
    return result


def refresh_purchase_orders(ctx: WriteContext, po_ids: set[str]) -> list[dict[str, Any]]:
    """Recompute LinkedTxn and status of the given POs from the bills; return changed POs."""
    changed = []
    bills = ctx.company.objects["Bill"].values()
    for po_id in sorted(po_ids):
        po = ctx.get("PurchaseOrder", po_id)
        if po is None:
            continue
        linking = [
            b
            for b in bills
            if any(link["TxnId"] == po_id for link in _po_links(b.get("LinkedTxn")))
        ]
        billed: dict[str, Decimal] = {}
        for bill in linking:
            for line in bill["Line"]:
                for link in _po_links(line.get("LinkedTxn")):
                    if link["TxnId"] == po_id:
                        key = link["TxnLineId"]
                        billed[key] = billed.get(key, Decimal("0")) + Decimal(line["Amount"])
        new = dict(po)
        links = [{"TxnId": b["Id"], "TxnType": "Bill"} for b in linking]
        if links:
            new["LinkedTxn"] = links
        else:
            new.pop("LinkedTxn", None)
        po_lines = [line for line in po["Line"] if line.get("Amount") is not None]
        if po_lines and all(
            billed.get(line["Id"], Decimal("-1")) >= Decimal(line["Amount"]) for line in po_lines
        ):
            new["POStatus"] = "Closed"
        if new != po:
            changed.append(new)
    return changed


def check_bill_payment(
    ctx: WriteContext, payment: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Each paid bill exists, belongs to the vendor, and is not overpaid."""
    vendor = ref_value(payment, "VendorRef")
    previous: dict[str, Decimal] = {}
    for line in (old or {}).get("Line", []):
        for link in line.get("LinkedTxn", []):
            previous[link["TxnId"]] = previous.get(link["TxnId"], Decimal("0")) + Decimal(
                line["Amount"]
            )
    for line in payment["Line"]:
        for link in line["LinkedTxn"]:
            bill = ctx.get("Bill", link["TxnId"])
            if bill is None:
                raise errors.invalid_ref("Line.LinkedTxn.TxnId", link["TxnId"])
            if ref_value(bill, "VendorRef") != vendor:
                raise errors.business("The bill belongs to another vendor.", "Line.LinkedTxn.TxnId")
            open_amount = Decimal(bill.get("Balance", 0)) + previous.get(
                link["TxnId"], Decimal("0")
            )
            if Decimal(line["Amount"]) > open_amount:
                raise errors.business(
                    f"The payment amount {line['Amount']} is more than the open balance "
                    f"{open_amount} of bill {link['TxnId']}.",
                    "Line.Amount",
                )


def bills_of(payment: dict[str, Any] | None) -> set[str]:
    """Ids of the bills a bill payment touches."""
    ids: set[str] = set()
    for line in (payment or {}).get("Line", []):
        for link in line.get("LinkedTxn", []):
            ids.add(str(link["TxnId"]))
    return ids


def pos_of(bill: dict[str, Any] | None) -> set[str]:
    """Ids of the purchase orders a bill links to."""
    return {link["TxnId"] for link in _po_links((bill or {}).get("LinkedTxn"))}


def refresh_bills(ctx: WriteContext, bill_ids: set[str]) -> list[dict[str, Any]]:
    """Recompute Balance and BillPayment links of bills; return the changed bills."""
    changed = []
    payments = ctx.company.objects["BillPayment"].values()
    for bill_id in sorted(bill_ids):
        bill = ctx.get("Bill", bill_id)
        if bill is None:
            continue
        paid = Decimal("0")
        links = []
        for payment in payments:
            amount = sum(
                (
                    Decimal(line["Amount"])
                    for line in payment["Line"]
                    if any(link["TxnId"] == bill_id for link in line.get("LinkedTxn", []))
                ),
                Decimal("0"),
            )
            if any(
                link["TxnId"] == bill_id
                for line in payment["Line"]
                for link in line.get("LinkedTxn", [])
            ):
                paid += amount
                links.append({"TxnId": payment["Id"], "TxnType": "BillPayment"})
        new = dict(bill)
        new["Balance"] = Decimal(bill["TotalAmt"]) - paid
        kept = [link for link in bill.get("LinkedTxn", []) if link.get("TxnType") != "BillPayment"]
        if kept + links:
            new["LinkedTxn"] = kept + links
        else:
            new.pop("LinkedTxn", None)
        if new != bill:
            changed.append(new)
    return changed
