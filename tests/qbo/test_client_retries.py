"""Retries against injected faults: every write lands exactly once, tokens never leak."""

from __future__ import annotations

import logging
import uuid

import pytest

from app.qbo.client import BatchOp
from app.qbo.faults import StaleObjectError, TransportError
from tests.qbo.conftest import Company


def _attempts(company: Company, request_id: str) -> list[int | None]:
    return [e.status for e in company.exchanges if e.request_id == request_id]


@pytest.mark.parametrize(
    ("kind", "first_status"),
    [
        ("http_500", 500),
        ("http_503", 503),
        ("throttle_429", 429),
        ("reset_before_commit", None),
        ("timeout_after_commit", None),
    ],
)
def test_write_retried_lands_exactly_once(company: Company, kind: str, first_status: int) -> None:
    before = company.count("Customer")
    company.faults({"kind": kind, "next_n": 2, "path": "/customer$", "method": "POST"})
    request_id = uuid.uuid4().hex
    made = company.client.create("Customer", {"DisplayName": f"Retry {kind}"},
                                 request_id=request_id)  # fmt: skip
    assert company.count("Customer") == before + 1
    assert [made["Id"]] == [
        c["Id"] for c in company.client.query_rows("Customer", f"DisplayName = 'Retry {kind}'")
    ]
    # Two failed attempts, then success, all with the same requestid.
    assert _attempts(company, request_id) == [first_status, first_status, 200]


def test_unknown_outcome_after_retries_then_replay(company: Company) -> None:
    client = company.client
    before = company.count("Customer")
    company.faults({"kind": "timeout_after_commit", "next_n": 3, "path": "/customer$"})
    request_id = uuid.uuid4().hex
    client.max_retries = 2
    with pytest.raises(TransportError) as info:
        client.create("Customer", {"DisplayName": "Maybe Co"}, request_id=request_id)
    assert info.value.outcome_unknown
    assert "may or may not" in info.value.plain_message()
    # It did land (once); asking again with the same requestid returns the stored answer.
    assert company.count("Customer") == before + 1
    made = client.create("Customer", {"DisplayName": "Maybe Co"}, request_id=request_id)
    assert made["DisplayName"] == "Maybe Co" and company.count("Customer") == before + 1


def test_batch_retried_after_dropped_connection(company: Company) -> None:
    before = company.count("Customer")
    company.faults({"kind": "timeout_after_commit", "next_n": 1, "path": "/batch$"})
    ops = [BatchOp(str(i), "create", "Customer", {"DisplayName": f"Dropped {i}"})
           for i in range(45)]  # fmt: skip
    results = company.client.batch(ops, request_id_prefix=uuid.uuid4().hex[:16])
    assert all(r.ok for r in results)
    assert company.count("Customer") == before + 45


def test_reads_retry_on_reset(company: Company) -> None:
    company.faults({"kind": "reset_before_commit", "next_n": 3, "path": "/companyinfo/"})
    assert company.client.company_info()["CompanyName"]
    assert [e.status for e in company.exchanges][-4:] == [None, None, None, 200]


def test_expired_token_refreshes_once_and_retries(company: Company) -> None:
    company.faults({"kind": "expire_access_token", "next_n": 1, "path": "/customer$"})
    old = company.tokens.access_token()
    made = company.client.create("Customer", {"DisplayName": "Refresh Co"},
                                 request_id=uuid.uuid4().hex)  # fmt: skip
    assert made["Id"] and company.tokens.refreshes == 1
    assert company.tokens.access_token() != old
    assert company.stats()["token_calls"] == {"refresh_token": 1}
    assert [e.status for e in company.exchanges][-2:] == [401, 200]
    assert company.exchanges[-2].fault_code == "3200"


def test_no_token_in_any_record_or_log(company: Company, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = company.client
    company.faults(
        {"kind": "expire_access_token", "next_n": 1, "path": "/customer$"},
        {"kind": "http_503", "next_n": 1, "path": "/query$"},
        {"kind": "reset_before_commit", "next_n": 1, "path": "/batch$"},
    )
    made = client.create("Customer", {"DisplayName": "Secret Co"}, request_id=uuid.uuid4().hex)
    client.update("Customer", {"Id": made["Id"], "SyncToken": made["SyncToken"],
                               "Notes": "n"}, request_id=uuid.uuid4().hex)  # fmt: skip
    list(client.query_rows("Customer", page_size=10))
    client.batch([BatchOp("1", "create", "Vendor", {"DisplayName": "Secret V"})],
                 request_id_prefix=uuid.uuid4().hex[:12])  # fmt: skip
    with pytest.raises(StaleObjectError) as info:
        client.update("Customer", {"Id": made["Id"], "SyncToken": "0"}, request_id="stale-1")
    errors = [repr(info.value), str(info.value), info.value.plain_message()]
    assert company.tokens.refreshes == 1
    secrets = set(company.tokens.issued)
    assert len(secrets) == 4  # two access tokens, two (rotated) refresh tokens
    records = [repr(e) for e in company.exchanges] + [r.getMessage() for r in caplog.records]
    records += errors
    assert len(company.exchanges) > 10 and any("503" in r for r in records)
    for text in records:
        for secret in secrets:
            assert secret not in text
