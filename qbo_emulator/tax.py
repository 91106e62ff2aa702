"""Sales tax: US TAX/NON lines with a transaction tax code (manual) or an address (automated),
or per-line codes elsewhere."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import automated_tax, errors
from .entities.common import WriteContext, money, ref_value

TAXABLE_DETAILS = (
    "SalesItemLineDetail",
    "ItemBasedExpenseLineDetail",
    "AccountBasedExpenseLineDetail",
)


def _rates(ctx: WriteContext, code: dict[str, Any], sales: bool) -> list[tuple[str, Decimal]]:
    key = "SalesTaxRateList" if sales else "PurchaseTaxRateList"
    details = (code.get(key) or {}).get("TaxRateDetail") or []
    result = []
    for detail in details:
        rate_id = ref_value(detail, "TaxRateRef")
        rate = ctx.get("TaxRate", rate_id) if rate_id else None
        if rate is not None:
            result.append((rate["Id"], Decimal(rate.get("RateValue", 0))))
    return result


def _tax_line(rate_id: str, percent: Decimal, tax: Decimal, net: Decimal) -> dict[str, Any]:
    return {
        "Amount": tax,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": rate_id},
            "PercentBased": True,
            "TaxPercent": percent,
            "NetAmountTaxable": net,
        },
    }


def compute(
    ctx: WriteContext, entity: str, obj: dict[str, Any], lines: list[dict[str, Any]]
) -> Decimal:
    """Fill TxnTaxDetail and return the tax to add to the line total (0 when tax-inclusive)."""
    if ctx.company.us:
        return _us(ctx, entity, obj, lines)
    return _global(ctx, entity, obj, lines)


def _detail(line: dict[str, Any]) -> dict[str, Any] | None:
    kind = line.get("DetailType")
    return line.get(kind) if kind in TAXABLE_DETAILS else None


def _us(
    ctx: WriteContext, entity: str, obj: dict[str, Any], lines: list[dict[str, Any]]
) -> Decimal:
    detail_in = obj.get("TxnTaxDetail") or {}
    if entity != "Invoice":
        obj.pop("TxnTaxDetail", None)
        return Decimal("0")
    automated = ctx.company.automated_tax
    taxable = Decimal("0")
    for line in lines:
        detail = _detail(line)
        if detail is None:
            continue
        line_code = ref_value(detail, "TaxCodeRef") or "NON"
        if line_code not in ("TAX", "NON"):
            if not automated:
                raise errors.business(
                    "US line TaxCodeRef must be TAX or NON.",
                    f"Line.{line['DetailType']}.TaxCodeRef",
                )
            line_code = "NON"  # automated sales tax ignores line codes other than TAX/NON
        detail["TaxCodeRef"] = {"value": line_code}
        if line_code == "TAX":
            taxable += Decimal(line["Amount"])
    if automated:
        sent = detail_in.get("TotalTax")
        detail_out = automated_tax.compute(
            ctx, obj, taxable, None if sent is None else _override(detail_in, Decimal("0"))
        )
        obj["TxnTaxDetail"] = detail_out
        return Decimal(detail_out["TotalTax"])
    result: dict[str, Any] = {}
    total = Decimal("0")
    code_id = ref_value(detail_in, "TxnTaxCodeRef")
    if code_id is not None:
        code = ctx.get("TaxCode", code_id)
        if code is None:
            raise errors.invalid_ref("TxnTaxDetail.TxnTaxCodeRef", code_id)
        if code_id in ("TAX", "NON"):
            raise errors.business(
                "TxnTaxCodeRef must name a sales tax code or group, not TAX/NON.",
                "TxnTaxDetail.TxnTaxCodeRef",
            )
        if code.get("Active") is False:
            raise errors.inactive_ref("TxnTaxDetail.TxnTaxCodeRef", code_id)
        result["TxnTaxCodeRef"] = {"value": code_id}
        tax_lines = []
        for rate_id, percent in _rates(ctx, code, sales=True):
            tax = money(taxable * percent / 100)
            total += tax
            tax_lines.append(_tax_line(rate_id, percent, tax, taxable))
        result["TaxLine"] = tax_lines
        total = _override(detail_in, total)
    result["TotalTax"] = total
    obj["TxnTaxDetail"] = result
    return total


def _override(detail_in: dict[str, Any], computed: Decimal) -> Decimal:
    """A TotalTax sent with the transaction replaces the computed tax (QBO's tax override)."""
    sent = detail_in.get("TotalTax")
    if sent is None:
        return computed
    try:
        return money(Decimal(str(sent)))
    except ArithmeticError:
        raise errors.business("TotalTax must be a number.", "TxnTaxDetail.TotalTax") from None


def _global(
    ctx: WriteContext, entity: str, obj: dict[str, Any], lines: list[dict[str, Any]]
) -> Decimal:
    mode = obj.get("GlobalTaxCalculation") or "TaxExcluded"
    if mode not in ("TaxExcluded", "TaxInclusive", "NotApplicable"):
        raise errors.QBOFault(
            "2010", f"Invalid GlobalTaxCalculation {mode}", "GlobalTaxCalculation"
        )
    obj["GlobalTaxCalculation"] = mode
    if mode == "NotApplicable":
        obj["TxnTaxDetail"] = {"TotalTax": Decimal("0")}
        return Decimal("0")
    sales = entity == "Invoice"
    # Emulator rule (QBO's global editions tax line by line; the split of an inclusive amount
    # is undocumented): per line and rate, round_half_up(amount x rate), or for inclusive
    # amounts round_half_up(amount x rate / (1 + the code's summed rates)); then summed.
    per_rate: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for line in lines:
        detail = _detail(line)
        if detail is None:
            continue
        element = f"Line.{line['DetailType']}.TaxCodeRef"
        code_id = ref_value(detail, "TaxCodeRef")
        if code_id is None:
            raise errors.business("Make sure all your transactions have a GST/VAT rate.", element)
        code = ctx.get("TaxCode", code_id)
        if code is None:
            raise errors.invalid_ref(element, code_id)
        amount = Decimal(line["Amount"])
        rates = _rates(ctx, code, sales)
        gross = 1 + sum((percent for _, percent in rates), Decimal("0")) / 100
        line_taxes = [
            (rate_id, percent, money(amount * percent / 100) if mode == "TaxExcluded"
             else money(amount * (percent / 100) / gross))
            for rate_id, percent in rates
        ]
        net = amount if mode == "TaxExcluded" else amount - sum(t for _, _, t in line_taxes)
        for rate_id, percent, tax in line_taxes:
            old_tax, old_net, _ = per_rate.get(rate_id, (Decimal("0"), Decimal("0"), percent))
            per_rate[rate_id] = (old_tax + tax, old_net + net, percent)
    total = Decimal("0")
    tax_lines = []
    for rate_id, (tax, net, percent) in sorted(per_rate.items()):
        total += tax
        tax_lines.append(_tax_line(rate_id, percent, tax, net))
    if mode == "TaxExcluded":
        total = _override(obj.get("TxnTaxDetail") or {}, total)
    detail_out: dict[str, Any] = {"TotalTax": total, "TaxLine": tax_lines}
    code_ref = ref_value(obj.get("TxnTaxDetail") or {}, "TxnTaxCodeRef")
    if code_ref:
        detail_out["TxnTaxCodeRef"] = {"value": code_ref}
    obj["TxnTaxDetail"] = detail_out
    return total if mode == "TaxExcluded" else Decimal("0")
