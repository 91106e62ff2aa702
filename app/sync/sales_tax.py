"""Which sales tax model the QuickBooks company uses, and what it means for copied invoices.

US companies created since November 2017 use QuickBooks' automated sales tax: QuickBooks picks
the rate from the sale's address and ignores the tax code a request sends; a tax amount sent
with the invoice is kept as an override. Older US companies use manual tax codes.
(Preferences.TaxPrefs.PartnerTaxEnabled tells them apart; Intuit, "Manage sales tax for US
locales".)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.qbo.connection import is_us, partner_tax_enabled
from app.qbo.faults import QBOError

log = logging.getLogger(__name__)

AUTOMATED = "automated"
MANUAL = "manual"
OUTSIDE_US = "outside_us"
AUTOMATED_DRIFT = ("QuickBooks calculated the sales tax from the customer's address; the "
                   "invoice now shows QuickBooks' tax and total.")


def record_model(connection: Any, prefs: Mapping[str, Any]) -> bool:
    """Keep the company's sales tax model on the connection; True when it changed."""
    automated = is_us(connection.country) and partner_tax_enabled(prefs)
    changed = bool(connection.automated_sales_tax) != automated
    connection.automated_sales_tax = automated
    return changed


def apply_preferences(connection: Any, prefs: Mapping[str, Any],
                      tax_mode: str | None) -> list[str]:
    """Keep home currency, multi-currency and the sales tax model of QBO Preferences on the
    connection; what changed, one sentence each."""
    messages = []
    currency = prefs.get("CurrencyPrefs") or {}
    home = (currency.get("HomeCurrency") or {}).get("value")
    if home and connection.home_currency and home != connection.home_currency:
        messages.append(f"The home currency in QuickBooks is now {home} (it was "
                        f"{connection.home_currency}).")
    connection.home_currency = home or connection.home_currency
    multi = bool(currency.get("MultiCurrencyEnabled"))
    if multi != bool(connection.multicurrency_enabled):
        messages.append("Multi-currency is now on in QuickBooks: clients, vendors and "
                        "transactions in other currencies can be copied." if multi else
                        "Multi-currency is now off in QuickBooks: only records in the home "
                        "currency can be copied.")
    connection.multicurrency_enabled = multi
    if record_model(connection, prefs):
        text = describe(connection, tax_mode)
        messages.append(f"QuickBooks now uses {text.title[0].lower()}{text.title[1:]}. "
                        f"{text.rule}")
    return messages


def refresh_preferences(client: Any, connection: Any, tax_mode: str | None) -> list[str]:
    """Re-read QBO Preferences (one GET) so a change made in QuickBooks since the import is
    noticed; what changed, for the sync log."""
    try:
        prefs = client.preferences()
    except QBOError as exc:
        # The writes that follow meet the same trouble and handle it; until then the
        # preferences read last stand.
        log.warning("preferences of realm %s not read: %s", connection.realm_id, exc.code)
        return []
    return apply_preferences(connection, prefs, tax_mode)


def model_of(connection: Any) -> str:
    """AUTOMATED, MANUAL or OUTSIDE_US for a connection row."""
    if connection is None or is_us(connection.country):
        return AUTOMATED if connection is not None and connection.automated_sales_tax else MANUAL
    return OUTSIDE_US


@dataclass(frozen=True)
class ModelText:
    """The model in an accountant's words: its name, how tax is worked out, what copies do."""

    key: str
    title: str
    rule: str
    invoices: str

    @property
    def sentence(self) -> str:
        """All of it as one paragraph."""
        return f"{self.title}: {self.rule} {self.invoices}"


_RULES = {
    AUTOMATED: ("Automated sales tax",
                "QuickBooks calculates sales tax from the customer's address (the ship-to "
                "address, else the billing address, else your company's address) at the rate "
                "it looks up for that location, and ignores tax codes. Ledgerhub tax codes "
                "therefore need no mapping; they only give Ledgerhub's own estimate."),
    MANUAL: ("Manual sales tax (tax codes)",
             "The sales tax code on each invoice decides the rate, so every taxable Ledgerhub "
             "tax code used on invoices must be mapped to a QuickBooks sales tax code or "
             "group."),
    OUTSIDE_US: ("Tax codes (outside the US)",
                 "Every invoice line carries a mapped QuickBooks tax code; prices are "
                 "exclusive or inclusive of tax as set in the defaults."),
}
_COPIES = {
    "qbo": "Each copy lets QuickBooks calculate the tax; afterwards the invoice shows "
           "QuickBooks' tax and total, and any difference from Ledgerhub's estimate is "
           "noted on the invoice and in the sync log.",
    "override": "Each copy sends the tax Ledgerhub calculated (taxable lines at the invoice's "
                "tax code rate) as the invoice's total tax; QuickBooks keeps that amount "
                "instead of calculating its own.",
}


def describe(connection: Any, tax_mode: str | None) -> ModelText:
    """What the company's model means for invoices, with the owner's tax choice."""
    key = model_of(connection)
    title, rule = _RULES[key]
    return ModelText(key, title, rule, _COPIES.get(tax_mode or "qbo", _COPIES["qbo"]))
