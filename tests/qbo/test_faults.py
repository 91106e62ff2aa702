"""Fault parsing: every shape QBO answers with becomes the right typed error."""

from __future__ import annotations

import json

import pytest

from app.qbo.faults import (
    AuthenticationError,
    AuthorizationError,
    DuplicateNameError,
    InactiveReferenceError,
    InvalidReferenceError,
    QBOError,
    ReconnectRequired,
    ServerError,
    StaleObjectError,
    ThrottledError,
    TransportError,
    ValidationError,
    fault_from_batch_item,
    fault_from_response,
)

XML_429 = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" '
    b'time="2024-05-01T10:00:00.000-07:00">'
    b'<Fault type="SERVICE"><Error code="3001">'
    b"<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    b"<Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"
)


def _json_fault(code: str, message: str = "msg", detail: str = "det", element: str = "") -> bytes:
    return json.dumps(
        {
            "Fault": {
                "Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
                "type": "ValidationFault",
            },
            "time": "2024-05-01T10:00:00.000-07:00",
        }
    ).encode()


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "6240", DuplicateNameError),
        (400, "5010", StaleObjectError),
        (400, "610", InactiveReferenceError),
        (400, "2500", InvalidReferenceError),
        (400, "2020", ValidationError),
        (400, "2010", ValidationError),
        (400, "2030", ValidationError),
        (400, "6000", ValidationError),
        (400, "6070", ValidationError),
        (400, "6140", ValidationError),
        (400, "4001", ValidationError),
        (401, "3200", AuthenticationError),
        (403, "3100", AuthorizationError),
        (429, "3001", ThrottledError),
        (500, "", ServerError),
        (503, "", ServerError),
    ],
)
def test_json_fault_maps_to_class(status: int, code: str, cls: type[QBOError]) -> None:
    err = fault_from_response(status, {"intuit_tid": "tid-1"}, _json_fault(code, element="X"))
    assert type(err) is cls
    assert err.status == status
    assert err.code == (code or None)
    assert err.intuit_tid == "tid-1"
    assert err.message == "msg" and err.detail == "det" and err.element == "X"
    assert err.retryable == (status >= 429)
    assert err.plain_message()


def test_xml_429_is_throttled_with_retry_after() -> None:
    err = fault_from_response(429, {"Retry-After": "7", "Content-Type": "application/xml"}, XML_429)
    assert isinstance(err, ThrottledError)
    assert err.code == "3001"
    assert err.message == "ThrottleExceeded"
    assert err.detail == "The request limit was reached."
    assert err.retry_after == 7.0
    assert err.retryable
    assert err.fault_type == "SERVICE"


def test_xml_without_namespace_or_code_attribute_uses_message_fields() -> None:
    body = (
        b"<IntuitResponse><Fault type='SERVICE'><Error><Message>"
        b"message=ThrottleExceeded; errorCode=003001; statusCode=429</Message></Error></Fault>"
        b"</IntuitResponse>"
    )
    err = fault_from_response(429, {}, body)
    assert isinstance(err, ThrottledError) and err.code == "3001" and err.retry_after is None


def test_xml_with_doctype_is_not_parsed() -> None:
    body = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Fault><Error code="6240"/></Fault>'
    err = fault_from_response(400, {}, body)
    assert type(err) is ValidationError and err.code is None


def test_lowercase_fault_variant() -> None:
    body = json.dumps(
        {"fault": {"error": [{"message": "Stale", "detail": "old", "code": "5010"}], "type": "x"}}
    ).encode()
    err = fault_from_response(400, {}, body)
    assert isinstance(err, StaleObjectError) and err.detail == "old"


def test_oauth_style_error_body() -> None:
    err = fault_from_response(400, {}, b'{"error":"invalid_grant"}')
    assert isinstance(err, ValidationError) and err.message == "invalid_grant"


def test_error_object_variant() -> None:
    body = b'{"error": {"code": "6240", "message": "Duplicate Name Exists Error"}}'
    assert isinstance(fault_from_response(400, {}, body), DuplicateNameError)


def test_401_empty_body_is_authentication() -> None:
    headers = {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
    err = fault_from_response(401, headers, b"")
    assert isinstance(err, AuthenticationError) and err.code == "3200"


@pytest.mark.parametrize("body", [b"", b"<html><body><h1>502 Bad Gateway</h1></body></html>"])
def test_empty_or_html_5xx(body: bytes) -> None:
    err = fault_from_response(502, {}, body)
    assert isinstance(err, ServerError) and err.retryable
    assert "<" not in err.message


def test_multiple_errors_are_kept() -> None:
    body = json.dumps(
        {"Fault": {"Error": [{"Message": "a", "code": "2020"}, {"Message": "b", "code": "2010"}]}}
    ).encode()
    err = fault_from_response(400, {}, body)
    assert err.code == "2020" and [e["code"] for e in err.errors] == ["2020", "2010"]


def test_batch_item_fault() -> None:
    item = {
        "bId": "3",
        "Fault": {
            "Error": [{"Message": "Duplicate Name Exists Error", "Detail": "d", "code": "6240"}],
            "type": "ValidationFault",
        },
    }
    err = fault_from_batch_item(item)
    assert isinstance(err, DuplicateNameError) and err.status is None


def test_plain_messages_name_the_record() -> None:
    err = fault_from_response(400, {}, _json_fault("6240"))
    err.entity, err.name = "Customer", "O'Brien & Sons"
    assert err.plain_message() == (
        "QuickBooks already has a customer, vendor or employee named 'O'Brien & Sons'"
    )
    stale = fault_from_response(400, {}, _json_fault("5010"))
    stale.entity, stale.name = "Invoice", "1001"
    assert "invoice '1001'" in stale.plain_message()
    bad_ref = fault_from_response(400, {}, _json_fault("2500", element="Line.ItemRef"))
    assert "Line.ItemRef" in bad_ref.plain_message()
    assert "slow down" in fault_from_response(429, {}, XML_429).plain_message()
    assert "reconnect" in ReconnectRequired("invalid_grant").plain_message()
    lost = TransportError("reset", outcome_unknown=True)
    assert "may or may not" in lost.plain_message()


def test_str_is_informative() -> None:
    err = fault_from_response(400, {}, _json_fault("6070", "Amount mismatch", "Amount != 2*3"))
    assert str(err) == "[6070] Amount mismatch: Amount != 2*3 (status 400)"


def test_messages_come_from_code_and_detail_when_element_is_empty() -> None:
    # The real service mostly leaves element empty and puts the facts in Detail.
    missing = fault_from_response(400, {}, _json_fault(
        "2500", "Invalid Reference Id", "Invalid Reference Id : Names element id 583 not found"))
    missing.entity, missing.name = "Invoice", "1001"
    assert missing.plain_message() == (
        "Invoice '1001' refers to a record QuickBooks does not have "
        "(Names element id 583 not found)")
    inactive = fault_from_response(400, {}, _json_fault(
        "610", "Object Not Found", "Object Not Found : Something you're trying to use has been "
        "made inactive. Check the fields with accounts, customers, items, vendors or employees."))
    assert "Something you're trying to use has been made inactive" in inactive.plain_message()
    assert "Object Not Found :" not in inactive.plain_message()
    taken = fault_from_response(400, {}, _json_fault(
        "6240", "Duplicate Name Exists Error", "The name supplied already exists. : Another "
        "customer, vendor or employee is already using this name. Please use a different name."))
    assert taken.plain_message().endswith("Please use a different name.")
    stale = fault_from_response(400, {}, _json_fault(
        "5010", "Stale Object Error", "Stale Object Error : You and API API were working on this "
        "at the same time. API API finished before you did, so your work was not saved."))
    stale.entity, stale.name = "Customer", "Acme"
    assert stale.plain_message().startswith("Someone changed customer 'Acme' in QuickBooks")


def test_lower_case_401_body_is_read() -> None:
    body = (b'{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; '
            b'statusCode=401","detail":"Token expired: eyJ","code":"3200"}],'
            b'"type":"AUTHENTICATION"},"time":1764460800000}')
    err = fault_from_response(401, {"WWW-Authenticate": 'Bearer realm="Intuit", '
                                    'error="invalid_token"'}, body)
    assert isinstance(err, AuthenticationError)
    assert (err.code, err.message, err.fault_type) == ("3200", "AuthenticationFailed",
                                                      "AUTHENTICATION")
