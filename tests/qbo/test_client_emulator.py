"""The client against the QBO emulator over HTTP: what ends up in QBO, and how faults surface."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.qbo.client import BatchOp, BatchQuery, QBOClient
from app.qbo.faults import (
    AuthenticationError,
    AuthorizationError,
    DuplicateNameError,
    InactiveReferenceError,
    InvalidReferenceError,
    QBOError,
    StaleObjectError,
    ThrottledError,
    ValidationError,
)
from app.qbo.query import where_eq, where_in
from tests.qbo.conftest import Company


def _rid() -> str:
    return uuid.uuid4().hex


def _item(company: Company, name: str = "Hours") -> dict[str, Any]:
    return next(company.client.query_rows("Item", where_eq("Name", name)))


def _invoice_body(
    customer_id: str,
    item_id: str,
    qty: str = "2",
    price: str = "50.00",
    amount: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    amount = amount or str(Decimal(qty) * Decimal(price))
    return {
        "CustomerRef": {"value": customer_id},
        "Line": [{
            "Amount": Decimal(amount),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": Decimal(qty),
                                    "UnitPrice": Decimal(price)},
        }],
        **extra,
    }  # fmt: skip


def test_crud_sparse_and_full_update(company: Company) -> None:
    client = company.client
    made = client.create(
        "Customer",
        {"DisplayName": "Crud Co", "GivenName": "Ada", "CompanyName": "Crud"},
        request_id=_rid(),
    )
    assert made["Id"] and made["SyncToken"] == "0" and made["MetaData"]["CreateTime"]
    assert client.read("Customer", made["Id"])["DisplayName"] == "Crud Co"

    sparse = client.update(
        "Customer",
        {"Id": made["Id"], "SyncToken": made["SyncToken"], "CompanyName": "Crud Ltd"},
        request_id=_rid(),
    )
    assert sparse["SyncToken"] == "1"
    assert sparse["CompanyName"] == "Crud Ltd" and sparse["GivenName"] == "Ada"

    full = client.update(
        "Customer",
        {"Id": made["Id"], "SyncToken": sparse["SyncToken"], "DisplayName": "Crud Co"},
        request_id=_rid(),
        sparse=False,
    )
    # A full update blanks every writable field that was left out.
    assert full["SyncToken"] == "2" and not full.get("GivenName") and not full.get("CompanyName")

    with pytest.raises(StaleObjectError) as info:
        client.update(
            "Customer", {"Id": made["Id"], "SyncToken": "0", "Notes": "late"}, request_id=_rid()
        )
    assert info.value.code == "5010" and info.value.status == 400 and info.value.intuit_tid


def test_delete_void_company_info_preferences(company: Company) -> None:
    client = company.client
    customer = client.create("Customer", {"DisplayName": "Void Co"}, request_id=_rid())
    item = _item(company)
    first = client.create("Invoice", _invoice_body(customer["Id"], item["Id"]), request_id=_rid())
    assert first["TotalAmt"] == Decimal("100.00")
    voided = client.void("Invoice", first["Id"], first["SyncToken"], request_id=_rid())
    assert voided["TotalAmt"] == 0
    second = client.create("Invoice", _invoice_body(customer["Id"], item["Id"]), request_id=_rid())
    gone = client.delete("Invoice", second["Id"], second["SyncToken"], request_id=_rid())
    assert gone["status"] == "Deleted"
    with pytest.raises(QBOError):
        client.read("Invoice", second["Id"])
    assert client.company_info()["CompanyName"]
    assert "CurrencyPrefs" in client.preferences()


def test_decimals_round_trip_exactly(company: Company) -> None:
    client = company.client
    customer = client.create("Customer", {"DisplayName": "Cents Co"}, request_id=_rid())
    item = _item(company)
    invoice = client.create(
        "Invoice", _invoice_body(customer["Id"], item["Id"], qty="3", price="33.33"),
        request_id=_rid(),
    )  # fmt: skip
    assert invoice["TotalAmt"] == Decimal("99.99")
    assert isinstance(invoice["Line"][0]["Amount"], Decimal)


def test_names_with_quotes_and_backslashes(company: Company) -> None:
    client = company.client
    names = ["O'Brien & Sons", "Back\\slash Ltd", "Tricky \\' Co", "Trailing\\"]
    for name in names:
        client.create("Customer", {"DisplayName": name}, request_id=_rid())
    for name in names:
        rows = list(client.query_rows("Customer", where_eq("DisplayName", name)))
        assert [r["DisplayName"] for r in rows] == [name]
    found = list(client.query_rows("Customer", where_in("DisplayName", names)))
    assert sorted(r["DisplayName"] for r in found) == sorted(names)
    # A long IN list goes as a POST body instead of a URL.
    padding = [f"Nobody {i:03d} O'Hara" for i in range(150)]
    found = list(client.query_rows("Customer", where_in("DisplayName", names + padding)))
    assert sorted(r["DisplayName"] for r in found) == sorted(names)
    assert company.stats()["requests"]["POST /query"]["200"] == 1


def test_batch_split_pagination_and_count(company: Company) -> None:
    client = company.client
    before = client.count("Customer")
    ops = [
        BatchOp(f"c{i}", "create", "Customer", {"DisplayName": f"Bulk {i:04d}"})
        for i in range(1005)
    ]
    results = client.batch(ops, request_id_prefix=f"bulk-{uuid.uuid4().hex[:8]}")
    assert len(results) == 1005 and all(r.ok for r in results)
    assert company.stats()["batches"] == 34  # ceil(1005 / 30)
    total = before + 1005
    assert client.count("Customer") == total

    queries_before = company.stats()["requests"].get("GET /query", {}).get("200", 0)
    seen = [row["Id"] for row in client.query_rows("Customer")]
    queries = company.stats()["requests"]["GET /query"]["200"] - queries_before
    assert len(seen) == len(set(seen)) == total
    # ceil((total + 1) / 1000) pages: the last one is short (or empty).
    assert queries == total // 1000 + 1
    small = list(client.query_rows("Customer", where_eq("Active", True), page_size=400))
    assert len(small) == total


def test_batch_per_item_results(company: Company) -> None:
    client = company.client
    existing = client.create("Customer", {"DisplayName": "Batch Old"}, request_id=_rid())
    results = client.batch(
        [
            BatchOp("new", "create", "Customer", {"DisplayName": "Batch New"}),
            BatchOp("dup", "create", "Customer", {"DisplayName": "Batch Old"}),
            BatchOp("stale", "update", "Customer",
                    {"Id": existing["Id"], "SyncToken": "7", "sparse": True, "Notes": "x"}),
            BatchOp("upd", "update", "Customer",
                    {"Id": existing["Id"], "SyncToken": "0", "sparse": True, "Notes": "ok"}),
            BatchQuery("q", "select * from Customer where DisplayName = 'Batch Old'"),
        ],
        request_id_prefix=_rid()[:20],
    )  # fmt: skip
    by_bid = {r.bid: r for r in results}
    assert by_bid["new"].ok and by_bid["new"].data and by_bid["new"].data["Id"]
    dup = by_bid["dup"].fault
    assert isinstance(dup, DuplicateNameError)
    assert dup.plain_message() == (
        "QuickBooks already has a customer, vendor or employee named 'Batch Old'"
    )
    assert isinstance(by_bid["stale"].fault, StaleObjectError)
    assert by_bid["upd"].ok and by_bid["upd"].data and by_bid["upd"].data["Notes"] == "ok"
    assert by_bid["q"].data and by_bid["q"].data["Customer"][0]["Id"] == existing["Id"]


def test_batch_rerun_with_same_prefix_replays(company: Company) -> None:
    client = company.client
    ops = [BatchOp(str(i), "create", "Customer", {"DisplayName": f"Replay {i}"}) for i in range(40)]
    prefix = f"replay-{uuid.uuid4().hex}"  # long: hashed down to fit 36 characters
    first = client.batch(ops, request_id_prefix=prefix)
    again = client.batch(ops, request_id_prefix=prefix)
    assert [r.data["Id"] for r in first if r.data] == [r.data["Id"] for r in again if r.data]
    assert all(r.ok for r in again)


def test_cdc(company: Company) -> None:
    client = company.client
    since = datetime.now(UTC) - timedelta(seconds=5)
    customer = client.create("Customer", {"DisplayName": "Cdc Co"}, request_id=_rid())
    item = _item(company)
    invoice = client.create("Invoice", _invoice_body(customer["Id"], item["Id"]), request_id=_rid())
    client.delete("Invoice", invoice["Id"], invoice["SyncToken"], request_id=_rid())
    changes = client.cdc(["Customer", "Invoice", "Vendor", "Bill"], since)
    # The sample company was seeded moments ago, so its records count as changed too.
    assert customer["Id"] in {c["Id"] for c in changes["Customer"]}
    deleted = [i for i in changes["Invoice"] if i["Id"] == invoice["Id"]]
    assert len(deleted) == 1 and deleted[0]["status"] == "Deleted"
    assert changes["Bill"] == []
    later = client.cdc(["Customer"], datetime.now(UTC) + timedelta(seconds=5))
    assert later == {"Customer": []}


def test_request_id_replay_creates_once(company: Company) -> None:
    client = company.client
    before = company.count("Customer")
    rid = _rid()
    first = client.create("Customer", {"DisplayName": "Once Co"}, request_id=rid)
    second = client.create("Customer", {"DisplayName": "Once Co"}, request_id=rid)
    assert first == second and company.count("Customer") == before + 1
    with pytest.raises(ValueError):
        client.create("Customer", {"DisplayName": "x"}, request_id="x" * 51)


def _fault(call: Callable[[], object]) -> QBOError:
    with pytest.raises(QBOError) as info:
        call()
    return info.value


def test_fault_mapping_for_every_code(company: Company, make_company: Any) -> None:
    client = company.client
    customer = client.create("Customer", {"DisplayName": "Fault Co"}, request_id=_rid())
    item = _item(company)
    inactive = client.create("Customer", {"DisplayName": "Gone Co"}, request_id=_rid())
    client.update("Customer", {"Id": inactive["Id"], "SyncToken": "0", "Active": False},
                  request_id=_rid())  # fmt: skip
    company.emulator.control(
        "POST", f"companies/{company.realm_id}/preferences",
        {"custom_txn_numbers": True, "duplicate_docnumber_check": True},
    )  # fmt: skip
    docs = client.create(
        "Invoice", _invoice_body(customer["Id"], item["Id"], DocNumber="F-1"), request_id=_rid()
    )
    assert docs["DocNumber"] == "F-1"

    cases: list[tuple[str, type[QBOError], Callable[[], object]]] = [
        ("6240", DuplicateNameError,
         lambda: client.create("Vendor", {"DisplayName": "Fault Co"}, request_id=_rid())),
        ("5010", StaleObjectError,
         lambda: client.update("Customer", {"Id": customer["Id"], "SyncToken": "9"},
                               request_id=_rid())),
        ("610", InactiveReferenceError,
         lambda: client.create("Invoice", _invoice_body(inactive["Id"], item["Id"]),
                               request_id=_rid())),
        ("2500", InvalidReferenceError,
         lambda: client.create("Invoice", _invoice_body(customer["Id"], "999999"),
                               request_id=_rid())),
        ("2020", ValidationError,
         lambda: client.create("Invoice", {"Line": []}, request_id=_rid())),
        ("2010", ValidationError,
         lambda: client.create("Customer", {"DisplayName": "P Co", "Colour": "red"},
                               request_id=_rid())),
        ("2030", ValidationError, lambda: client.read("Customer", "abc")),
        ("6000", ValidationError,
         lambda: client.create("Customer", {"DisplayName": "Bad: name"}, request_id=_rid())),
        ("6070", ValidationError,
         lambda: client.create("Invoice", _invoice_body(customer["Id"], item["Id"],
                                                        amount="99.00"), request_id=_rid())),
        ("6140", ValidationError,
         lambda: client.create("Invoice", _invoice_body(customer["Id"], item["Id"],
                                                        DocNumber="F-1"), request_id=_rid())),
        ("4001", ValidationError, lambda: client.query("SELECT * FROM Unicorn")),
    ]  # fmt: skip
    for code, cls, call in cases:
        err = _fault(call)
        assert (err.code, type(err)) == (code, cls), (code, err)
        assert not err.retryable and err.status == 400 and err.intuit_tid
        assert err.plain_message()
    assert "Line.SalesItemLineDetail.ItemRef" in (_fault(cases[3][2]).element or "")

    # 3100: a token for another company.
    other = make_company()
    stranger = QBOClient(
        base_url=client.base_url, realm_id=company.realm_id, tokens=other.tokens,
        limiter=client.limiter,
    )  # fmt: skip
    err = _fault(lambda: stranger.read("Customer", customer["Id"]))
    assert (err.code, type(err), err.status) == ("3100", AuthorizationError, 403)

    # 3200: a token that stays rejected even after a refresh.
    class DeadTokens:
        def access_token(self) -> str:
            return "not-a-token"

        def refresh(self, rejected_token: str) -> str:
            return "still-not-a-token"

    dead = QBOClient(base_url=client.base_url, realm_id=company.realm_id,
                            tokens=DeadTokens())  # fmt: skip
    err = _fault(lambda: dead.read("Customer", customer["Id"]))
    assert (err.code, type(err), err.status) == ("3200", AuthenticationError, 401)

    # 3001: a 429 that outlasts the retries.
    company.faults({"kind": "throttle_429", "next_n": 2, "path": "/customer/"})
    quick = QBOClient(base_url=client.base_url, realm_id=company.realm_id,
                             tokens=company.tokens, max_retries=1, backoff_base=0.001,
                             backoff_cap=0.01)  # fmt: skip
    err = _fault(lambda: quick.read("Customer", customer["Id"]))
    assert (err.code, type(err), err.status) == ("3001", ThrottledError, 429)
    assert err.retryable and err.message == "ThrottleExceeded"


def test_query_rows_many_runs_queries_at_once(make_company: Any) -> None:
    company = make_company(concurrency=4)
    names = sorted(r["DisplayName"] for r in company.client.query_rows("Customer"))
    wheres = [where_in("DisplayName", names[i:i + 2]) for i in range(0, len(names), 2)]
    # Each answer takes a while (scaled), so queries that overlap show in the emulator.
    company.emulator.control("POST", "latency", {"request": 10})
    try:
        rows = company.client.query_rows_many("Customer", wheres)
    finally:
        company.emulator.control("POST", "latency", {"request": 0})
    assert sorted(r["DisplayName"] for r in rows) == names
    assert company.stats()["peak_in_flight"] >= 2
    one_at_a_time = make_company()
    assert one_at_a_time.client.concurrency == 1
    assert [r["Id"] for r in one_at_a_time.client.query_rows_many("Customer", wheres)] == [
        r["Id"] for r in rows]
