"""Multi-currency: the rate table, QBO's CurrencyRef/ExchangeRate fields, fixed party currencies.

QBO's convention, used everywhere here: an exchange rate is the number of home-currency units
that buy one unit of the foreign currency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import ExchangeRate, QboLink
from app.sync.registry import PARTIES

ONE = Decimal(1)
MAX_RATE = Decimal("9999999999")  # Numeric(18, 8) holds ten integer digits
# Parties that keep a currency of their own (customers and vendors; QBO never changes it).
PARTY_TYPES = tuple(name for name, kind in PARTIES.items() if hasattr(kind.model, "currency"))


class RateError(ValueError):
    """A rate that cannot be stored; the message is shown to the user."""


def rate_for(session: DbSession, currency: str, on: date, home: str) -> Decimal | None:
    """The rate in force on ``on`` (latest entry not after it); 1 for the home currency."""
    if currency == home:
        return ONE
    return session.scalar(
        select(ExchangeRate.rate)
        .where(ExchangeRate.currency == currency, ExchangeRate.home_currency == home,
               ExchangeRate.as_of <= on)
        .order_by(ExchangeRate.as_of.desc())
        .limit(1)
    )


def parse_rate(text: object) -> Decimal:
    """A positive rate with at most 8 decimals, from user input; RateError otherwise."""
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise RateError("Enter the rate as a number, e.g. 1.0825.") from exc
    if not value.is_finite() or value <= 0:
        raise RateError("The rate must be a number greater than zero.")
    if value > MAX_RATE:
        raise RateError("The rate is too large.")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > 8:
        raise RateError("At most 8 decimal places.")
    return value


def add_rate(session: DbSession, currency: str, home: str, rate: Decimal,
             as_of: date) -> ExchangeRate:
    """Store (or replace) the rate of ``currency`` against ``home`` on a date; flushes."""
    currency, home = currency.upper(), home.upper()
    if len(currency) != 3 or not currency.isalpha():
        raise RateError("Choose a three-letter currency code.")
    if currency == home:
        raise RateError(f"{currency} is the home currency: its rate is always 1.")
    if rate <= 0:
        raise RateError("The rate must be greater than zero.")
    row = session.scalars(
        select(ExchangeRate).where(ExchangeRate.currency == currency,
                                   ExchangeRate.home_currency == home,
                                   ExchangeRate.as_of == as_of)
    ).first()
    if row is None:
        row = ExchangeRate(currency=currency, home_currency=home, as_of=as_of)
        session.add(row)
    row.rate = rate
    session.flush()
    return row


def currency_fields(record_currency: str, home: str, multicurrency: bool,
                    rate: Decimal | None) -> dict[str, Any]:
    """CurrencyRef and ExchangeRate for a transaction payload ({} when multi-currency is off).

    Raises ValueError for what QBO would refuse: a foreign currency without multi-currency, or
    without a positive rate.
    """
    if not multicurrency:
        if record_currency != home:
            raise ValueError(f"Multi-currency is off in QuickBooks: {record_currency} "
                             f"transactions cannot be sent (home currency {home}).")
        return {}
    fields: dict[str, Any] = {"CurrencyRef": {"value": record_currency}}
    if record_currency != home:
        if rate is None or rate <= 0:
            raise ValueError(f"No exchange rate for {record_currency}.")
        fields["ExchangeRate"] = rate
    return fields


def party_currency_lock(session: DbSession, realm_id: str | None, entity_type: str,
                        local_id: int | None) -> str | None:
    """Why a client's or organization's currency can no longer change, or None if it can."""
    if realm_id is None or local_id is None or entity_type not in PARTY_TYPES:
        return None
    link = session.scalars(
        select(QboLink).where(QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
                              QboLink.local_id == local_id)
    ).first()
    if link is None:
        return None
    what = PARTIES[entity_type].qbo_noun
    return (f"The currency is fixed: this record is linked to a QuickBooks {what}"
            f"{f' (#{link.qbo_id})' if link.qbo_id else ''}, and QuickBooks never lets a "
            f"{what}'s currency change after it is created.")
