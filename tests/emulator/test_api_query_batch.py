"""Query endpoint, batch endpoint and requestid idempotency."""

from __future__ import annotations

import requests

from .conftest import Api, fault


def test_query_get_and_post_with_paging(api: Api) -> None:
    page = api.query("select * from Customer orderby DisplayName startposition 1 maxresults 10")
    assert page["startPosition"] == 1 and page["maxResults"] == 10
    second = api.query("select * from Customer orderby DisplayName startposition 11 maxresults 10")
    assert not {c["Id"] for c in page["Customer"]} & {c["Id"] for c in second["Customer"]}
    response = api.get("query", query="select count(*) from Vendor")
    assert response.status_code == 200
    assert response.json()["QueryResponse"]["totalCount"] >= 20


def test_query_finds_names_with_quotes_and_unicode(api: Api) -> None:
    assert api.find("Customer", "Amy's Bird Sanctuary")["DisplayName"] == "Amy's Bird Sanctuary"
    assert api.find("Customer", "Zoë Müller GmbH")["Id"]


def test_query_unknown_entity_is_4001(api: Api) -> None:
    response = api.get("query", query="select * from Spaceship")
    assert response.status_code == 400 and fault(response)["code"] == "4001"
    too_many = api.get("query", query="select * from Customer maxresults 1500")
    assert fault(too_many)["code"] == "4001"


def test_batch_mixed_operations_and_faults(api: Api) -> None:
    design = api.find("Item", "Design")
    body = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
            {"bId": "3", "Query": "select * from Item where Name = 'Design'"},
            {"bId": "4", "operation": "create", "Vendor": {"DisplayName": "Batch V", "Bogus": 1}},
        ]
    }
    response = api.post("batch", body)
    assert response.status_code == 200
    items = {item["bId"]: item for item in response.json()["BatchItemResponse"]}
    assert items["1"]["Customer"]["DisplayName"] == "Batch One"
    assert items["2"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["3"]["QueryResponse"]["Item"][0]["Id"] == design["Id"]
    assert items["4"]["Fault"]["Error"][0]["code"] == "2010"
    customer = items["1"]["Customer"]
    update = api.post(
        "batch",
        {
            "BatchItemRequest": [
                {
                    "bId": "u",
                    "operation": "update",
                    "Customer": {
                        "Id": customer["Id"],
                        "SyncToken": "0",
                        "sparse": True,
                        "Notes": "n",
                    },
                },
            ]
        },
    ).json()["BatchItemResponse"][0]
    assert update["Customer"]["SyncToken"] == "1"


def test_batch_limits(api: Api) -> None:
    items = [{"bId": str(n), "operation": "create", "Class": {"Name": f"C{n}"}} for n in range(31)]
    assert api.post("batch", {"BatchItemRequest": items}).status_code == 400
    ok = api.post("batch", {"BatchItemRequest": items[:30]})
    assert ok.status_code == 200 and len(ok.json()["BatchItemResponse"]) == 30


def test_batch_ids_without_requestid_are_free(api: Api) -> None:
    bid = "5c1a7e0e-2a5f-4a0b-9a8e-6f1f2f8d1c11"  # the 36-character UUIDs python-quickbooks sends
    body = {"BatchItemRequest": [{"bId": bid, "operation": "create", "Class": {"Name": "Long"}}]}
    response = api.post("batch", body)
    assert response.status_code == 200
    assert response.json()["BatchItemResponse"][0]["Class"]["Name"] == "Long"


def test_batch_item_over_request_id_limit_faults_alone(api: Api) -> None:
    requestid = "r" * 36
    body = {
        "BatchItemRequest": [
            {"bId": "short", "operation": "create", "Class": {"Name": "Fits"}},
            {"bId": "b" * 14, "operation": "create", "Class": {"Name": "Fits too"}},
            {"bId": "b" * 15, "operation": "create", "Class": {"Name": "Too long"}},
        ]
    }
    response = api.post("batch", body, requestid=requestid)
    assert response.status_code == 200
    items = {item["bId"]: item for item in response.json()["BatchItemResponse"]}
    assert items["short"]["Class"]["Name"] == "Fits"
    assert items["b" * 14]["Class"]["Name"] == "Fits too"
    error = items["b" * 15]["Fault"]["Error"][0]
    assert error["code"] == "6000" and "50 characters" in error["Detail"]
    assert not api.query("select * from Class where Name = 'Too long'")


def test_requestid_returns_first_answer(api: Api) -> None:
    first = api.post("customer", {"DisplayName": "Idempotent"}, requestid="req-1")
    again = api.post("customer", {"DisplayName": "Idempotent"}, requestid="req-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    rows = api.query("select * from Customer where DisplayName = 'Idempotent'")["Customer"]
    assert len(rows) == 1
    # A fault is stored too.
    bad = api.post("customer", {"DisplayName": "Idempotent"}, requestid="req-2")
    assert api.post("customer", {"DisplayName": "Other"}, requestid="req-2").text == bad.text


def test_requestid_limits(api: Api) -> None:
    assert api.post("class", {"Name": "RQ"}, requestid="r" * 51).status_code == 400
    assert api.post("class", {"Name": "RQ"}, requestid="r" * 50).status_code == 200
    batch = {"BatchItemRequest": [{"bId": "1", "operation": "create", "Class": {"Name": "RB"}}]}
    assert api.post("batch", batch, requestid="b" * 37).status_code == 400
    first = api.post("batch", batch, requestid="b" * 36)
    assert api.post("batch", batch, requestid="b" * 36).json() == first.json()


def test_query_via_post_application_text(api: Api) -> None:
    response = requests.post(
        api.url("query"),
        data="SELECT * FROM Term",
        timeout=10,
        headers={**api.company.headers, "Content-Type": "application/text"},
    )
    assert {t["Name"] for t in response.json()["QueryResponse"]["Term"]} >= {
        "Net 15",
        "Net 30",
        "Net 60",
        "Due on receipt",
    }
