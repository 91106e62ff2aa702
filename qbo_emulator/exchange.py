"""Exchange rates of a multi-currency company: GET and POST /exchangerate, and queries.

Facts (qbo-api-notes "ExchangeRate"; Intuit's ExchangeRate reference): a rate is the number of
home-currency units for one unit of ``SourceCurrencyCode``; ``TargetCurrencyCode`` is the home
currency; GET takes ``sourcecurrencycode`` and an optional ``asofdate`` (today when absent);
POST sets the rate of one currency on one date (SourceCurrencyCode, Rate and AsOfDate are
required, SyncToken guards an existing entry); the home currency's own rate cannot be set.
Only multi-currency companies have exchange rates.

Emulator rule: QBO downloads market rates every day; here a fixed table of reference rates
stands in for them, and a rate set through the API overrides it for its date only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from . import errors, jsonutil, schema
from .currency import NAMES
from .entities.common import WriteContext, number

ENTITY = "ExchangeRate"
# US dollars per unit: the reference ("market") rates every company starts with.
USD_PER_UNIT = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.0825"),
    "CAD": Decimal("0.7315"),
    "GBP": Decimal("1.2710"),
    "AUD": Decimal("0.6580"),
    "NZD": Decimal("0.6010"),
    "INR": Decimal("0.0120"),
    "MXN": Decimal("0.0580"),
    "JPY": Decimal("0.0067"),
    "CHF": Decimal("1.1320"),
}
PLACES = Decimal("0.000001")


def _multicurrency(ctx: WriteContext) -> None:
    if not ctx.company.multicurrency:
        raise errors.business("Multicurrency is not enabled for this company.", ENTITY)


def _currency(code: Any, element: str) -> str:
    text = str(code or "").strip().upper()
    if not text:
        raise errors.required(element)
    if text not in NAMES:
        raise errors.QBOFault("2500", f"Invalid currency code {text}", element)
    return text


def _date(text: Any, element: str, default: date) -> str:
    if text in (None, ""):
        return default.isoformat()
    try:
        return date.fromisoformat(str(text)[:10]).isoformat()
    except ValueError as exc:
        raise errors.QBOFault("2010", f"Invalid date {text}", element) from exc


def _key(source: str, as_of: str) -> str:
    return f"{source}:{as_of}"


def _reference(ctx: WriteContext, source: str, as_of: str) -> dict[str, Any]:
    home = ctx.company.home_currency
    rate = (USD_PER_UNIT[source] / USD_PER_UNIT[home]).quantize(PLACES).normalize()
    return {
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "AsOfDate": as_of,
        "SourceCurrencyCode": source,
        "TargetCurrencyCode": home,
        "Rate": Decimal("1") if source == home else rate,
        "MetaData": {"LastUpdatedTime": jsonutil.iso(ctx.moment)},
    }


def _current(ctx: WriteContext, source: str, as_of: str) -> dict[str, Any]:
    stored = ctx.company.objects[ENTITY].get(_key(source, as_of))
    return stored if stored is not None else _reference(ctx, source, as_of)


def read(ctx: WriteContext, args: dict[str, str]) -> dict[str, Any]:
    """GET /exchangerate?sourcecurrencycode=EUR[&asofdate=2026-11-05]."""
    _multicurrency(ctx)
    source = _currency(args.get("sourcecurrencycode"), "sourcecurrencycode")
    as_of = _date(args.get("asofdate"), "asofdate", ctx.moment.date())
    return {ENTITY: _current(ctx, source, as_of)}


def write(ctx: WriteContext, body: Any) -> dict[str, Any]:
    """POST /exchangerate: set one currency's rate on one date."""
    _multicurrency(ctx)
    if not isinstance(body, dict):
        raise errors.QBOFault("2010", "The request body is not an ExchangeRate object.", ENTITY)
    unknown = schema.unknown_properties(ENTITY, body)
    if unknown:
        raise errors.QBOFault(
            "2010", f"Property Name:{unknown[0]} specified is unsupported or invalid", unknown[0]
        )
    home = ctx.company.home_currency
    source = _currency(body.get("SourceCurrencyCode"), "SourceCurrencyCode")
    target = str(body.get("TargetCurrencyCode") or home).upper()
    if target != home:
        raise errors.business(
            f"TargetCurrencyCode must be the home currency {home}.", "TargetCurrencyCode"
        )
    if source == home:
        raise errors.business(
            "You can't set an exchange rate for the home currency.", "SourceCurrencyCode"
        )
    if body.get("AsOfDate") in (None, ""):
        raise errors.required("AsOfDate")
    as_of = _date(body["AsOfDate"], "AsOfDate", ctx.moment.date())
    if body.get("Rate") in (None, ""):
        raise errors.required("Rate")
    rate = number(body["Rate"], "Rate")
    if rate <= 0:
        raise errors.business("Rate must be greater than zero.", "Rate")
    existing = _current(ctx, source, as_of)
    token = body.get("SyncToken")
    stored = _key(source, as_of) in ctx.company.objects[ENTITY]
    if (stored and token in (None, "")) or (
        token not in (None, "") and str(token) != existing["SyncToken"]
    ):
        raise errors.QBOFault(
            "5010",
            f"Stale Object Error : SyncToken {token} is not the current version "
            f"{existing['SyncToken']} of the {source} rate on {as_of}.",
            "SyncToken",
        )
    updated = {
        **existing,
        "Rate": rate,
        "SyncToken": str(int(existing["SyncToken"]) + 1),
        "MetaData": {"LastUpdatedTime": jsonutil.iso(ctx.moment)},
    }
    ctx.store.put(ctx.company, ENTITY, updated, key=_key(source, as_of))
    return {ENTITY: updated}


def rows(ctx: WriteContext) -> list[dict[str, Any]]:
    """What a query over ExchangeRate sees: every rate set, and today's reference rates."""
    if not ctx.company.multicurrency:
        return []
    today = ctx.moment.date().isoformat()
    stored = ctx.company.objects[ENTITY]
    found = list(stored.values())
    home = ctx.company.home_currency
    for code in sorted(USD_PER_UNIT):
        if code != home and _key(code, today) not in stored:
            found.append(_reference(ctx, code, today))
    return found
