"""New non-US companies carry their country's real tax codes, rates and a local address."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbo_emulator.testing import RunningEmulator

from .conftest import Api


def _codes(api: Api) -> dict[str, tuple[bool, list[Decimal]]]:
    """Tax code name -> (Taxable, sales rates in percent), read over the API."""
    rates = {r["Id"]: Decimal(str(r["RateValue"]))
             for r in api.query("select * from TaxRate")["TaxRate"]}
    result = {}
    for code in api.query("select * from TaxCode")["TaxCode"]:
        details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
        result[code["Name"]] = (code["Taxable"],
                                [rates[d["TaxRateRef"]["value"]] for d in details])
    return result


def _company(emulator: RunningEmulator, country: str) -> Api:
    return Api(emulator.create_company(name=f"Seed {country}", country=country))


def test_canada(emulator: RunningEmulator) -> None:
    api = _company(emulator, "CA")
    codes = _codes(api)
    assert codes["GST"] == (True, [Decimal("5")])
    assert codes["HST ON"] == (True, [Decimal("13")])
    for province in ("NB", "NL", "PE"):
        assert codes[f"HST {province}"] == (True, [Decimal("15")])
    assert codes["GST/PST BC"] == (True, [Decimal("5"), Decimal("7")])
    assert codes["GST/QST QC"] == (True, [Decimal("5"), Decimal("9.975")])
    assert codes["Zero-rated"] == (True, [Decimal("0")])
    assert codes["Exempt"][0] is False
    info = api.get(f"companyinfo/{api.company.realm_id}").json()["CompanyInfo"]
    assert info["CompanyAddr"]["City"] == "Toronto"
    assert info["CompanyAddr"]["CountrySubDivisionCode"] == "ON"
    assert info["CompanyAddr"]["Country"] == "CAN"
    prefs = api.get("preferences").json()["Preferences"]
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "CAD"


def test_united_kingdom(emulator: RunningEmulator) -> None:
    api = _company(emulator, "UK")  # QBO itself says GB
    codes = _codes(api)
    assert codes["20.0% S"] == (True, [Decimal("20")])
    assert codes["5.0% R"] == (True, [Decimal("5")])
    assert codes["0.0% Z"] == (True, [Decimal("0")])
    assert codes["Exempt"][0] is False
    info = api.get(f"companyinfo/{api.company.realm_id}").json()["CompanyInfo"]
    assert (info["CompanyAddr"]["City"], info["CompanyAddr"]["Country"]) == ("London", "GBR")
    assert info["Country"] == "GBR"
    assert api.get("preferences").json()["Preferences"]["CurrencyPrefs"]["HomeCurrency"] == {
        "value": "GBP"}


def test_australia(emulator: RunningEmulator) -> None:
    api = _company(emulator, "AU")
    codes = _codes(api)
    assert codes["GST"] == (True, [Decimal("10")])
    assert codes["GST free"] == (True, [Decimal("0")])
    info = api.get(f"companyinfo/{api.company.realm_id}").json()["CompanyInfo"]
    assert (info["CompanyAddr"]["City"], info["CompanyAddr"]["Country"]) == ("Sydney", "AUS")


@pytest.mark.parametrize(("country", "code", "amount", "tax"), [
    ("CA", "HST ON", "113.00", "13.00"),
    ("GB", "20.0% S", "120.00", "20.00"),
    ("AU", "GST", "110.00", "10.00"),
])
def test_seeded_codes_tax_invoices(emulator: RunningEmulator, country: str, code: str,
                                   amount: str, tax: str) -> None:
    """Each country's standard code charges its rate, extracted from inclusive amounts."""
    api = _company(emulator, country)
    detail = {"ItemRef": {"value": api.find("Item", "Design")["Id"]},
              "TaxCodeRef": {"value": api.find("TaxCode", code)["Id"]}}
    invoice = api.create("Invoice", {
        "CustomerRef": {"value": api.find("Customer", "Cool Cars")["Id"]},
        "GlobalTaxCalculation": "TaxInclusive",
        "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": detail}],
    })
    assert Decimal(str(invoice["TotalAmt"])) == Decimal(amount)
    assert Decimal(str(invoice["TxnTaxDetail"]["TotalTax"])) == Decimal(tax)
