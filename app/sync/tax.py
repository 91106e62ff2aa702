"""Invoice tax and totals exactly as QBO computes them, and the tax parts of a QBO payload.

QBO's arithmetic (and the emulator's): every line Amount is round(Qty x UnitPrice, 2).
- US: lines carry TAX or NON; the transaction tax code (a code or group of rates) applies to
  the sum of the TAX lines, rounded half-up to the cent once per rate.
- Elsewhere: every line carries a tax code; GlobalTaxCalculation says whether the amounts
  exclude tax (tax is added) or include it (tax is extracted). QuickBooks' global editions
  compute and round the tax of every line separately, then add the rounded figures up
  (Intuit's Canadian community answer "QuickBooks Online will always calculate line-by-line":
  https://quickbooks.intuit.com/learn-support/en-ca/sales-customers/if-my-subtotal-is-95-40-and-my-gst-hst-is-15-the-total-tax/01/306952
  shows 31 lines of 1.59 at 12% giving 9.71, not 9.73 on the sum; Teachworks' notes for
  global QBO users say the same, including for inclusive amounts:
  https://teachworks.zendesk.com/hc/en-us/articles/360004869654). How QBO splits an
  inclusive amount is not documented; both Ledgerhub and the emulator take, per line and per
  rate, round_half_up(amount x rate / (1 + sum of the code's rates)) - for one rate that is
  amount - amount / (1 + rate). Ledgerhub never trusts this blindly: after a copy it compares
  its figures with QBO's TotalAmt and TotalTax and flags any difference.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.money import CENT, ZERO, format_percent, round_cents, to_decimal

EXCLUDED = "TaxExcluded"
INCLUSIVE = "TaxInclusive"
NOT_APPLICABLE = "NotApplicable"
GLOBAL_MODES = (EXCLUDED, INCLUSIVE, NOT_APPLICABLE)
# The choices an invoice offers (outside the US), as the invoice page names them.
TAX_CALCULATIONS = {EXCLUDED: "Exclusive of tax", INCLUSIVE: "Inclusive of tax"}
US_COUNTRIES = ("US", "USA", "UNITED STATES")

# One tax rate of a tax code: (rate key, percent). Two codes sharing a rate share its base.
RateList = Sequence[tuple[str, Decimal]]
Hashable = Any  # a tax code key: a local id, a QBO id, or None for "no tax"


@dataclass(frozen=True)
class Totals:
    """An invoice's subtotal (sum of line amounts), tax and total."""

    subtotal: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Drift:
    """Ledgerhub's and QBO's figures when they differ by a cent or more."""

    local_total: Decimal
    qbo_total: Decimal
    local_tax: Decimal
    qbo_tax: Decimal

    @property
    def message(self) -> str:
        """Both figures, for the sync log and the record."""
        parts = []
        if self.local_total != self.qbo_total:
            parts.append(f"total {self.local_total} here, {self.qbo_total} in QuickBooks")
        if self.local_tax != self.qbo_tax:
            parts.append(f"tax {self.local_tax} here, {self.qbo_tax} in QuickBooks")
        return "Amounts differ: " + "; ".join(parts) + "."


def _context() -> decimal.Context:
    # QBO-side arithmetic uses Python's default 28 digits; pin it so a caller's context
    # cannot change a rounding.
    return decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


def us_totals(lines: Iterable[tuple[Decimal, bool]], txn_rates: RateList) -> Totals:
    """US model: (amount, taxable) lines; the transaction code's rates apply to TAX lines."""
    with decimal.localcontext(_context()):
        subtotal = ZERO
        taxable = ZERO
        for amount, is_taxable in lines:
            subtotal += amount
            if is_taxable:
                taxable += amount
        tax = sum((round_cents(taxable * to_decimal(pct) / 100) for _, pct in txn_rates), ZERO)
        return Totals(round_cents(subtotal), tax, round_cents(subtotal + tax))


def line_taxes(amount: Decimal, rates: RateList, mode: str) -> list[Decimal]:
    """The tax of one line for each of its code's rates, each rounded half-up to the cent."""
    if mode == NOT_APPLICABLE or not rates:
        return []
    with decimal.localcontext(_context()):
        percents = [to_decimal(pct) for _, pct in rates]
        if mode == EXCLUDED:
            return [round_cents(amount * pct / 100) for pct in percents]
        gross = 1 + sum(percents, ZERO) / 100
        return [round_cents(amount * (pct / 100) / gross) for pct in percents]


def global_totals(lines: Iterable[tuple[Decimal, Hashable]], code_rates: Mapping[Any, RateList],
                  mode: str = EXCLUDED) -> Totals:
    """Non-US model: (amount, tax code key) lines, tax-exclusive or tax-inclusive amounts."""
    if mode not in GLOBAL_MODES:
        raise ValueError(f"GlobalTaxCalculation must be one of {', '.join(GLOBAL_MODES)}")
    with decimal.localcontext(_context()):
        subtotal = ZERO
        tax = ZERO
        for amount, code in lines:
            subtotal += amount
            tax += sum(line_taxes(amount, code_rates.get(code, ()), mode), ZERO)
        total = subtotal + tax if mode == EXCLUDED else subtotal
        return Totals(round_cents(subtotal), tax, round_cents(total))


def local_rates(invoice: Any) -> dict[Any, RateList]:
    """Rates from the invoice's local tax code (one rate, its percentage)."""
    code = invoice.tax_code
    if code is None or not code.taxable:
        return {}
    return {code.id: [(f"local-{code.id}", to_decimal(code.rate_percent))]}


def invoice_totals(invoice: Any, *, us: bool, global_tax: str = EXCLUDED,
                   rates: Mapping[Any, RateList] | None = None) -> Totals:
    """An invoice's totals as QBO will compute them.

    ``rates`` maps a local tax code id to its QBO rates (see ``qbo_rates``); by default the
    local code's own percentage is used. Outside the US, taxable lines carry the invoice's
    tax code and the other lines a code without rates (exempt / zero-rated).
    """
    code_rates = rates if rates is not None else local_rates(invoice)
    code = invoice.tax_code
    code_id = code.id if code is not None and code.taxable else None
    amounts = [(line.amount, bool(line.taxable)) for line in invoice.lines]
    if us:
        txn_rates = code_rates.get(code_id, ()) if code_id is not None else ()
        return us_totals(amounts, txn_rates)
    keyed = [(amount, code_id if taxable else None) for amount, taxable in amounts]
    return global_totals(keyed, code_rates, global_tax)


def default_tax_calculation(session: DbSession) -> str | None:
    """The connected company's default GlobalTaxCalculation; None in the US or unconnected."""
    from app.qbo.connection import current_connection
    from app.sync.mappings import preference

    connection = current_connection(session)
    if connection is None or (connection.country or "US").upper() in US_COUNTRIES:
        return None
    return preference(session, connection.realm_id, "global_tax_calculation") or EXCLUDED


def _money(value: Any) -> Decimal:
    return round_cents(to_decimal(value if value is not None else 0))


def compare(local: Totals, qbo_invoice: Mapping[str, Any]) -> Drift | None:
    """A Drift when QBO's TotalAmt or TxnTaxDetail.TotalTax differs from ours by >= 1 cent."""
    qbo_total = _money(qbo_invoice.get("TotalAmt"))
    qbo_tax = _money((qbo_invoice.get("TxnTaxDetail") or {}).get("TotalTax"))
    if abs(qbo_total - local.total) >= CENT or abs(qbo_tax - local.tax) >= CENT:
        return Drift(local.total, qbo_total, local.tax, qbo_tax)
    return None


def tax_fields(invoice: Any, *, us: bool, txn_tax_code: str | None = None,
               line_tax_code: str | None = None, exempt_tax_code: str | None = None,
               global_tax: str = EXCLUDED, override: bool = False,
               totals: Totals | None = None) -> dict[str, Any]:
    """The tax parts of an Invoice payload.

    Returns ``{"line_tax_codes": [TaxCodeRef per invoice line, in order],
    "TxnTaxDetail": {...}, "GlobalTaxCalculation": ...}`` (keys only when needed).
    US: lines get TAX/NON and ``txn_tax_code`` (the QBO id the invoice's tax code maps to)
    becomes TxnTaxCodeRef. Elsewhere: taxable lines get ``line_tax_code`` (that same mapped
    id), the others ``exempt_tax_code``. With ``override`` the local tax (``totals.tax``) is
    sent as TxnTaxDetail.TotalTax.
    """
    taxable_code = invoice.tax_code is not None and invoice.tax_code.taxable
    refs: list[dict[str, str] | None] = []
    detail: dict[str, Any] = {}
    result: dict[str, Any] = {}
    if us:
        for line in invoice.lines:
            refs.append({"value": "TAX" if line.taxable and taxable_code else "NON"})
        if txn_tax_code and taxable_code:
            detail["TxnTaxCodeRef"] = {"value": txn_tax_code}
    else:
        if global_tax not in GLOBAL_MODES:
            raise ValueError(f"GlobalTaxCalculation must be one of {', '.join(GLOBAL_MODES)}")
        result["GlobalTaxCalculation"] = global_tax
        for line in invoice.lines:
            code = line_tax_code if line.taxable and taxable_code else exempt_tax_code
            refs.append({"value": code} if code else None)
    if override:
        local = totals or invoice_totals(invoice, us=us, global_tax=global_tax)
        detail["TotalTax"] = local.tax
    if detail:
        result["TxnTaxDetail"] = detail
    result["line_tax_codes"] = refs
    return result


# ---------------------------------------------------------------- rates from the QBO cache


def _percent(value: Any) -> Decimal | None:
    try:
        result = to_decimal(value)
    except (decimal.InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def rates_of(session: DbSession, realm_id: str, tax_code: Any) -> list[tuple[str, Decimal]]:
    """The sales rates of a cached QBO TaxCode (QboObject), as (TaxRate id, percent)."""
    from app.models import QboObject

    data = tax_code.data or {}
    found: list[tuple[str, Decimal]] = []
    simple = data.get("sales_rates", data.get("rates"))
    if isinstance(simple, list):
        for entry in simple:
            if not isinstance(entry, dict):
                continue
            ref = entry.get("TaxRateRef")
            rate_id = (ref.get("value") if isinstance(ref, dict) else None) or entry.get("id")
            pct = _percent(entry.get("RateValue", entry.get("rate", entry.get("percent"))))
            if pct is not None:
                found.append((str(rate_id or len(found)), pct))
        return found
    details = (data.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    for entry in details:
        ref = entry.get("TaxRateRef") if isinstance(entry, dict) else None
        rate_id = str(ref.get("value")) if isinstance(ref, dict) else None
        if rate_id is None:
            continue
        pct = _percent(entry.get("RateValue")) if "RateValue" in entry else None
        if pct is None:
            rate = session.scalars(
                select(QboObject).where(QboObject.realm_id == realm_id,
                                        QboObject.entity == "TaxRate",
                                        QboObject.qbo_id == rate_id)
            ).first()
            pct = _percent((rate.data or {}).get("RateValue")) if rate is not None else None
        if pct is not None:
            found.append((rate_id, pct))
    return found


def qbo_percent(session: DbSession, realm_id: str, tax_code: Any) -> Decimal | None:
    """The total sales rate of a cached QBO TaxCode in percent; None when the cache lacks it."""
    rates = rates_of(session, realm_id, tax_code)
    if rates:
        return sum((pct for _, pct in rates), ZERO)
    data = tax_code.data or {}
    listed = data.get("sales_rates")
    # No sales rate at all (out of scope) is 0%; rates whose percentage is unknown are unknown.
    return ZERO if isinstance(listed, list) and not listed else None


def rate_difference(local: Any, qbo_pct: Decimal | None) -> str | None:
    """Why a local tax code and the QBO code it maps to charge differently, or None."""
    local_pct = to_decimal(local.rate_percent) if local.taxable else ZERO
    if qbo_pct is None or qbo_pct == local_pct:
        return None
    return (f"Rates differ: QuickBooks charges {format_percent(qbo_pct)}, Ledgerhub "
            f"{format_percent(local_pct)} for {local.code}.")


def qbo_rates(session: DbSession, realm_id: str) -> dict[int, list[tuple[str, Decimal]]]:
    """Local tax code id -> the rates of the QBO tax code it is mapped to (cached lists)."""
    from app.models import QboLink, QboObject

    links = session.scalars(
        select(QboLink).where(QboLink.realm_id == realm_id, QboLink.entity_type == "tax_code")
    )
    result: dict[int, list[tuple[str, Decimal]]] = {}
    for link in links:
        obj = session.scalars(
            select(QboObject).where(QboObject.realm_id == realm_id,
                                    QboObject.entity == "TaxCode",
                                    QboObject.qbo_id == link.qbo_id)
        ).first()
        if obj is not None:
            result[link.local_id] = rates_of(session, realm_id, obj)
    return result
