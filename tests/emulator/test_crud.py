"""Create, read, full and sparse update, delete, void, deactivate."""

from __future__ import annotations

from decimal import Decimal

from qbo_emulator.testing import RunningEmulator

from .conftest import Api, fault


def test_create_read_and_response_shape(api: Api) -> None:
    response = api.post("customer", {"DisplayName": "Ann O'Hara", "GivenName": "Ann"})
    assert response.status_code == 200
    assert response.headers["intuit_tid"]
    body = response.json()
    assert set(body) == {"Customer", "time"}
    customer = body["Customer"]
    assert customer["Id"].isdigit() and customer["SyncToken"] == "0"
    assert customer["MetaData"]["CreateTime"] == customer["MetaData"]["LastUpdatedTime"]
    read = api.get(f"customer/{customer['Id']}").json()["Customer"]
    assert read == customer


def test_ids_are_unique_per_entity(api: Api) -> None:
    ids = {api.create("Class", {"Name": f"Region {n}"})["Id"] for n in range(5)}
    assert len(ids) == 5


def test_full_update_nulls_omitted_fields_and_bumps_sync_token(api: Api) -> None:
    created = api.create(
        "Customer", {"DisplayName": "Full Update", "Notes": "keep?", "CompanyName": "Acme"}
    )
    updated = api.create(
        "Customer", {"Id": created["Id"], "SyncToken": "0", "DisplayName": "Full Update"}
    )
    assert updated["SyncToken"] == "1"
    assert "Notes" not in updated and "CompanyName" not in updated
    assert updated["MetaData"]["CreateTime"] == created["MetaData"]["CreateTime"]


def test_sparse_update_changes_only_sent_fields(api: Api) -> None:
    created = api.create("Customer", {"DisplayName": "Sparse One", "Notes": "keep me"})
    updated = api.create(
        "Customer",
        {"Id": created["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "Sparse Inc"},
    )
    assert updated["Notes"] == "keep me" and updated["CompanyName"] == "Sparse Inc"
    assert updated["SyncToken"] == "1"


def test_read_only_fields_are_ignored(api: Api) -> None:
    customer = api.find("Customer", "Cool Cars")
    invoice = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": 999,
            "Balance": 5,
            "MetaData": {"CreateTime": "2001-01-01T00:00:00Z"},
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": api.find("Item", "Design")["Id"]}},
                }
            ],
        },
    )
    assert invoice["TotalAmt"] == 10 and invoice["Balance"] == 10
    assert not invoice["MetaData"]["CreateTime"].startswith("2001")


def test_stale_sync_token_is_5010(api: Api) -> None:
    created = api.create("Vendor", {"DisplayName": "Stale Vendor"})
    api.create(
        "Vendor", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "x"}
    )
    response = api.post(
        "vendor", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "y"}
    )
    assert response.status_code == 400
    assert fault(response)["code"] == "5010"
    assert response.json()["Fault"]["type"] == "ValidationFault"


def test_read_missing_and_bad_ids(api: Api) -> None:
    missing = api.get("customer/99999")
    assert missing.status_code == 400 and fault(missing)["code"] == "610"
    bad = api.get("customer/abc")
    assert bad.status_code == 400 and fault(bad)["code"] == "2030"


def test_deactivate_name_list_appends_deleted(api: Api) -> None:
    created = api.create("Customer", {"DisplayName": "Gone Soon"})
    updated = api.create(
        "Customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert updated["Active"] is False and updated["DisplayName"] == "Gone Soon (deleted)"
    active_only = api.query("select * from Customer where DisplayName LIKE 'Gone Soon%'")
    assert active_only == {}
    everything = api.query(
        "select * from Customer where Active IN (true, false) and DisplayName LIKE 'Gone Soon%'"
    )
    assert [c["Id"] for c in everything["Customer"]] == [created["Id"]]
    item = api.create(
        "Item",
        {
            "Name": "Old Item",
            "Type": "Service",
            "IncomeAccountRef": {"value": api.find("Account", "Services")["Id"]},
        },
    )
    gone = api.create("Item", {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert gone["Name"] == "Old Item (deleted)"


def test_name_lists_cannot_be_deleted(api: Api) -> None:
    created = api.create("Customer", {"DisplayName": "No Delete"})
    response = api.post("customer", {"Id": created["Id"], "SyncToken": "0"}, operation="delete")
    assert response.status_code == 400 and fault(response)["code"] == "500"


def _invoice(api: Api, amount: int = 100) -> dict:
    customer = api.find("Customer", "Red Rock Diner")
    item = api.find("Item", "Design")
    return api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": amount,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": item["Id"]},
                        "Qty": 1,
                        "UnitPrice": amount,
                    },
                }
            ],
        },
    )


def test_delete_transaction_then_read_is_610(api: Api) -> None:
    invoice = _invoice(api)
    response = api.post(
        "invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, operation="delete"
    )
    assert response.status_code == 200
    assert response.json()["Invoice"] == {"Id": invoice["Id"], "status": "Deleted", "domain": "QBO"}
    assert fault(api.get(f"invoice/{invoice['Id']}"))["code"] == "610"


def test_delete_needs_current_sync_token(api: Api) -> None:
    invoice = _invoice(api)
    response = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "7"}, operation="delete")
    assert fault(response)["code"] == "5010"


def test_void_invoice_zeroes_amounts(api: Api) -> None:
    invoice = _invoice(api, 250)
    response = api.post(
        "invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, operation="void"
    )
    assert response.status_code == 200, response.text
    voided = response.json()["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert voided["SyncToken"] == "1"
    assert api.get(f"invoice/{invoice['Id']}").json()["Invoice"]["TotalAmt"] == 0


def test_invoice_lines_ids_subtotal_and_docnumber(api: Api) -> None:
    customer = api.find("Customer", "Kookies by Kathy")
    item = api.find("Item", "Gardening")
    line = {
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 3, "UnitPrice": "12.345"},
        "Amount": "37.04",
    }
    first = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [line, {**line, "Description": "second"}],
            "DocNumber": "MINE-1",
        },
    )
    assert [line["Id"] for line in first["Line"][:2]] == ["1", "2"]
    subtotal = first["Line"][-1]
    assert subtotal["DetailType"] == "SubTotalLineDetail"
    assert Decimal(str(subtotal["Amount"])) == Decimal("74.08")
    assert first["DocNumber"] == "MINE-1"  # a sent number is kept
    second = _invoice(api)
    third = _invoice(api)
    assert int(third["DocNumber"]) == int(second["DocNumber"]) + 1  # numbered when none sent
    # Echoing the read object back (with its SubTotal line) is a valid full update.
    again = api.create("Invoice", {**first, "PrivateNote": "updated"})
    assert [line.get("Id") for line in again["Line"]] == ["1", "2", None]
    assert again["TotalAmt"] == first["TotalAmt"]


def test_money_is_serialized_as_numbers(api: Api) -> None:
    invoice = _invoice(api, 100)
    raw = api.get(f"invoice/{invoice['Id']}").text
    assert '"TotalAmt":100' in raw


def test_companyinfo_and_preferences(api: Api) -> None:
    realm = api.company.realm_id
    info = api.get(f"companyinfo/{realm}").json()["CompanyInfo"]
    # ISO-3 since October 2025, in the company and its address alike.
    assert info["Country"] == "USA" and info["CompanyAddr"]["Country"] == "USA"
    assert info["CompanyName"]
    prefs = api.get("preferences").json()["Preferences"]
    assert prefs["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": False,
        "HomeCurrency": {"value": "USD"},
    }


def test_companies_are_created_with_either_country_code(emulator: RunningEmulator) -> None:
    for code, iso3, currency in (("CA", "CAN", "CAD"), ("GBR", "GBR", "GBP")):
        company = emulator.create_company(country=code)
        info = Api(company).get(f"companyinfo/{company.realm_id}").json()["CompanyInfo"]
        assert info["Country"] == iso3
        prefs = Api(company).get("preferences").json()["Preferences"]
        assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == currency


def test_paths_are_lower_case(api: Api) -> None:
    response = api.post("Customer", {"DisplayName": "Upper Path"})
    assert response.status_code == 400
