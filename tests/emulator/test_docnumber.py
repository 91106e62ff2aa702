"""Invoice numbers (DocNumber, 6140, allowduplicatedocnum) and the replay_miss fault, over HTTP."""

from __future__ import annotations

from typing import Any

from qbo_emulator.testing import RunningEmulator

from .conftest import Api, fault

DETAIL = (
    "You must specify a different number. This number has already been used. "
    "DocNumber={doc} is assigned to TxnType=Invoice with TxnId={txn}"
)


def _body(api: Api, doc: str | None = None, note: str | None = None) -> dict[str, Any]:
    customer = api.find("Customer", "Cool Cars")
    item = api.find("Item", "Design")
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [
            {
                "Amount": 40,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1,
                                        "UnitPrice": 40},
            }
        ],
    }
    if doc is not None:
        body["DocNumber"] = doc
    if note is not None:
        body["PrivateNote"] = note
    return body


def _invoices(api: Api, where: str) -> list[dict[str, Any]]:
    return api.query(f"select * from Invoice where {where}").get("Invoice", [])


def _prefs(emulator: RunningEmulator, api: Api, **prefs: Any) -> None:
    emulator.control("POST", f"companies/{api.company.realm_id}/preferences", prefs)


def test_a_sent_number_is_kept_and_the_service_numbers_only_when_none_is_sent(
    emulator: RunningEmulator, api: Api
) -> None:
    kept = api.create("Invoice", _body(api, "LH-2026-0042"))
    assert kept["DocNumber"] == "LH-2026-0042"
    first = api.create("Invoice", _body(api))
    second = api.create("Invoice", _body(api))
    assert first["DocNumber"].isdigit()
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    # An update that sends no number keeps the one the invoice has.
    sparse = api.create("Invoice", {"Id": kept["Id"], "SyncToken": kept["SyncToken"],
                                    "sparse": True, "PrivateNote": "seen"})
    assert sparse["DocNumber"] == "LH-2026-0042"
    assert api.post("invoice", _body(api, "X" * 22)).status_code == 400


def test_custom_numbers_continue_from_the_highest_number_seen(
    emulator: RunningEmulator, api: Api
) -> None:
    _prefs(emulator, api, custom_txn_numbers=True)
    assert api.create("Invoice", _body(api, "5000"))["DocNumber"] == "5000"
    # QBO's own next number continues after ours: the collision Ledgerhub must expect later.
    assert api.create("Invoice", _body(api))["DocNumber"] == "5001"
    assert api.create("Invoice", _body(api, "5002"))["DocNumber"] == "5002"
    assert api.create("Invoice", _body(api))["DocNumber"] == "5003"


def test_duplicate_invoice_number_is_refused_with_6140_by_default(api: Api) -> None:
    first = api.create("Invoice", _body(api, "1001-A"))
    refused = api.post("invoice", _body(api, "1001-A"))
    assert refused.status_code == 400
    error = fault(refused)
    assert error["code"] == "6140"
    assert error["Message"] == "Duplicate Document Number Error"
    assert error["Detail"] == DETAIL.format(doc="1001-A", txn=first["Id"])
    assert len(_invoices(api, "DocNumber = '1001-A'")) == 1
    # Renumbering another invoice onto a used number is refused the same way.
    other = api.create("Invoice", _body(api, "1001-B"))
    renumber = api.post("invoice", {"Id": other["Id"], "SyncToken": other["SyncToken"],
                                    "sparse": True, "DocNumber": "1001-A"})
    assert fault(renumber)["code"] == "6140"
    # Saving an invoice again with its own number is no duplicate.
    again = api.post("invoice", {"Id": first["Id"], "SyncToken": first["SyncToken"],
                                 "sparse": True, "DocNumber": "1001-A", "PrivateNote": "x"})
    assert again.status_code == 200, again.text


def test_allowduplicatedocnum_bypasses_the_check(emulator: RunningEmulator, api: Api) -> None:
    api.create("Invoice", _body(api, "DUP-1"))
    allowed = api.post("invoice", _body(api, "DUP-1"), include="allowduplicatedocnum")
    assert allowed.status_code == 200, allowed.text
    assert len(_invoices(api, "DocNumber = 'DUP-1'")) == 2
    # The company setting switches the warning off for every request.
    _prefs(emulator, api, duplicate_docnumber_check=False)
    assert api.post("invoice", _body(api, "DUP-1")).status_code == 200
    assert len(_invoices(api, "DocNumber = 'DUP-1'")) == 3


def test_batch_items_get_6140_and_the_include_applies_to_the_batch(api: Api) -> None:
    existing = api.create("Invoice", _body(api, "B-7"))
    batch = {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Invoice": _body(api, "B-7")},
        {"bId": "2", "operation": "create", "Invoice": _body(api, "B-8")},
    ]}
    answer = api.post("batch", batch).json()["BatchItemResponse"]
    by_bid = {item["bId"]: item for item in answer}
    error = by_bid["1"]["Fault"]["Error"][0]
    assert error["code"] == "6140"
    assert error["Detail"] == DETAIL.format(doc="B-7", txn=existing["Id"])
    assert by_bid["2"]["Invoice"]["DocNumber"] == "B-8"
    again = api.post("batch", {"BatchItemRequest": batch["BatchItemRequest"][:1]},
                     include="allowduplicatedocnum").json()["BatchItemResponse"]
    assert again[0]["Invoice"]["DocNumber"] == "B-7"
    assert len(_invoices(api, "DocNumber = 'B-7'")) == 2


def test_a_repeated_requestid_returns_the_stored_answer(api: Api) -> None:
    first = api.post("invoice", _body(api, note="once"), requestid="same-1")
    second = api.post("invoice", _body(api, note="once"), requestid="same-1")
    assert second.json()["Invoice"]["Id"] == first.json()["Invoice"]["Id"]
    assert len(_invoices(api, "DocNumber = '" + first.json()["Invoice"]["DocNumber"] + "'")) == 1


def test_replay_miss_executes_a_repeated_requestid_again(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.control("POST", "faults", {"rules": [
        {"kind": "replay_miss", "realm": api.company.realm_id, "next_n": 1}]})
    first = api.post("invoice", _body(api), requestid="again-1").json()["Invoice"]
    # The first use of a requestid is no repeat: the rule has not fired yet.
    rules = emulator.control("GET", "faults")["rules"]
    assert (rules[0]["seen"], rules[0]["fired"]) == (0, 0)
    second = api.post("invoice", _body(api), requestid="again-1").json()["Invoice"]
    assert second["Id"] != first["Id"]  # a duplicate, as the real service has produced
    third = api.post("invoice", _body(api), requestid="again-1").json()["Invoice"]
    assert third["Id"] == second["Id"]  # next_n used up: the stored answer again
    customer = api.find("Customer", "Cool Cars")["Id"]
    assert len(_invoices(api, f"CustomerRef = '{customer}'")) == 2


def test_replay_miss_repeats_a_whole_batch_and_a_sent_number_then_gets_6140(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.control("POST", "faults", {"rules": [
        {"kind": "replay_miss", "path": "/batch$", "every_nth": 1}]})
    batch = {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Invoice": _body(api, note="no number")},
        {"bId": "2", "operation": "create", "Invoice": _body(api, "R-1")},
    ]}
    api.post("batch", batch, requestid="rb-1")
    repeat = api.post("batch", batch, requestid="rb-1").json()["BatchItemResponse"]
    by_bid = {item["bId"]: item for item in repeat}
    assert "Invoice" in by_bid["1"]  # numbered by the service: a silent duplicate
    assert by_bid["2"]["Fault"]["Error"][0]["code"] == "6140"  # our number protects us
    assert len(_invoices(api, "DocNumber = 'R-1'")) == 1
