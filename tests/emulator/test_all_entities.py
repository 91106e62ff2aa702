"""Every entity of Intuit's XSD: created with XSD validation, read, queried and in CDC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from .conftest import Api, fault


def _since() -> str:
    return (datetime.now(UTC) - timedelta(seconds=5)).isoformat(timespec="seconds")


def _cdc(api: Api, entities: str, since: str) -> list[dict]:
    response = api.get("cdc", entities=entities, changedSince=since)
    assert response.status_code == 200, response.text
    return response.json()["CDCResponse"][0]["QueryResponse"]


def _bodies(api: Api) -> dict[str, dict]:
    customer = api.find("Customer", "Amy's Bird Sanctuary")["Id"]
    vendor = api.find("Vendor", "Hicks Hardware")["Id"]
    item = api.find("Item", "Design")["Id"]
    bank = api.find("Account", "Checking")["Id"]
    expense = api.find("Account", "Office Expenses")["Id"]
    sales_line = {
        "Amount": 150,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 2, "UnitPrice": 75},
    }
    return {
        "SalesReceipt": {"CustomerRef": {"value": customer}, "Line": [sales_line]},
        "Estimate": {"CustomerRef": {"value": customer}, "Line": [sales_line]},
        "CreditMemo": {"CustomerRef": {"value": customer}, "Line": [sales_line]},
        "Deposit": {
            "DepositToAccountRef": {"value": bank},
            "Line": [
                {
                    "Amount": 20,
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": {"value": expense}},
                }
            ],
        },
        "JournalEntry": {
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "JournalEntryLineDetail",
                    "JournalEntryLineDetail": {
                        "PostingType": side,
                        "AccountRef": {"value": account},
                    },
                }
                for side, account in (("Debit", expense), ("Credit", bank))
            ]
        },
        "VendorCredit": {
            "VendorRef": {"value": vendor},
            "Line": [
                {
                    "Amount": 12.5,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense}},
                }
            ],
        },
    }


@pytest.mark.parametrize(
    "entity", ["SalesReceipt", "Estimate", "CreditMemo", "Deposit", "JournalEntry", "VendorCredit"]
)
def test_create_read_query_and_cdc(api: Api, entity: str) -> None:
    since = _since()
    created = api.create(entity, _bodies(api)[entity])
    assert created["Id"] and created["SyncToken"] == "0"
    assert created["TxnDate"] == datetime.now(UTC).date().isoformat()
    assert created["CurrencyRef"]["value"] == "USD"
    read = api.get(f"{entity.lower()}/{created['Id']}")
    assert read.status_code == 200 and read.json()[entity]["Id"] == created["Id"]
    rows = api.query(f"select * from {entity} where Id = '{created['Id']}'")[entity]
    assert [row["Id"] for row in rows] == [created["Id"]]
    entries = _cdc(api, entity, since)
    assert created["Id"] in {row["Id"] for row in entries[0][entity]}


def test_totals_come_from_the_lines(api: Api) -> None:
    receipt = api.create("SalesReceipt", _bodies(api)["SalesReceipt"])
    assert Decimal(str(receipt["TotalAmt"])) == Decimal("150")
    assert receipt["Line"][0]["Id"] == "1" and receipt["Line"][0]["LineNum"] == 1


def test_creation_is_checked_against_the_xsd(api: Api) -> None:
    body = {**_bodies(api)["Estimate"], "Colour": "red"}
    assert fault(api.post("estimate", body))["code"] == "2010"
    nowhere = {**_bodies(api)["Estimate"], "CustomerRef": {"value": "424242"}}
    assert fault(api.post("estimate", nowhere))["code"] == "2500"


def test_update_and_delete_of_a_transaction(api: Api) -> None:
    since = _since()
    deposit = api.create("Deposit", _bodies(api)["Deposit"])
    update = api.post(
        "deposit", {"Id": deposit["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "n"}
    )
    assert update.json()["Deposit"]["SyncToken"] == "1"
    stale = api.post("deposit", {"Id": deposit["Id"], "SyncToken": "0"}, operation="delete")
    assert fault(stale)["code"] == "5010"
    gone = api.post("deposit", {"Id": deposit["Id"], "SyncToken": "1"}, operation="delete")
    assert gone.json()["Deposit"]["status"] == "Deleted"
    assert api.get(f"deposit/{deposit['Id']}").status_code == 400
    rows = _cdc(api, "Deposit", since)[0]["Deposit"]
    assert {"Id": deposit["Id"], "status": "Deleted"}.items() <= rows[-1].items()


def test_list_entities_hide_inactive_rows(api: Api) -> None:
    kept = api.create("Department", {"Name": "North"})
    closed = api.create("Department", {"Name": "South", "Active": False})
    assert kept["Active"] is True
    names = {d["Name"] for d in api.query("select * from Department")["Department"]}
    assert names == {"North"}
    everything = api.query("select * from Department where Active in (true, false)")
    assert {d["Id"] for d in everything["Department"]} == {kept["Id"], closed["Id"]}


def test_every_xsd_entity_can_be_queried(api: Api) -> None:
    from qbo_emulator import schema

    for entity in sorted(schema.entity_names()):
        response = api.get("query", query=f"select count(*) from {entity}")
        assert response.status_code == 200, (entity, response.text)


def test_an_unfamiliar_cdc_entity_fails_alone(api: Api) -> None:
    since = _since()
    customer = api.create("Customer", {"DisplayName": "CDC Neighbour"})
    entries = _cdc(api, "Spaceship,Customer,Payment", since)
    assert entries[0]["Fault"]["Error"][0]["code"] == "2010"
    assert customer["Id"] in {c["Id"] for c in entries[1]["Customer"]}
    assert entries[2] == {"startPosition": 1, "maxResults": 0}
