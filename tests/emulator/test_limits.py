"""QBO's limits and fault texts through the emulator's real HTTP interface."""

from __future__ import annotations

import time

import requests

from qbo_emulator.testing import Company, RunningEmulator, run_emulator

from .conftest import Api, fault

NAMESPACE = 'xmlns="http://schema.intuit.com/finance/v3"'


def _prefs(company: Company) -> requests.Response:
    return requests.get(f"{company.base_url}/preferences", headers=company.headers, timeout=10)


def test_ten_requests_a_second_per_realm_and_client() -> None:
    # time_scale 0.01 stretches QBO's second to 100 s: the eleven requests surely fall in it.
    with run_emulator(seed="none", time_scale=0.01) as slow:
        company = slow.create_company(seed="empty")
        statuses = [_prefs(company).status_code for _ in range(11)]
        assert statuses == [200] * 10 + [429]
        refused = _prefs(company)
        assert refused.status_code == 429 and NAMESPACE in refused.text
        assert "<Error code=\"3001\">" in refused.text
        # Another app connected to the same company has a budget of its own.
        slow.control("POST", "clients", {"client_id": "other-app", "client_secret": "s",
                                         "redirect_uris": ["http://localhost/cb"]})
        other = slow.connect(company.realm_id, client_id="other-app")
        assert _prefs(other).status_code == 200
        # Once QBO's second has passed, requests are admitted again.
        slow.control("POST", "clock", {"advance": 1})
        assert _prefs(company).status_code == 200
        stats = slow.control("GET", f"stats?realm={company.realm_id}")
        assert stats["throttled_by"] == {"second": 2}
        assert stats["peak_per_second"] == 10


def test_limits_can_be_changed_on_the_control_plane() -> None:
    with run_emulator(seed="none", time_scale=0.01) as slow:
        company = slow.create_company(seed="empty")
        described = slow.control("POST", "settings", {"requests_per_second": 3})
        assert described["limits"]["requests_per_second"] == 3
        assert [_prefs(company).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_stall_past_the_request_ceiling_answers_504_and_keeps_the_write() -> None:
    # time_scale 60: QBO's 120 s ceiling is 2 s; the rule asks for a 30 s stall.
    with run_emulator(seed="none", time_scale=60, requests_per_second=0) as fast:
        company = fast.create_company(seed="empty")
        api = Api(company)
        fast.control("POST", "faults", {"rules": [{
            "kind": "timeout_after_commit", "mode": "stall", "stall_seconds": 30,
            "entity": "Class", "next_n": 1}]})
        started = time.monotonic()
        answer = api.post("class", {"Name": "Long Haul"}, requestid="ceiling-1")
        waited = time.monotonic() - started
        assert answer.status_code == 504 and 2.0 <= waited < 30
        assert answer.headers["Content-Type"].startswith("application/xml")
        assert NAMESPACE in answer.text
        assert ('<Error code="6002"><Message>message=GatewayTimeout; errorCode=006002; '
                "statusCode=504</Message></Error>") in answer.text
        stored = api.query("select * from Class where Name = 'Long Haul'")["Class"]
        again = api.post("class", {"Name": "Long Haul"}, requestid="ceiling-1")
        assert again.status_code == 200 and again.json()["Class"]["Id"] == stored[0]["Id"]


def test_for_seconds_rule_throttles_until_the_window_passes(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.control("POST", "faults", {"rules": [
        {"kind": "throttle_429", "realm": api.company.realm_id, "for_seconds": 90}]})
    assert [api.get("preferences").status_code for _ in range(3)] == [429] * 3
    emulator.control("POST", "clock", {"advance": 90})
    assert api.get("preferences").status_code == 200
    stats = emulator.control("GET", f"stats?realm={api.company.realm_id}")
    assert stats["throttled_by"] == {"injected": 3}


def test_expired_token_answers_the_lower_case_401(emulator: RunningEmulator, api: Api) -> None:
    emulator.control("POST", "faults", {"rules": [{"kind": "expire_access_token", "next_n": 1}]})
    answer = api.get("preferences")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    assert answer.json()["fault"] == {"error": [{
        "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        "detail": "Token expired", "code": "3200"}], "type": "AUTHENTICATION"}


def test_duplicate_name_and_stale_object_texts(api: Api) -> None:
    made = api.create("Customer", {"DisplayName": "Texts Co"})
    duplicate = fault(api.post("vendor", {"DisplayName": "Texts Co"}))
    assert duplicate == {
        "Message": "Duplicate Name Exists Error",
        "Detail": "The name supplied already exists. : Another customer, vendor or employee is "
                  "already using this name. Please use a different name.",
        "code": "6240", "element": ""}
    api.create("Customer", {"Id": made["Id"], "SyncToken": made["SyncToken"], "sparse": True,
                            "Notes": "changed"})
    stale = fault(api.post("customer", {"Id": made["Id"], "SyncToken": made["SyncToken"],
                                        "sparse": True, "Notes": "late"}))
    assert stale["Message"] == "Stale Object Error" and stale["code"] == "5010"
    assert stale["element"] == ""
    assert stale["Detail"].startswith("Stale Object Error : You and ")
    assert "were working on this at the same time" in stale["Detail"]
    assert stale["Detail"].endswith("finished before you did, so your work was not saved.")


def test_reference_fault_texts(api: Api) -> None:
    item = api.find("Item", "Design")["Id"]
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item}}}
    missing_customer = fault(api.post("invoice", {"CustomerRef": {"value": "583"},
                                                  "Line": [line]}))
    assert missing_customer["Message"] == "Invalid Reference Id"
    assert missing_customer["Detail"] == "Invalid Reference Id : Names element id 583 not found"
    customer = api.create("Customer", {"DisplayName": "Gone Co"})
    api.create("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"],
                            "sparse": True, "Active": False})
    inactive = fault(api.post("invoice", {"CustomerRef": {"value": customer["Id"]},
                                          "Line": [line]}))
    assert inactive["code"] == "610" and inactive["Message"] == "Object Not Found"
    assert inactive["Detail"] == (
        "Object Not Found : Something you're trying to use has been made inactive. Check the "
        "fields with accounts, customers, items, vendors or employees.")
    active = api.create("Customer", {"DisplayName": "Here Co"})
    bad_item = {**line, "SalesItemLineDetail": {"ItemRef": {"value": "99999"}}}
    missing_item = fault(api.post("invoice", {"CustomerRef": {"value": active["Id"]},
                                              "Line": [bad_item]}))
    assert missing_item["Detail"] == "Invalid Reference Id : Line.SalesItemLineDetail.ItemRef"


def test_answers_take_the_configured_time_scaled() -> None:
    # time_scale 10: a 2 s answer takes 0.2 s, and each of three batch items 0.1 s more.
    with run_emulator(seed="none", time_scale=10, latency=2.0, batch_item_latency=1.0) as slow:
        company = slow.create_company(seed="empty")
        started = time.monotonic()
        assert _prefs(company).status_code == 200
        single = time.monotonic() - started
        items = [{"bId": str(i), "Query": "select * from Item"} for i in range(3)]
        started = time.monotonic()
        answer = requests.post(f"{company.base_url}/batch", json={"BatchItemRequest": items},
                               headers=company.headers, timeout=10)
        batch = time.monotonic() - started
        assert answer.status_code == 200
        assert 0.2 <= single < 0.45
        assert 0.5 <= batch < 0.75
        # The control plane changes it at run time.
        described = slow.control("POST", "latency", {"request": 0})
        assert described["latency"] == {"request": 0.0, "batch_item": 0.0}
        started = time.monotonic()
        assert _prefs(company).status_code == 200
        assert time.monotonic() - started < 0.2
