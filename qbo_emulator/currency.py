"""Multi-currency rules: fixed party currencies, transaction currency, exchange rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import errors
from .entities.common import money, number, ref_value
from .store import Company

NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "INR": "Indian Rupee",
    "MXN": "Mexican Peso",
    "JPY": "Japanese Yen",
    "CHF": "Swiss Franc",
}


def ref(code: str) -> dict[str, str]:
    """A CurrencyRef for a currency code."""
    return {"value": code, "name": NAMES.get(code, code)}


def _known(code: str, element: str) -> str:
    if code not in NAMES:
        raise errors.QBOFault("2500", f"Invalid currency code {code}", element)
    return code


def party_currency(company: Company, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Customer/Vendor currency: home unless multi-currency; fixed once created."""
    home = company.home_currency
    previous = ref_value(old, "CurrencyRef") if old else None
    code = ref_value(obj, "CurrencyRef") or previous or home
    _known(code, "CurrencyRef")
    if previous is not None and code != previous:
        raise errors.business(
            "You can't change the currency of a customer or vendor once it is created.",
            "CurrencyRef",
        )
    if code != home and not company.multicurrency:
        raise errors.business("Multicurrency is not enabled for this company.", "CurrencyRef")
    obj["CurrencyRef"] = ref(code)


def transaction_currency(
    company: Company, obj: dict[str, Any], party: dict[str, Any] | None, total: Decimal
) -> None:
    """Check CurrencyRef/ExchangeRate of a transaction and derive HomeTotalAmt."""
    home = company.home_currency
    party_code = ref_value(party, "CurrencyRef") if party else None
    code = ref_value(obj, "CurrencyRef") or party_code or home
    _known(code, "CurrencyRef")
    if code != home and not company.multicurrency:
        raise errors.business("Multicurrency is not enabled for this company.", "CurrencyRef")
    if party_code is not None and code != party_code:
        raise errors.business(
            f"The transaction currency {code} must match the currency of the customer or "
            f"vendor ({party_code}).",
            "CurrencyRef",
        )
    obj["CurrencyRef"] = ref(code)
    if code == home:
        rate = Decimal("1")
    else:
        if obj.get("ExchangeRate") in (None, ""):
            raise errors.required("ExchangeRate")
        rate = number(obj["ExchangeRate"], "ExchangeRate")
        if rate <= 0:
            raise errors.business("ExchangeRate must be greater than zero.", "ExchangeRate")
    obj["ExchangeRate"] = rate
    if company.multicurrency:
        obj["HomeTotalAmt"] = money(total * rate)
    else:
        obj.pop("HomeTotalAmt", None)
