"""US sales tax models: automated (rate from the address) and manual (rate from the tax code)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.error import HTTPError

import pytest

from qbo_emulator.testing import RunningEmulator, run_emulator

from .conftest import Api, fault


def _line(item_id: str, amount: str, code: str | None = "TAX") -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": item_id}}
    if code:
        detail["TaxCodeRef"] = {"value": code}
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def _addr(state: str, country: str = "USA") -> dict[str, str]:
    return {"Line1": "1 Main St", "City": "Somewhere", "CountrySubDivisionCode": state,
            "PostalCode": "10001", "Country": country}


def _tax(invoice: dict[str, Any]) -> tuple[Decimal, Decimal]:
    return (Decimal(str(invoice["TxnTaxDetail"]["TotalTax"])),
            Decimal(str(invoice["TotalAmt"])))


def _partner_tax(api: Api) -> bool:
    response = api.get("preferences")
    assert response.status_code == 200
    return response.json()["Preferences"]["TaxPrefs"]["PartnerTaxEnabled"]


def _customer(api: Api, name: str, **addresses: dict[str, str]) -> str:
    return api.create("Customer", {"DisplayName": name, **addresses})["Id"]


def test_us_companies_default_to_automated_and_can_be_manual(emulator: RunningEmulator) -> None:
    created = emulator.control("POST", "companies", {"name": "Default US"})
    assert created["sales_tax"] == "automated"
    assert _partner_tax(Api(emulator.connect(created["realm_id"])))
    manual = emulator.control("POST", "companies", {"name": "Old US", "sales_tax": "manual"})
    assert manual["sales_tax"] == "manual"
    assert _partner_tax(Api(emulator.connect(manual["realm_id"]))) is False
    abroad = emulator.control("POST", "companies", {"name": "AU Co", "country": "AU"})
    assert abroad["sales_tax"] == "manual"
    listed = {c["realm_id"]: c["sales_tax"] for c in emulator.control("GET", "companies")}
    assert listed[created["realm_id"]] == "automated" and listed[manual["realm_id"]] == "manual"


@pytest.mark.parametrize("body", [{"country": "AU", "sales_tax": "automated"},
                                  {"sales_tax": "sometimes"}])
def test_impossible_sales_tax_models_are_refused(emulator: RunningEmulator,
                                                 body: dict[str, str]) -> None:
    before = len(emulator.control("GET", "companies"))
    with pytest.raises(HTTPError) as refused:
        emulator.control("POST", "companies", body)
    assert refused.value.code == 400
    assert "sales_tax" in refused.value.read().decode() or body.get("country") == "AU"
    assert len(emulator.control("GET", "companies")) == before


def test_the_demo_sample_company_is_automated() -> None:
    with run_emulator(seed="sample") as demo:
        (company,) = demo.control("GET", "companies")
        assert company["sales_tax"] == "automated"
        assert _partner_tax(Api(demo.connect(company["realm_id"])))


def test_automated_company_seeds_a_state_rate_table(api: Api) -> None:
    rates = {r["Name"]: Decimal(str(r["RateValue"])) for r in
             api.query("select * from TaxRate")["TaxRate"]}
    for state in ("California", "New York", "Texas", "Washington", "Florida"):
        assert f"{state} State" in rates
    assert rates["California State"] == Decimal("7.25")
    info = api.get(f"companyinfo/{api.company.realm_id}").json()["CompanyInfo"]
    assert info["CompanyAddr"]["CountrySubDivisionCode"] == "CA"


def test_rate_follows_ship_to_then_bill_to_then_company(api: Api) -> None:
    item = api.find("Item", "Design")["Id"]
    plain = _customer(api, "No Address Co")
    line = [_line(item, "100.00")]
    # No address anywhere: the company's own address (California, 7.25%).
    assert _tax(api.create("Invoice", {"CustomerRef": {"value": plain}, "Line": line})) == (
        Decimal("7.25"), Decimal("107.25"))
    # The invoice's bill-to address decides when there is no ship-to address.
    billed = api.create("Invoice", {"CustomerRef": {"value": plain}, "Line": line,
                                    "BillAddr": _addr("WA")})
    assert _tax(billed) == (Decimal("6.50"), Decimal("106.50"))
    # A ship-to address wins over the bill-to address.
    shipped = api.create("Invoice", {"CustomerRef": {"value": plain}, "Line": line,
                                     "BillAddr": _addr("WA"), "ShipAddr": _addr("NY")})
    assert _tax(shipped) == (Decimal("4.00"), Decimal("104.00"))
    detail = shipped["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]
    assert Decimal(str(detail["TaxPercent"])) == Decimal("4")
    assert Decimal(str(detail["NetAmountTaxable"])) == Decimal("100.00")
    # The customer's own addresses stand in for addresses the invoice leaves out.
    florida = _customer(api, "Florida Co", BillAddr=_addr("FL"))
    texas_ship = _customer(api, "Texas Ship Co", BillAddr=_addr("FL"), ShipAddr=_addr("TX"))
    assert _tax(api.create("Invoice", {"CustomerRef": {"value": florida}, "Line": line}))[0] == (
        Decimal("6.00"))
    assert _tax(api.create("Invoice", {"CustomerRef": {"value": texas_ship},
                                       "Line": line}))[0] == Decimal("8.25")


def test_only_tax_lines_are_taxed_and_rounded_once(api: Api) -> None:
    item = api.find("Item", "Design")["Id"]
    customer = _customer(api, "Rounding Co", BillAddr=_addr("TX"))
    invoice = api.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [
        _line(item, "10.10"), _line(item, "10.10"), _line(item, "50", "NON")]})
    # 20.20 x 8.25% = 1.6665 -> 1.67
    assert _tax(invoice) == (Decimal("1.67"), Decimal("71.87"))


def test_sent_tax_code_is_ignored(api: Api) -> None:
    item = api.find("Item", "Design")["Id"]
    customer = _customer(api, "New Yorker", BillAddr=_addr("NY"))
    for code in ("2", "6"):  # Texas and Florida: the New York address decides
        # A line code other than TAX/NON is ignored too: that line is not taxed.
        invoice = api.create("Invoice", {"CustomerRef": {"value": customer},
                                         "Line": [_line(item, "200.00"), _line(item, "5", "2")],
                                         "TxnTaxDetail": {"TxnTaxCodeRef": {"value": code}}})
        assert _tax(invoice) == (Decimal("8.00"), Decimal("213.00"))
        assert invoice["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] != code


def test_sent_total_tax_is_kept_as_an_override(api: Api) -> None:
    item = api.find("Item", "Design")["Id"]
    customer = _customer(api, "Override Co", BillAddr=_addr("CA"))
    invoice = api.create("Invoice", {"CustomerRef": {"value": customer},
                                     "Line": [_line(item, "100.00")],
                                     "TxnTaxDetail": {"TotalTax": "9.99"}})
    assert _tax(invoice) == (Decimal("9.99"), Decimal("109.99"))
    assert Decimal(str(invoice["TxnTaxDetail"]["TaxLine"][0]["Amount"])) == Decimal("9.99")
    again = api.get(f"invoice/{invoice['Id']}").json()["Invoice"]
    assert _tax(again) == (Decimal("9.99"), Decimal("109.99"))


def test_no_tax_outside_the_table_or_the_country(api: Api) -> None:
    item = api.find("Item", "Design")["Id"]
    oregon = _customer(api, "Oregon Co", BillAddr=_addr("OR"))
    abroad = _customer(api, "Abroad Co", BillAddr=_addr("ON", "Canada"))
    for customer in (oregon, abroad):
        invoice = api.create("Invoice", {"CustomerRef": {"value": customer},
                                         "Line": [_line(item, "100.00")]})
        assert _tax(invoice) == (Decimal("0.00"), Decimal("100.00"))


def test_manual_company_keeps_the_tax_code_rules(manual_api: Api) -> None:
    api = manual_api
    assert _partner_tax(api) is False
    item = api.find("Item", "Design")["Id"]
    customer = _customer(api, "Manual Co", ShipAddr=_addr("NY"))
    invoice = api.create("Invoice", {"CustomerRef": {"value": customer},
                                     "Line": [_line(item, "100.00")],
                                     "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}}})
    assert _tax(invoice) == (Decimal("8.25"), Decimal("108.25"))  # Texas code, not the address
    refused = api.post("invoice", {"CustomerRef": {"value": customer},
                                   "Line": [_line(item, "100.00", "2")]})
    assert fault(refused)["code"] == "6000"
    names = {r["Name"] for r in api.query("select * from TaxRate")["TaxRate"]}
    assert names == {"Texas State"}


def test_a_company_can_be_switched_to_automated(manual_api: Api, emulator: RunningEmulator
                                                ) -> None:
    api = manual_api
    answer = emulator.control("POST", f"companies/{api.company.realm_id}/preferences",
                              {"sales_tax": "automated"})
    assert answer["Preferences"]["TaxPrefs"]["PartnerTaxEnabled"] is True
    assert _partner_tax(api)
    item = api.find("Item", "Design")["Id"]
    customer = _customer(api, "Switched Co", BillAddr=_addr("WA"))
    invoice = api.create("Invoice", {"CustomerRef": {"value": customer},
                                     "Line": [_line(item, "100.00")]})
    assert _tax(invoice) == (Decimal("6.50"), Decimal("106.50"))
