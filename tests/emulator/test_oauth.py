"""OAuth server: discovery, consent, code and refresh grants, rotation, revocation, API auth."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import requests

from qbo_emulator.testing import Company, RunningEmulator, run_emulator

CLIENT = ("ledgerhub-dev", "ledgerhub-dev-secret")
REDIRECT = "http://127.0.0.1:5000/admin/qbo/callback"
SCOPE = "com.intuit.quickbooks.accounting"


def _authorize(url: str, realm: str | None = None, **extra: str) -> requests.Response:
    params = {
        "client_id": CLIENT[0],
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT,
        "state": "xyz",
        **extra,
    }
    form = {**params, "decision": "authorize"}
    if realm:
        form["realmId"] = realm
    return requests.post(f"{url}/connect/oauth2", data=form, allow_redirects=False, timeout=10)


def _token(url: str, auth: tuple[str, str] = CLIENT, **form: str) -> requests.Response:
    return requests.post(
        f"{url}/oauth2/v1/tokens/bearer",
        data=form,
        auth=auth,
        headers={"Accept": "application/json"},
        timeout=10,
    )


def test_discovery_documents_name_own_endpoints(emulator: RunningEmulator) -> None:
    for name in ("openid_configuration", "openid_sandbox_configuration"):
        doc = requests.get(f"{emulator.url}/.well-known/{name}", timeout=10).json()
        assert doc["authorization_endpoint"] == f"{emulator.url}/connect/oauth2"
        assert doc["token_endpoint"] == f"{emulator.url}/oauth2/v1/tokens/bearer"
        assert doc["revocation_endpoint"] == f"{emulator.url}/v2/oauth2/tokens/revoke"
        assert {"issuer", "userinfo_endpoint", "jwks_uri"} <= set(doc)


def test_consent_page_lists_companies(emulator: RunningEmulator, company: Company) -> None:
    emulator.create_company()
    page = requests.get(
        f"{emulator.url}/connect/oauth2",
        timeout=10,
        params={
            "client_id": CLIENT[0],
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT,
            "state": "s",
        },
    )
    assert page.status_code == 200
    assert "<select" in page.text and company.realm_id in page.text and "Authorize" in page.text
    assert re.search(r'<form method="post"', page.text)


def test_consent_rejects_unknown_client_and_redirect(emulator: RunningEmulator) -> None:
    bad_client = requests.get(
        f"{emulator.url}/connect/oauth2",
        timeout=10,
        params={
            "client_id": "nope",
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT,
        },
    )
    assert bad_client.status_code == 400
    bad_uri = requests.get(
        f"{emulator.url}/connect/oauth2",
        timeout=10,
        params={
            "client_id": CLIENT[0],
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT + "/other",
        },
    )
    assert bad_uri.status_code == 400 and "redirect_uri" in bad_uri.text


def test_code_flow_refresh_rotation_and_single_use_code(
    emulator: RunningEmulator, company: Company
) -> None:
    redirect = _authorize(emulator.url, company.realm_id)
    assert redirect.status_code == 302
    query = parse_qs(urlparse(redirect.headers["Location"]).query)
    assert query["state"] == ["xyz"] and query["realmId"] == [company.realm_id]
    code = query["code"][0]
    before = emulator.control("GET", f"stats?realm={company.realm_id}")["token_calls"]

    first = _token(emulator.url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["token_type"] == "bearer"  # noqa: S105
    assert tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] == 8726400
    assert tokens["x_refresh_token_hard_expires_in"] == 5 * 365 * 86400
    reused = _token(emulator.url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert reused.status_code == 400 and reused.json() == {"error": "invalid_grant"}

    refreshed = _token(
        emulator.url, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    old = _token(emulator.url, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"

    api = requests.get(
        f"{emulator.api_base(company.realm_id)}/preferences",
        timeout=10,
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
    )
    assert api.status_code == 200
    after = emulator.control("GET", f"stats?realm={company.realm_id}")["token_calls"]
    assert after.get("refresh_token", 0) - before.get("refresh_token", 0) == 2
    assert after.get("authorization_code", 0) - before.get("authorization_code", 0) == 2


def test_code_needs_matching_redirect_uri(emulator: RunningEmulator, company: Company) -> None:
    location = _authorize(emulator.url, company.realm_id).headers["Location"]
    code = parse_qs(urlparse(location).query)["code"][0]
    other = "http://localhost:5000/admin/qbo/callback"
    response = _token(emulator.url, grant_type="authorization_code", code=code, redirect_uri=other)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_bad_client_auth_is_invalid_client(emulator: RunningEmulator, company: Company) -> None:
    response = _token(
        emulator.url,
        auth=(CLIENT[0], "wrong"),
        grant_type="refresh_token",
        refresh_token=company.refresh_token,
    )
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}


def test_revoke_kills_the_whole_grant(emulator: RunningEmulator, company: Company) -> None:
    response = requests.post(
        f"{emulator.url}/v2/oauth2/tokens/revoke",
        auth=CLIENT,
        json={"token": company.refresh_token},
        timeout=10,
    )
    assert response.status_code == 200
    api = requests.get(f"{company.base_url}/preferences", headers=company.headers, timeout=10)
    assert api.status_code == 401
    again = _token(emulator.url, grant_type="refresh_token", refresh_token=company.refresh_token)
    assert again.json()["error"] == "invalid_grant"


def test_invalid_token_is_401_3200_and_other_realm_403(
    emulator: RunningEmulator, company: Company
) -> None:
    response = requests.get(
        f"{company.base_url}/preferences", timeout=10, headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    # The lower-case shape recorded from the real sandbox (qbo-api-notes "OAuth").
    body = response.json()
    error = body["fault"]["error"][0]
    assert error["code"] == "3200"
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error["detail"] == "Token invalid or revoked"
    assert body["fault"]["type"] == "AUTHENTICATION" and isinstance(body["time"], int)
    assert "Fault" not in body
    other = emulator.create_company()
    forbidden = requests.get(f"{other.base_url}/preferences", headers=company.headers, timeout=10)
    assert forbidden.status_code == 403
    assert forbidden.json()["Fault"]["Error"][0]["code"] == "3100"


def test_time_scale_shortens_token_lifetime() -> None:
    with run_emulator(seed="empty", time_scale=3600) as fast:
        realm = fast.control("GET", "companies")[0]["realm_id"]
        company = fast.connect(realm)
        assert company.tokens["expires_in"] == 1
        # Asked until the token is refused (one scaled hour is a second), not at a guessed time.
        deadline = time.monotonic() + 10
        while (
            response := requests.get(
                f"{company.base_url}/preferences", headers=company.headers, timeout=10
            )
        ).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert response.status_code == 401
        refreshed = _token(
            fast.url, grant_type="refresh_token", refresh_token=company.refresh_token
        )
        assert refreshed.status_code == 200


def test_rotation_can_be_switched_off(emulator: RunningEmulator, company: Company) -> None:
    emulator.control("POST", "settings", {"rotate_refresh_tokens": False})
    try:
        answer = _token(
            emulator.url, grant_type="refresh_token", refresh_token=company.refresh_token
        ).json()
        assert answer["refresh_token"] == company.refresh_token
    finally:
        emulator.control("POST", "settings", {"rotate_refresh_tokens": True})


def test_registered_client(emulator: RunningEmulator, company: Company) -> None:
    emulator.control(
        "POST",
        "clients",
        {
            "client_id": "other-app",
            "client_secret": "s3",
            "redirect_uris": ["https://example.com/cb"],
        },
    )
    response = requests.post(
        f"{emulator.url}/connect/oauth2",
        allow_redirects=False,
        timeout=10,
        data={
            "client_id": "other-app",
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": "https://example.com/cb",
            "realmId": company.realm_id,
            "decision": "authorize",
        },
    )
    code = parse_qs(urlparse(response.headers["Location"]).query)["code"][0]
    tokens = _token(
        emulator.url,
        auth=("other-app", "s3"),
        grant_type="authorization_code",
        code=code,
        redirect_uri="https://example.com/cb",
    )
    assert tokens.status_code == 200


def test_hard_expiry_counts_from_first_authorization(
    emulator: RunningEmulator, company: Company
) -> None:
    assert company.tokens["x_refresh_token_hard_expires_in"] == 5 * 365 * 86400
    # Authorized almost five years ago: 20 days are left, whatever a refresh does.
    emulator.control(
        "POST", "grants/age", {"refresh_token": company.refresh_token, "days": 5 * 365 - 20}
    )
    refreshed = _token(
        emulator.url, grant_type="refresh_token", refresh_token=company.refresh_token
    ).json()
    assert abs(refreshed["x_refresh_token_hard_expires_in"] - 20 * 86400) <= 2
    # The rolling 100 days never reach past the hard end.
    assert refreshed["x_refresh_token_expires_in"] <= refreshed["x_refresh_token_hard_expires_in"]
    again = _token(
        emulator.url, grant_type="refresh_token", refresh_token=refreshed["refresh_token"]
    ).json()
    assert again["x_refresh_token_hard_expires_in"] <= refreshed["x_refresh_token_hard_expires_in"]
