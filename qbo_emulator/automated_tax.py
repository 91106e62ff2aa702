"""US automated sales tax (AST): QBO picks the rate from an address, not from a tax code.

Intuit: US companies created since November 10, 2017 use the AST engine, told apart by
``Preferences.TaxPrefs.PartnerTaxEnabled``; the tax follows the destination address of the
sale (the transaction's shipping address, else the company address), the engine assigns the
tax code itself, and "whenever an explicit tax amount is sent in the transaction request the
AST engine honors the amount and prorates it across tax rates in the AST-assigned tax code"
(developer.intuit.com "Manage sales tax for US locales"; Intuit developer blog, 2017-12-11
"Using QuickBooks Online API for automated sales tax").

Emulator rules: the destination is the invoice's ship-to address (as sent, else the
customer's), else its bill-to address (as sent, else the customer's), else the company
address; the rate is one combined rate per US state from the table below (real AST resolves
city and county jurisdictions too); a US state outside the table, or an address outside the
US, is taxed at 0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .entities.common import WriteContext, money, ref_value

# state -> (TaxRate id, TaxCode id, name, percent). Texas keeps the ids every US company has.
STATE_RATES: dict[str, tuple[str, str, str, Decimal]] = {
    "TX": ("1", "2", "Texas", Decimal("8.25")),
    "CA": ("2", "3", "California", Decimal("7.25")),
    "NY": ("3", "4", "New York", Decimal("4")),
    "WA": ("4", "5", "Washington", Decimal("6.5")),
    "FL": ("5", "6", "Florida", Decimal("6")),
}
STATE_NAMES = {
    "TEXAS": "TX",
    "CALIFORNIA": "CA",
    "NEW YORK": "NY",
    "WASHINGTON": "WA",
    "FLORIDA": "FL",
}
US_COUNTRIES = ("", "US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA")


def seed(put: Any) -> None:
    """Add the state rate table (a TaxRate and a one-rate TaxCode per state) where missing."""
    for rate_id, code_id, name, percent in STATE_RATES.values():
        put(
            "TaxRate",
            rate_id,
            {
                "Name": f"{name} State",
                "Description": "Sales Tax",
                "RateValue": percent,
                "AgencyRef": {"value": "1"},
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
            },
        )
        put(
            "TaxCode",
            code_id,
            {
                "Name": name,
                "Description": f"{name} sales tax",
                "Taxable": True,
                "TaxGroup": True,
                "SalesTaxRateList": {
                    "TaxRateDetail": [
                        {
                            "TaxRateRef": {"value": rate_id},
                            "TaxTypeApplicable": "TaxOnAmount",
                            "TaxOrder": 0,
                        }
                    ]
                },
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            },
        )


def _state(address: Any) -> str | None:
    """The US state an address is in; '' for an address outside the US; None for no address."""
    if not isinstance(address, dict):
        return None
    region = str(address.get("CountrySubDivisionCode") or "").strip().upper()
    country = str(address.get("Country") or "").strip().upper()
    if not region and not country:
        return None
    if country not in US_COUNTRIES:
        return ""
    if not region:
        return None  # a US address without a state cannot be located: look further
    return STATE_NAMES.get(region, region)


def destination(ctx: WriteContext, obj: dict[str, Any]) -> str:
    """The state the sale is taxed in: ship-to, else bill-to, else the company address."""
    customer_id = ref_value(obj, "CustomerRef")
    customer = (ctx.get("Customer", customer_id) if customer_id else None) or {}
    info = ctx.get("CompanyInfo", "1") or {}
    for address in (
        obj.get("ShipAddr"),
        customer.get("ShipAddr"),
        obj.get("BillAddr"),
        customer.get("BillAddr"),
        info.get("CompanyAddr"),
    ):
        state = _state(address)
        if state is not None:
            return state
    return ""


def compute(
    ctx: WriteContext, obj: dict[str, Any], taxable: Decimal, sent_total: Decimal | None
) -> dict[str, Any]:
    """TxnTaxDetail for a US invoice: the address's rate on the TAX lines, or the sent total.

    The request's TxnTaxCodeRef is ignored: the engine assigns the state's code.
    """
    found = STATE_RATES.get(destination(ctx, obj))
    if found is None:
        total = money(sent_total) if sent_total is not None else Decimal("0")
        return {"TotalTax": total, "TaxLine": []}
    rate_id, code_id, _name, percent = found
    tax = money(taxable * percent / 100) if sent_total is None else money(sent_total)
    line = {
        "Amount": tax,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": rate_id},
            "PercentBased": True,
            "TaxPercent": percent,
            "NetAmountTaxable": taxable,
        },
    }
    return {"TxnTaxCodeRef": {"value": code_id}, "TotalTax": tax, "TaxLine": [line]}
