"""US and non-US sales tax, multi-currency rules."""

from __future__ import annotations

from decimal import Decimal

from qbo_emulator.testing import RunningEmulator

from .conftest import Api, fault


def _line(item_id: str, amount: str, code: str | None = None) -> dict:
    detail: dict = {"ItemRef": {"value": item_id}}
    if code:
        detail["TaxCodeRef"] = {"value": code}
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def test_us_tax_rounds_once_on_taxable_subtotal(manual_api: Api) -> None:
    api = manual_api
    customer = api.find("Customer", "Cool Cars")
    item = api.find("Item", "Design")["Id"]
    invoice = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                _line(item, "10.10", "TAX"),
                _line(item, "10.10", "TAX"),
                _line(item, "50", "NON"),
            ],
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
        },
    )
    # 20.20 x 8.25% = 1.6665 -> 1.67 (per-line rounding would give 0.83 + 0.83 = 1.66)
    assert Decimal(str(invoice["TxnTaxDetail"]["TotalTax"])) == Decimal("1.67")
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("71.87")
    tax_line = invoice["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]
    assert tax_line["TaxPercent"] == 8.25 and Decimal(str(tax_line["NetAmountTaxable"])) == Decimal(
        "20.20"
    )


def test_us_lines_must_use_tax_or_non(manual_api: Api) -> None:
    api = manual_api
    customer = api.find("Customer", "Cool Cars")
    item = api.find("Item", "Design")["Id"]
    response = api.post(
        "invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [_line(item, "10", "2")]}
    )
    assert fault(response)["code"] == "6000"
    no_code = api.create(
        "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [_line(item, "10", "TAX")]}
    )
    assert no_code["TxnTaxDetail"]["TotalTax"] == 0 and no_code["TotalAmt"] == 10


def _global_company(emulator: RunningEmulator) -> Api:
    return Api(emulator.create_company(country="AU"))


def test_non_us_tax_excluded_and_inclusive(emulator: RunningEmulator) -> None:
    api = _global_company(emulator)
    customer = api.find("Customer", "Cool Cars")
    item = api.find("Item", "Design")["Id"]
    gst, zero = api.find("TaxCode", "GST")["Id"], api.find("TaxCode", "GST free")["Id"]
    excluded = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": [_line(item, "33.33", gst), _line(item, "33.33", gst), _line(item, "10", zero)],
        },
    )
    # Tax line by line: 33.33 x 10% = 3.333 -> 3.33, twice (6.66; on the sum it would be 6.67)
    assert Decimal(str(excluded["TxnTaxDetail"]["TotalTax"])) == Decimal("6.66")
    assert Decimal(str(excluded["TotalAmt"])) == Decimal("83.32")
    inclusive = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "GlobalTaxCalculation": "TaxInclusive",
            "Line": [_line(item, "110", gst), _line(item, "5", zero)],
        },
    )
    assert Decimal(str(inclusive["TotalAmt"])) == Decimal("115")
    assert Decimal(str(inclusive["TxnTaxDetail"]["TotalTax"])) == Decimal("10")
    not_applicable = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "GlobalTaxCalculation": "NotApplicable",
            "Line": [_line(item, "110")],
        },
    )
    assert not_applicable["TotalAmt"] == 110
    missing = api.post(
        "invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [_line(item, "110")]}
    )
    assert fault(missing)["code"] == "6000"
    assert api.get("preferences").json()["Preferences"]["CurrencyPrefs"]["HomeCurrency"] == {
        "value": "AUD"
    }


def test_multicurrency_off_refuses_foreign_currency(api: Api) -> None:
    response = api.post("customer", {"DisplayName": "Euro Co", "CurrencyRef": {"value": "EUR"}})
    assert fault(response)["code"] == "6000"
    customer = api.find("Customer", "Cool Cars")
    invoice = api.post(
        "invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "CurrencyRef": {"value": "EUR"},
            "ExchangeRate": 1.1,
            "Line": [_line(api.find("Item", "Design")["Id"], "10")],
        },
    )
    assert fault(invoice)["code"] == "6000"


def test_multicurrency_on(emulator: RunningEmulator, api: Api) -> None:
    realm = api.company.realm_id
    emulator.control("POST", f"companies/{realm}/preferences", {"multicurrency": True})
    prefs = api.get("preferences").json()["Preferences"]["CurrencyPrefs"]
    assert prefs["MultiCurrencyEnabled"] is True
    euro = api.create("Customer", {"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}})
    assert euro["CurrencyRef"]["value"] == "EUR"
    change = api.post(
        "customer",
        {"Id": euro["Id"], "SyncToken": "0", "sparse": True, "CurrencyRef": {"value": "GBP"}},
    )
    assert fault(change)["code"] == "6000"
    item = api.find("Item", "Design")["Id"]
    no_rate = api.post(
        "invoice", {"CustomerRef": {"value": euro["Id"]}, "Line": [_line(item, "100")]}
    )
    assert fault(no_rate)["element"] == "ExchangeRate"
    wrong = api.post(
        "invoice",
        {
            "CustomerRef": {"value": euro["Id"]},
            "CurrencyRef": {"value": "USD"},
            "Line": [_line(item, "100")],
        },
    )
    assert fault(wrong)["code"] == "6000"
    invoice = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": euro["Id"]},
            "CurrencyRef": {"value": "EUR"},
            "ExchangeRate": "1.0853",
            "Line": [_line(item, "100")],
        },
    )
    assert Decimal(str(invoice["HomeTotalAmt"])) == Decimal("108.53")
    off = emulator.control  # turning multi-currency off again is refused
    try:
        off("POST", f"companies/{realm}/preferences", {"multicurrency": False})
        raise AssertionError("expected 400")
    except Exception as exc:  # noqa: BLE001 - urllib raises HTTPError
        assert "400" in str(exc)
