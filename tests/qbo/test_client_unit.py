"""Client behaviour that needs no QBO: JSON encoding, requestids, retry decisions.

The retry tests drive the real client through a requests transport adapter that plays back
scripted answers, so the exact sequence of attempts can be checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from app.qbo.client import (
    BatchOp,
    Exchange,
    QBOClient,
    batch_request_id,
    dumps_json,
    loads_json,
)
from app.qbo.faults import (
    AuthenticationError,
    ReconnectRequired,
    TransportError,
    ValidationError,
)


def test_decimal_json_is_exact() -> None:
    body = {"Amount": Decimal("1234567890.10"), "Qty": Decimal("0.000001"), "n": 3, "ok": True}
    text = dumps_json(body)
    assert text == '{"Amount":1234567890.10,"Qty":0.000001,"n":3,"ok":true}'
    assert loads_json(text)["Amount"] == Decimal("1234567890.10")
    with pytest.raises(ValueError):
        dumps_json({"x": Decimal("NaN")})
    assert dumps_json({"name": "O'Brien \u00e9"}) == '{"name":"O\'Brien \u00e9"}'


def test_batch_request_ids() -> None:
    assert batch_request_id("run7-layer2", 0) == "run7-layer2-0"
    long_a = batch_request_id("x" * 40 + "a", 12)
    long_b = batch_request_id("x" * 40 + "b", 12)
    assert len(long_a) <= 36 and len(long_b) <= 36 and long_a != long_b
    assert long_a == batch_request_id("x" * 40 + "a", 12)


Responder = Callable[[requests.PreparedRequest], "requests.Response | Exception"]


class ScriptedAdapter(BaseAdapter):
    """Answers each request with the next scripted step and remembers what was sent."""

    def __init__(self, steps: list[Responder]) -> None:
        super().__init__()
        self.steps = steps
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        result = self.steps.pop(0)(request)
        if isinstance(result, Exception):
            raise result
        return result

    def close(self) -> None:
        pass


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Responder:
    def respond(request: requests.PreparedRequest) -> requests.Response:
        resp = requests.Response()
        resp.status_code = status
        resp._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        resp.headers.update({"intuit_tid": f"tid-{status}", **(headers or {})})
        resp.request = request
        resp.url = request.url or ""
        return resp

    return respond


def _fail(exc: Exception) -> Responder:
    return lambda request: exc


class Tokens:
    """A token source that rotates on refresh."""

    def __init__(self, fail_refresh: bool = False) -> None:
        self.token = "access-0"  # noqa: S105 - a fake token
        self.refreshes = 0
        self.fail_refresh = fail_refresh

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected_token: str) -> str:
        if self.fail_refresh:
            raise ReconnectRequired("invalid_grant")
        self.refreshes += 1
        self.token = f"access-{self.refreshes}"
        return self.token


def _client(steps: list[Responder], **kw: Any) -> tuple[QBOClient, ScriptedAdapter, list[Any]]:
    adapter = ScriptedAdapter(steps)
    session = requests.Session()
    session.mount("http://", adapter)
    sleeps: list[float] = []
    exchanges: list[Exchange] = []
    client = QBOClient(
        base_url="http://qbo.test",
        realm_id="123",
        tokens=kw.pop("tokens", Tokens()),
        session=session,
        sleep=sleeps.append,
        on_exchange=exchanges.append,
        **kw,
    )
    return client, adapter, [sleeps, exchanges]


CUSTOMER = {"Customer": {"Id": "1", "SyncToken": "0", "DisplayName": "A"}, "time": "t"}
FAULT_500 = {"Fault": {"Error": [{"Message": "boom", "code": "10000"}], "type": "SystemFault"}}


def test_write_retries_reuse_request_id_and_flag_unknown_outcome() -> None:
    client, adapter, (sleeps, exchanges) = _client(
        [
            _fail(requests.ConnectionError("reset by peer")),
            _answer(503, FAULT_500),
            _answer(200, CUSTOMER),
        ]
    )
    created = client.create("Customer", {"DisplayName": "A"}, request_id="rid-1")
    assert created["Id"] == "1"
    ids = {r.url.split("requestid=")[1].split("&")[0] for r in adapter.sent}
    assert ids == {"rid-1"} and len(adapter.sent) == 3
    assert all("minorversion=75" in (r.url or "") for r in adapter.sent)
    assert len(sleeps) == 2 and [e.attempt for e in exchanges] == [1, 2, 3]
    assert exchanges[0].status is None and exchanges[0].error
    assert exchanges[2].intuit_tid == "tid-200"


def test_exhausted_unknown_write_raises_transport_error() -> None:
    client, adapter, (sleeps, _) = _client(
        [_fail(requests.ReadTimeout("slow"))] + [_answer(500, FAULT_500)] * 2, max_retries=2
    )
    with pytest.raises(TransportError) as info:
        client.create("Customer", {"DisplayName": "A"}, request_id="rid-2")
    assert info.value.outcome_unknown and len(adapter.sent) == 3 and len(sleeps) == 2


def test_read_timeouts_exhausted_are_not_unknown() -> None:
    client, _, _ = _client([_fail(requests.ReadTimeout("slow"))] * 2, max_retries=1)
    with pytest.raises(TransportError) as info:
        client.read("Customer", "1")
    assert not info.value.outcome_unknown


def test_server_errors_exhausted_on_write_are_unknown() -> None:
    client, _, _ = _client([_answer(500, FAULT_500)] * 2, max_retries=1)
    with pytest.raises(TransportError) as info:
        client.create("Customer", {"DisplayName": "A"}, request_id="rid-3")
    assert info.value.outcome_unknown and info.value.status == 500


def test_business_faults_are_not_retried() -> None:
    dup = {"Fault": {"Error": [{"Message": "Duplicate Name Exists Error", "code": "6240"}]}}
    client, adapter, (sleeps, exchanges) = _client([_answer(400, dup)])
    with pytest.raises(ValidationError) as info:
        client.create("Customer", {"DisplayName": "O'Brien"}, request_id="rid-4")
    assert info.value.code == "6240" and len(adapter.sent) == 1 and not sleeps
    assert info.value.plain_message().endswith("named 'O'Brien'")
    assert exchanges[0].fault_code == "6240"


def test_retry_after_is_honoured_with_cap() -> None:
    xml = b'<Fault type="SERVICE"><Error code="3001"><Message>m</Message></Error></Fault>'
    client, _, (sleeps, _) = _client(
        [_answer(429, xml, {"Retry-After": "5"}), _answer(429, xml, {"Retry-After": "500"}),
         _answer(200, CUSTOMER)],
        backoff_cap=30.0,
    )  # fmt: skip
    client.read("Customer", "1")
    assert sleeps[0] >= 5.0 and sleeps[1] == 30.0


def test_401_refreshes_once_and_retries() -> None:
    tokens = Tokens()
    auth = {"Fault": {"Error": [{"Message": "AuthenticationFailed", "code": "3200"}]}}
    client, adapter, (sleeps, _) = _client(
        [_answer(401, auth), _answer(200, CUSTOMER)], tokens=tokens
    )
    client.read("Customer", "1")
    assert tokens.refreshes == 1 and not sleeps
    assert [r.headers["Authorization"] for r in adapter.sent] == [
        "Bearer access-0",
        "Bearer access-1",
    ]


def test_second_401_raises() -> None:
    tokens = Tokens()
    client, _, _ = _client([_answer(401, b"")] * 2, tokens=tokens)
    with pytest.raises(AuthenticationError):
        client.read("Customer", "1")
    assert tokens.refreshes == 1


def test_reconnect_required_propagates() -> None:
    client, _, _ = _client([_answer(401, b"")], tokens=Tokens(fail_refresh=True))
    with pytest.raises(ReconnectRequired):
        client.read("Customer", "1")


def test_batch_failure_marks_chunk_and_leaves_rest_unsent() -> None:
    ok = {"BatchItemResponse": [{"bId": str(i), "Customer": {"Id": str(i)}} for i in range(30)]}
    client, adapter, _ = _client([_answer(200, ok), _answer(500, FAULT_500)], max_retries=0)
    ops = [BatchOp(str(i), "create", "Customer", {"DisplayName": f"C{i}"}) for i in range(70)]
    results = client.batch(ops, request_id_prefix="p")
    assert len(adapter.sent) == 2
    assert all(r.ok for r in results[:30])
    assert all(isinstance(r.fault, TransportError) and r.sent for r in results[30:60])
    assert all(r.fault is not None and not r.sent for r in results[60:])
    assert results[30].fault is not None and results[30].fault.outcome_unknown


def test_exchange_callback_errors_do_not_break_calls(caplog: pytest.LogCaptureFixture) -> None:
    def broken(exchange: Exchange) -> None:
        raise RuntimeError("log store down")

    adapter = ScriptedAdapter([_answer(200, CUSTOMER)])
    session = requests.Session()
    session.mount("http://", adapter)
    client = QBOClient(base_url="http://qbo.test", realm_id="1", tokens=Tokens(),
                       session=session, on_exchange=broken)  # fmt: skip
    assert client.read("Customer", "1")["Id"] == "1"
    assert "on_exchange callback failed" in caplog.text
