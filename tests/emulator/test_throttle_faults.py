"""Throttling (429 with Intuit's XML) and fault injection through the control plane."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from qbo_emulator.testing import Company, RunningEmulator, run_emulator

from .conftest import Api, fault

XML_START = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse time="'


def _get(company: Company, path: str = "preferences") -> requests.Response:
    return requests.get(f"{company.base_url}/{path}", headers=company.headers, timeout=10)


def test_requests_per_minute_limit_and_window() -> None:
    # A one-minute window in real time (500 requests fit in it on any machine), with the
    # per-second window off so only the minute counts; the clock then moves past the window.
    with run_emulator(seed="none", time_scale=1, requests_per_second=0) as fast:
        company = fast.create_company(seed="empty")
        session = requests.Session()
        session.headers.update(company.headers)
        responses = [session.get(f"{company.base_url}/preferences", timeout=10) for _ in range(505)]
        statuses = [r.status_code for r in responses]
        assert statuses.index(429) == 500
        throttled = responses[500]
        assert throttled.headers["Content-Type"].startswith("application/xml")
        assert throttled.text.startswith(XML_START)
        assert (
            '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; '
            "errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.  "
            "Try again later</Detail></Error></Fault></IntuitResponse>"
        ) in throttled.text
        assert "Retry-After" not in throttled.headers
        fast.control("POST", "clock", {"advance": 60})
        assert session.get(f"{company.base_url}/preferences", timeout=10).status_code == 200
        stats = fast.control("GET", f"stats?realm={company.realm_id}")
        assert stats["throttled"] >= 5
        assert stats["throttled_by"] == {"minute": 5}


def test_batch_limit_per_minute() -> None:
    with run_emulator(seed="none", time_scale=10, requests_per_second=0) as fast:
        company = fast.create_company(seed="empty")
        batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Term"}]}
        statuses = [
            requests.post(
                f"{company.base_url}/batch", json=batch, headers=company.headers, timeout=10
            ).status_code
            for _ in range(41)
        ]
        assert statuses[:40] == [200] * 40 and statuses[40] == 429
        assert fast.control("GET", f"stats?realm={company.realm_id}")["batches"] == 40


def test_concurrency_limit() -> None:
    with run_emulator(seed="none") as fast:
        company = fast.create_company(seed="empty")
        fast.control(
            "POST",
            "faults",
            {
                "rules": [
                    {
                        "kind": "timeout_after_commit",
                        "mode": "stall",
                        "stall_seconds": 1.0,
                        "path": "/preferences$",
                    }
                ]
            },
        )
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(_get(company).status_code))
            for _ in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count(429) == 2 and results.count(200) == 10


def test_throttle_can_be_switched_off(emulator: RunningEmulator) -> None:
    with run_emulator(seed="none", throttle=False, time_scale=60) as fast:
        company = fast.create_company(seed="empty")
        session = requests.Session()
        session.headers.update(company.headers)
        assert all(
            session.get(f"{company.base_url}/preferences", timeout=10).status_code == 200
            for _ in range(600)
        )


def test_http_500_and_503_next_n(emulator: RunningEmulator, api: Api) -> None:
    emulator.control(
        "POST",
        "faults",
        {
            "rules": [
                {"kind": "http_500", "entity": "Customer", "operation": "save", "next_n": 1},
                {"kind": "http_503", "method": "GET", "path": "/preferences", "next_n": 1},
            ]
        },
    )
    failed = api.post("customer", {"DisplayName": "After 500"})
    assert failed.status_code == 500 and failed.json()["Fault"]["type"] == "SystemFault"
    assert api.query("select * from Customer where DisplayName = 'After 500'") == {}
    assert api.post("customer", {"DisplayName": "After 500"}).status_code == 200
    assert api.get("preferences").status_code == 503
    assert api.get("preferences").status_code == 200


def test_every_nth_and_realm_filter(emulator: RunningEmulator, api: Api) -> None:
    emulator.control(
        "POST",
        "faults",
        {"rules": [{"kind": "throttle_429", "realm": api.company.realm_id, "every_nth": 3}]},
    )
    statuses = [api.get("preferences").status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    other = emulator.create_company(seed="empty")
    assert all(_get(other).status_code == 200 for _ in range(3))


def test_timeout_after_commit_drops_connection_but_applies(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.control(
        "POST",
        "faults",
        {"rules": [{"kind": "timeout_after_commit", "entity": "Customer", "next_n": 1}]},
    )
    with pytest.raises(requests.ConnectionError):
        api.post("customer", {"DisplayName": "Committed Anyway"}, requestid="commit-1")
    rows = api.query("select * from Customer where DisplayName = 'Committed Anyway'")
    assert len(rows["Customer"]) == 1
    retry = api.post("customer", {"DisplayName": "Committed Anyway"}, requestid="commit-1")
    assert retry.status_code == 200
    assert retry.json()["Customer"]["Id"] == rows["Customer"][0]["Id"]


def test_timeout_after_commit_stall(emulator: RunningEmulator, api: Api) -> None:
    emulator.control(
        "POST",
        "faults",
        {
            "rules": [
                {
                    "kind": "timeout_after_commit",
                    "mode": "stall",
                    "stall_seconds": 2,
                    "next_n": 1,
                    "entity": "Class",
                }
            ]
        },
    )
    stall_ends = time.monotonic() + 2
    with pytest.raises(requests.Timeout):
        api.session.post(api.url("class"), json={"Name": "Stalled"}, timeout=0.5)
    # Committed before the stall: it shows while the answer is still held back (asked until it
    # does, rather than once after a guessed pause).
    while not (found := api.query("select * from Class where Name = 'Stalled'").get("Class")):
        assert time.monotonic() < stall_ends, "the write did not show during the stall"
        time.sleep(0.05)
    assert found[0]["Name"] == "Stalled"


def test_reset_before_commit_applies_nothing(emulator: RunningEmulator, api: Api) -> None:
    emulator.control(
        "POST",
        "faults",
        {"rules": [{"kind": "reset_before_commit", "entity": "Customer", "next_n": 1}]},
    )
    with pytest.raises(requests.ConnectionError):
        api.post("customer", {"DisplayName": "Never Stored"})
    assert api.query("select * from Customer where DisplayName = 'Never Stored'") == {}


def test_expire_access_token(emulator: RunningEmulator, api: Api) -> None:
    emulator.control("POST", "faults", {"rules": [{"kind": "expire_access_token", "next_n": 1}]})
    first = api.get("preferences")
    assert first.status_code == 401 and fault(first)["code"] == "3200"
    assert api.get("preferences").status_code == 401  # expired for good
    fresh = emulator.connect(api.company.realm_id)
    assert _get(fresh).status_code == 200


def test_stats_and_fault_listing(emulator: RunningEmulator, api: Api) -> None:
    api.create("Class", {"Name": "Counted"})
    api.post("class", {"Name": "Counted"})
    stats = emulator.control("GET", f"stats?realm={api.company.realm_id}")
    assert stats["requests"]["POST /class"] == {"200": 1, "400": 1}
    assert stats["objects"]["Class"]["active"] >= 5
    emulator.control("POST", "faults", {"rules": [{"kind": "http_500", "probability": 0}]})
    assert len(emulator.control("GET", "faults")["rules"]) == 1
    emulator.control("DELETE", "faults")
    assert emulator.control("GET", "faults")["rules"] == []
