"""Redaction: credentials never survive into logs or exchange records."""

from __future__ import annotations

import json

from app.qbo.redact import (
    REDACTED,
    redact_body,
    redact_headers,
    redact_json,
    redact_text,
    redact_url,
)


def test_headers() -> None:
    out = redact_headers({"Authorization": "Bearer abc.def", "Accept": "application/json"})
    assert out == {"Authorization": REDACTED, "Accept": "application/json"}


def test_url_query_and_userinfo() -> None:
    url = "https://u:pw@host/cb?code=AB12xyz&state=s1&realmId=123&access_token=SECRETTOK"
    out = redact_url(url)
    assert "AB12xyz" not in out and "SECRETTOK" not in out and "pw" not in out
    assert "state=s1" in out and "realmId=123" in out


def test_json_nested_keys_and_fault_codes_kept() -> None:
    doc = {
        "access_token": "A",
        "nested": [{"refresh_token": "R", "id_token": "I", "client_secret": "S"}],
        "code": "oauthcodeXYZ",
        "Fault": {"Error": [{"code": "6240", "Message": "dup"}]},
    }
    out = redact_json(doc)
    text = json.dumps(out)
    for secret in ('"A"', '"R"', '"I"', '"S"', "oauthcodeXYZ"):
        assert secret not in text
    assert out["Fault"]["Error"][0]["code"] == "6240"


def test_form_body() -> None:
    body = b"grant_type=authorization_code&code=Q0123456&redirect_uri=https%3A%2F%2Fx"
    out = redact_body(body, "application/x-www-form-urlencoded")
    assert "Q0123456" not in out and "grant_type=authorization_code" in out
    out = redact_body("grant_type=refresh_token&refresh_token=RT-secret-1")
    assert "RT-secret-1" not in out


def test_json_body_without_secrets_is_byte_exact() -> None:
    body = b'{"Amount": 10.10, "DisplayName": "O\'Brien"}'
    assert redact_body(body, "application/json") == body.decode()


def test_token_response_body() -> None:
    body = json.dumps({"token_type": "bearer", "access_token": "eyJ.A", "refresh_token": "AB1"})
    out = redact_body(body, "application/json")
    assert "eyJ.A" not in out and "AB1" not in out and "bearer" in out


def test_free_text() -> None:
    text = "sent Authorization: Bearer eyJhbGci.x-y_z and access_token=zzz, code: 'qqq'"
    out = redact_text(text)
    assert "eyJhbGci" not in out and "zzz" not in out and "qqq" not in out
    assert redact_text('{"code": "6240"}') == '{"code": "6240"}'
