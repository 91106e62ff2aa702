"""Resolving a run's references to QBO ids: links, mappings, preferences, currency and tax."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import Fix, FixCode, Invoice, LinkState, QboConnection, QboLink, QboPreference
from app.sync.currency import currency_fields, rate_for
from app.sync.entities import Key, NotSendable
from app.sync.payloads.transactions import owed_choice
from app.sync.tax import EXCLUDED, Totals, invoice_totals, qbo_rates, tax_fields


class RunRefs:
    """Resolves references to QBO ids from the run's links, mappings and preferences."""

    def __init__(self, session: DbSession, realm_id: str, connection: QboConnection,
                 links: dict[Key, QboLink | None]) -> None:
        self.session = session
        self.realm_id = realm_id
        self.connection = connection
        self.links = links
        self.planned: set[Key] = set()  # dry run: created earlier in this preview
        self._prefs = {p.key: p.value for p in session.scalars(
            select(QboPreference).where(QboPreference.realm_id == realm_id))}

    @property
    def us_tax(self) -> bool:
        """US companies use TAX/NON on lines."""
        return (self.connection.country or "US").upper() in ("US", "USA")

    @property
    def automated_tax(self) -> bool:
        """A US company on automated sales tax: QBO picks the rate from the address."""
        return self.us_tax and bool(self.connection.automated_sales_tax)

    def _link(self, entity_type: str, local_id: int) -> QboLink | None:
        key = (entity_type, local_id)
        if key not in self.links:
            self.links[key] = self.session.scalars(select(QboLink).where(
                QboLink.realm_id == self.realm_id, QboLink.entity_type == entity_type,
                QboLink.local_id == local_id)).first()
        return self.links[key]

    def remember(self, key: Key, link: QboLink) -> None:
        """A link this run wrote or found: later references read it without a query."""
        self.links[key] = link

    def ref(self, entity_type: str, local_id: int) -> dict[str, str]:
        """The QBO id of a dependency copied (or linked) earlier in this run or before."""
        if (entity_type, local_id) in self.planned:
            return {"value": "(new)"}
        link = self._link(entity_type, local_id)
        if link is None or link.qbo_id is None or link.state != LinkState.SYNCED:
            raise NotSendable(f"Its {entity_type.replace('_', ' ')} is not in QuickBooks yet.",
                              code="dependency")
        return {"value": link.qbo_id}

    def mapped(self, entity_type: str, local_id: int, what: str) -> dict[str, str]:
        """A list entry Ledgerhub cannot create in QBO: it must be mapped."""
        link = self._link(entity_type, local_id)
        if link is None or link.qbo_id is None:
            raise NotSendable(f"The {what} is not mapped to QuickBooks: map it in QuickBooks "
                              "Online Settings -> Mappings.", fix=Fix(FixCode.MAP_LIST),
                              code=f"mapping:{entity_type}")
        return {"value": link.qbo_id}

    def preference(self, key: str, what: str) -> dict[str, str]:
        """A default chosen in the QuickBooks settings."""
        value = self._prefs.get(key)
        if not value:
            raise NotSendable(f"Choose the {what} in QuickBooks Online Settings -> Defaults.",
                              fix=Fix(FixCode.SET_DEFAULTS), code=f"preference:{key}")
        return {"value": value}

    def option(self, key: str, default: str) -> str:
        """A per-company option, or its default."""
        return self._prefs.get(key) or default

    def owed_as(self, entity_type: str, local_id: int) -> str:
        """Bill or Purchase: as it was created in QBO, else the company's current choice."""
        link = self._link(entity_type, local_id)
        if link is not None and link.qbo_entity:
            return link.qbo_entity
        if link is not None and link.qbo_id:
            return "Purchase"  # copied before the choice existed
        return owed_choice(self._prefs)

    def currency(self, code: str | None, rate: Decimal | None = None,
                 on: date | None = None) -> dict[str, Any]:
        """CurrencyRef, and for a transaction the ExchangeRate (entered or from the rate table)."""
        home = (self.connection.home_currency or "USD").upper()
        code = (code or home).upper()
        multicurrency = bool(self.connection.multicurrency_enabled)
        if on is None:  # a customer or vendor: its currency only
            rate = Decimal(1)
        elif rate is None and code != home:
            rate = rate_for(self.session, code, on, home)
        try:
            fields = currency_fields(code, home, multicurrency, rate)
        except ValueError as exc:
            raise NotSendable(f"{exc} Add the rate under QuickBooks Online Settings -> "
                              "Exchange rates, or enter it on the record."
                              if multicurrency else str(exc),
                              fix=Fix(FixCode.ADD_EXCHANGE_RATE) if multicurrency else None,
                              code="currency") from None
        if on is None:
            fields.pop("ExchangeRate", None)
        return fields

    def invoice_tax(self, invoice: Invoice) -> dict[str, Any]:
        """Line tax codes and TxnTaxDetail / GlobalTaxCalculation for the company's model."""
        code = invoice.tax_code
        taxable = code is not None and code.taxable and any(x.taxable for x in invoice.lines)
        # Automated sales tax ignores a sent tax code, so none is sent (nor needs a mapping).
        needs_code = taxable and not self.automated_tax
        mapped = (self.mapped("tax_code", code.id, "tax code")["value"]
                  if needs_code and code is not None else None)
        mode = self.tax_calculation(invoice)
        override = self.option("tax_mode", "qbo") == "override"
        # An override sends Ledgerhub's own tax: the local tax code's rate, not QBO's.
        local = invoice_totals(invoice, us=self.us_tax, global_tax=mode) if override else None
        return tax_fields(invoice, us=self.us_tax, txn_tax_code=mapped, line_tax_code=mapped,
                          exempt_tax_code=self._prefs.get("exempt_tax_code"), global_tax=mode,
                          override=override, totals=local)

    def tax_calculation(self, invoice: Invoice) -> str:
        """The invoice's own GlobalTaxCalculation, else the company's default."""
        return invoice.tax_calculation or self.option("global_tax_calculation", EXCLUDED)

    def invoice_totals(self, invoice: Invoice) -> Totals:
        """The totals QBO will compute, with the mapped QBO tax rates when known."""
        # Under automated sales tax QBO's rate is not known beforehand: compare with the
        # local tax code's own rate.
        rates = None if self.automated_tax else qbo_rates(self.session, self.realm_id) or None
        return invoice_totals(invoice, us=self.us_tax,
                              global_tax=self.tax_calculation(invoice), rates=rates)

