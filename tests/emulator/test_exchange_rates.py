"""GET and POST /exchangerate and ExchangeRate queries of a multi-currency company."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from qbo_emulator.testing import RunningEmulator

from .conftest import Api, fault


@pytest.fixture
def usd_multi(emulator: RunningEmulator) -> Api:
    """A US company with multi-currency on."""
    return Api(emulator.create_company(multicurrency=True))


def _rate(response: object) -> Decimal:
    return Decimal(str(response.json()["ExchangeRate"]["Rate"]))


def test_read_a_rate_in_home_units_per_foreign_unit(usd_multi: Api) -> None:
    response = usd_multi.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-05")
    assert response.status_code == 200
    rate = response.json()["ExchangeRate"]
    assert rate["SourceCurrencyCode"] == "EUR" and rate["TargetCurrencyCode"] == "USD"
    assert rate["AsOfDate"] == "2026-11-05" and rate["SyncToken"] == "0"
    assert Decimal(str(rate["Rate"])) == Decimal("1.0825")
    today = usd_multi.get("exchangerate", sourcecurrencycode="GBP").json()["ExchangeRate"]
    assert today["AsOfDate"] == datetime.now(UTC).date().isoformat()


def test_set_a_rate_for_one_date(usd_multi: Api) -> None:
    body = {"SourceCurrencyCode": "EUR", "Rate": 1.1, "AsOfDate": "2026-11-05", "SyncToken": "0"}
    saved = usd_multi.post("exchangerate", body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["ExchangeRate"]["SyncToken"] == "1"
    assert saved.json()["ExchangeRate"]["TargetCurrencyCode"] == "USD"
    on_day = usd_multi.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-05")
    assert _rate(on_day) == Decimal("1.1")
    next_day = usd_multi.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-06")
    assert _rate(next_day) == Decimal("1.0825")
    stale = usd_multi.post("exchangerate", {**body, "Rate": 1.2})
    assert fault(stale)["code"] == "5010"
    again = usd_multi.post("exchangerate", {**body, "Rate": 1.2, "SyncToken": "1"})
    assert _rate(again) == Decimal("1.2")
    rows = usd_multi.query("select * from ExchangeRate where SourceCurrencyCode = 'EUR'")
    assert {(r["AsOfDate"], Decimal(str(r["Rate"]))) for r in rows["ExchangeRate"]} >= {
        ("2026-11-05", Decimal("1.2"))
    }


def test_rates_are_refused_where_qbo_refuses_them(usd_multi: Api, api: Api) -> None:
    home = {"SourceCurrencyCode": "USD", "Rate": 1, "AsOfDate": "2026-11-05"}
    assert fault(usd_multi.post("exchangerate", home))["code"] == "6000"
    missing = {"SourceCurrencyCode": "EUR", "AsOfDate": "2026-11-05"}
    assert fault(usd_multi.post("exchangerate", missing))["code"] == "2020"
    unknown = {"SourceCurrencyCode": "EUR", "Rate": 1, "AsOfDate": "2026-11-05", "Spread": 1}
    assert fault(usd_multi.post("exchangerate", unknown))["code"] == "2010"
    assert fault(usd_multi.get("exchangerate"))["code"] == "2020"
    # A company without multi-currency has no exchange rates.
    single = api.get("exchangerate", sourcecurrencycode="EUR")
    assert single.status_code == 400 and fault(single)["code"] == "6000"


def test_cross_rates_for_another_home_currency(emulator: RunningEmulator) -> None:
    cad = Api(emulator.create_company(country="CA", multicurrency=True))
    rate = cad.get("exchangerate", sourcecurrencycode="USD").json()["ExchangeRate"]
    assert rate["TargetCurrencyCode"] == "CAD"
    assert Decimal(str(rate["Rate"])) == (Decimal("1") / Decimal("0.7315")).quantize(
        Decimal("0.000001")
    )
