"""OAuth 2.0 endpoints in Intuit's shapes: discovery, consent page, token, revoke, userinfo."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, jsonify, redirect, render_template_string, request
from werkzeug.wrappers import Response as WerkzeugResponse

from . import jsonutil
from .core import current
from .tokens import OAuthError

bp = Blueprint("oauth", __name__)

SCOPE = "com.intuit.quickbooks.accounting"

CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect to QuickBooks (emulator)</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto}</style>
</head><body>
<h1>Connect to QuickBooks</h1>
{% if error %}<p role="alert">{{ error }}</p>{% else %}
<p><strong>{{ client_id }}</strong> wants access to your company's accounting data.</p>
<form method="post" action="{{ action }}">
  {% for key, value in hidden.items() %}<input type="hidden" name="{{ key }}" value="{{ value }}">
  {% endfor %}
  {% if companies|length > 1 %}<label>Company
    <select name="realmId">{% for c in companies %}
      <option value="{{ c.realm_id }}">{{ c.name }} ({{ c.realm_id }})</option>{% endfor %}
    </select></label>
  {% elif companies %}<p>Company: {{ companies[0].name }}</p>
  <input type="hidden" name="realmId" value="{{ companies[0].realm_id }}">{% endif %}
  <p><button type="submit" name="decision" value="authorize">Authorize</button>
     <button type="submit" name="decision" value="cancel">Cancel</button></p>
</form>{% endif %}
</body></html>"""


def _discovery() -> dict[str, str | list[str]]:
    base = request.host_url.rstrip("/")
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
        "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone", SCOPE],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


@bp.get("/.well-known/openid_configuration")
@bp.get("/.well-known/openid_sandbox_configuration")
def discovery() -> Response:
    """OpenID discovery document naming this emulator's endpoints."""
    return jsonify(_discovery())


def _error_page(message: str, status: int = 400) -> tuple[str, int]:
    return render_template_string(CONSENT_PAGE, error=message), status


@bp.route("/connect/oauth2", methods=["GET", "POST"])
def authorize() -> Any:
    """The consent page (GET) and its decision (POST), redirecting with code/state/realmId."""
    emulator = current()
    params = request.values
    client = emulator.tokens.clients.get(params.get("client_id", ""))
    if client is None:
        return _error_page("Unknown client_id.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        return _error_page("The redirect_uri does not match a URI registered for this app.")
    state = params.get("state", "")

    def back(**answer: str) -> WerkzeugResponse:
        if state:
            answer["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        return redirect(f"{redirect_uri}{separator}{urlencode(answer)}", code=302)

    if params.get("response_type") != "code":
        return back(error="unsupported_response_type")
    if SCOPE not in params.get("scope", "").split():
        return back(error="invalid_scope")
    companies = list(emulator.store.companies.values())
    if request.method == "GET":
        if not companies:
            return _error_page("There is no company to connect; create one first.")
        hidden = {
            key: params.get(key, "")
            for key in ("client_id", "response_type", "scope", "redirect_uri", "state")
        }
        return render_template_string(
            CONSENT_PAGE,
            error=None,
            client_id=client.client_id,
            hidden=hidden,
            companies=companies,
            action=request.path,
        )
    if params.get("decision") == "cancel":
        return back(error="access_denied")
    realm = params.get("realmId") or (companies[0].realm_id if len(companies) == 1 else "")
    if realm not in emulator.store.companies:
        return _error_page("Choose a company.")
    code = emulator.tokens.issue_code(client, redirect_uri, realm)
    return back(code=code, realmId=realm)


def _oauth_error(exc: OAuthError) -> Response:
    body: dict[str, str] = {"error": exc.error}
    if exc.description:
        body["error_description"] = exc.description
    response = jsonify(body)
    response.status_code = exc.status
    return response


@bp.post("/oauth2/v1/tokens/bearer")
def token() -> Response:
    """Token endpoint: authorization_code and refresh_token grants, HTTP Basic client auth."""
    emulator = current()
    grant_type = request.form.get("grant_type", "")
    g.stat = (None, f"POST /oauth2/v1/tokens/bearer ({grant_type or 'none'})")
    realm = emulator.tokens.realm_of(grant_type, request.form.to_dict())
    try:
        client = emulator.tokens.authenticate(request.headers.get("Authorization"))
        rule = emulator.faults.match(request.method, request.path, None, None, grant_type)
        if rule is not None and rule.kind in ("http_500", "http_503"):
            return Response("Service unavailable", status=500 if rule.kind == "http_500" else 503)
        if grant_type == "authorization_code":
            grant, answer = emulator.tokens.exchange_code(
                client, request.form.get("code", ""), request.form.get("redirect_uri", "")
            )
        elif grant_type == "refresh_token":
            grant, answer = emulator.tokens.refresh(client, request.form.get("refresh_token", ""))
        else:
            raise OAuthError("unsupported_grant_type")
        del grant
        return jsonify(answer)
    except OAuthError as exc:
        return _oauth_error(exc)
    finally:
        emulator.stats.token_call(realm, grant_type or "none")


@bp.post("/v2/oauth2/tokens/revoke")
def revoke() -> Response:
    """Revoke the grant of an access or refresh token (JSON body {"token": ...})."""
    emulator = current()
    g.stat = (None, "POST /v2/oauth2/tokens/revoke")
    try:
        emulator.tokens.authenticate(request.headers.get("Authorization"))
    except OAuthError as exc:
        return _oauth_error(exc)
    body = request.get_json(silent=True) or {}
    token_value = body.get("token") or request.form.get("token")
    if not token_value:
        return _oauth_error(OAuthError("invalid_request"))
    emulator.tokens.revoke(str(token_value))
    return Response("", status=200)


@bp.get("/v1/openid_connect/userinfo")
def userinfo() -> Response:
    """A minimal userinfo answer for a valid access token."""
    grant = current().tokens.grant_for(request.headers.get("Authorization"))
    if grant is None:
        return Response(
            jsonutil.dumps({"error": "invalid_token"}),
            status=401,
            mimetype="application/json",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return jsonify(
        {
            "sub": f"emulator-user-{grant.realm_id}",
            "email": "owner@example.com",
            "emailVerified": True,
            "givenName": "Emulator",
            "familyName": "Owner",
            "realmid": grant.realm_id,
        }
    )


@bp.get("/op/v1/jwks")
def jwks() -> Response:
    """No id_tokens are issued, so the key set is empty."""
    return jsonify({"keys": []})
