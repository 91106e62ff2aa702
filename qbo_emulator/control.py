"""Control plane for tests and demos under /_emulator/ (JSON in, JSON out, no auth)."""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import currency, jsonutil, seed
from .config import DEV_CLIENT_ID
from .core import current, sales_tax_of

bp = Blueprint("control", __name__, url_prefix="/_emulator")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _error(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


@bp.get("/")
def overview() -> Response:
    """Companies and settings."""
    return jsonify(current().describe())


@bp.get("/companies")
def companies() -> Response:
    """All companies."""
    return jsonify(current().describe()["companies"])


@bp.post("/companies")
def create_company() -> Response:
    """Create a company: {name, country, multicurrency, home_currency, seed, sales_tax}.

    ``sales_tax`` is "automated" (the default for US companies) or "manual".
    """
    body = _body()
    try:
        company = current().create_company(
            name=body.get("name"),
            country=str(body.get("country") or "US").upper(),
            seed=body.get("seed") or "sample",
            multicurrency=bool(body.get("multicurrency")),
            home_currency=body.get("home_currency"),
            sales_tax=body.get("sales_tax"),
        )
    except ValueError as exc:
        return _error(str(exc))
    response = jsonify(
        {
            "realm_id": company.realm_id,
            "name": company.name,
            "country": company.country,
            "home_currency": company.home_currency,
            "sales_tax": sales_tax_of(company),
        }
    )
    response.status_code = 201
    return response


@bp.post("/companies/<realm>/tokens")
def issue_tokens(realm: str) -> Response:
    """A token response for a client (default: the development client), skipping consent."""
    emulator = current()
    if realm not in emulator.store.companies:
        return _error("unknown realm", 404)
    client_id = _body().get("client_id") or DEV_CLIENT_ID
    if client_id not in emulator.tokens.clients:
        return _error("unknown client_id", 404)
    _grant, answer = emulator.tokens.direct(client_id, realm)
    return jsonify({**answer, "realm_id": realm})


@bp.post("/grants/age")
def age_grant() -> Response:
    """Pretend a grant was first authorized earlier: {refresh_token, days}."""
    body = _body()
    try:
        days = float(body.get("days", 0))
    except (TypeError, ValueError):
        return _error("days must be a number")
    grant = current().tokens.age(str(body.get("refresh_token") or ""), days * 86400)
    if grant is None:
        return _error("unknown refresh_token", 404)
    return jsonify({"realm_id": grant.realm_id, "hard_expires_at": grant.hard_cap})


@bp.post("/companies/<realm>/preferences")
def change_preferences(realm: str) -> Response:
    """Switch company settings: multicurrency, custom_txn_numbers, duplicate_docnumber_check,
    sales_tax ("automated" | "manual", US companies only)."""
    emulator = current()
    body = _body()
    store = emulator.store
    with store.lock:
        company = store.companies.get(realm)
        if company is None:
            return _error("unknown realm", 404)
        prefs = copy.deepcopy(company.preferences)
        if "multicurrency" in body:
            wanted = bool(body["multicurrency"])
            if company.multicurrency and not wanted:
                return _error("multi-currency cannot be turned off once on")
            prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] = wanted
        if body.get("home_currency"):
            code = str(body["home_currency"])
            if code != company.home_currency and (company.multicurrency or _has_parties(company)):
                return _error("the home currency is fixed")
            prefs["CurrencyPrefs"]["HomeCurrency"] = currency.ref(code)
        if "sales_tax" in body:
            problem = _switch_sales_tax(store, company, prefs, body["sales_tax"])
            if problem:
                return _error(problem)
        if "custom_txn_numbers" in body:
            prefs["SalesFormsPrefs"]["CustomTxnNumbers"] = bool(body["custom_txn_numbers"])
        if "duplicate_docnumber_check" in body:
            flag = "true" if body["duplicate_docnumber_check"] else "false"
            for pair in prefs["OtherPrefs"]["NameValue"]:
                if pair["Name"] in ("WarnDuplicateDocNum", "WarnDuplicateBillNum"):
                    pair["Value"] = flag
        prefs["SyncToken"] = str(int(prefs["SyncToken"]) + 1)
        prefs["MetaData"] = {**prefs["MetaData"], "LastUpdatedTime": jsonutil.iso(jsonutil.now())}
        store.put(company, "Preferences", prefs)
    return Response(jsonutil.dumps({"Preferences": prefs}), mimetype="application/json")


def _switch_sales_tax(store: Any, company: Any, prefs: dict[str, Any], wanted: Any) -> str | None:
    """Turn automated sales tax on or off; its rate table is added when it is turned on."""
    try:
        model = seed.sales_tax_model(company.country, wanted or "manual")
    except ValueError as exc:
        return str(exc)
    prefs["TaxPrefs"] = {**prefs.get("TaxPrefs", {}), "PartnerTaxEnabled": model == "automated"}
    if model == "automated":
        seed.seed_state_rates(store, company)
    return None


def _has_parties(company: Any) -> bool:
    return bool(company.objects["Customer"] or company.objects["Vendor"])


@bp.post("/clients")
def register_client() -> Response:
    """Register an OAuth client: {client_id, client_secret, redirect_uris}."""
    body = _body()
    if not body.get("client_id") or not body.get("client_secret"):
        return _error("client_id and client_secret are required")
    uris = body.get("redirect_uris") or []
    if isinstance(uris, str):
        uris = [uris]
    client = current().tokens.register(
        str(body["client_id"]), str(body["client_secret"]), [str(u) for u in uris]
    )
    response = jsonify({"client_id": client.client_id, "redirect_uris": client.redirect_uris})
    response.status_code = 201
    return response


@bp.post("/faults")
def add_faults() -> Response:
    """Add fault injection rules: {rules: [...]} (see qbo_emulator.faults)."""
    rules = _body().get("rules")
    if not isinstance(rules, list):
        return _error("rules must be a list")
    try:
        added = current().faults.add(rules)
    except (ValueError, TypeError) as exc:
        return _error(str(exc))
    return jsonify({"rules": [rule.describe() for rule in added]})


@bp.get("/faults")
def list_faults() -> Response:
    """Active rules with their counters."""
    injector = current().faults
    with injector.lock:
        return jsonify({"rules": [rule.describe() for rule in injector.rules]})


@bp.delete("/faults")
def clear_faults() -> Response:
    """Remove every fault rule."""
    current().faults.clear()
    return jsonify({"rules": []})


@bp.get("/stats")
def stats() -> Response:
    """Request counts by endpoint/status, throttled, batches, token calls, object counts."""
    emulator = current()
    return jsonify(emulator.stats.snapshot(emulator.store, request.args.get("realm") or None))


@bp.post("/webhooks")
def add_webhook() -> Response:
    """Register a webhook target: {realm, url, verifier_token} (realm omitted = all)."""
    body = _body()
    if not body.get("url") or not body.get("verifier_token"):
        return _error("url and verifier_token are required")
    current().webhooks.register(body.get("realm"), str(body["url"]), str(body["verifier_token"]))
    response = jsonify({"ok": True})
    response.status_code = 201
    return response


@bp.get("/webhooks")
def webhook_deliveries() -> Response:
    """Targets and the deliveries made so far."""
    hooks = current().webhooks
    with hooks.cond:
        return Response(
            jsonutil.dumps({"targets": dict(hooks.targets), "deliveries": list(hooks.deliveries)}),
            mimetype="application/json",
        )


@bp.delete("/webhooks")
def clear_webhooks() -> Response:
    """Remove every webhook target."""
    current().webhooks.clear()
    return jsonify({"ok": True})


@bp.post("/reset")
def reset() -> Response:
    """Forget everything and re-seed as at start-up."""
    emulator = current()
    emulator.reset()
    return jsonify(emulator.describe())


@bp.post("/time-scale")
def time_scale() -> Response:
    """Change the time scale: {scale: N}."""
    emulator = current()
    try:
        emulator.set_time_scale(float(_body().get("scale", 0)))
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return jsonify(emulator.describe())


@bp.post("/latency")
def latency() -> Response:
    """How long answers take: {request: seconds, batch_item: seconds} (scaled)."""
    body = _body()
    try:
        current().set_latency(float(body.get("request", 0)), float(body.get("batch_item", 0)))
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return jsonify(current().describe())


@bp.post("/clock")
def clock() -> Response:
    """Move the emulator's clock forward: {advance: seconds of real-service time}."""
    emulator = current()
    try:
        emulator.clock.advance(float(_body().get("advance", 0)))
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return jsonify({"offset": emulator.clock.offset})


@bp.post("/settings")
def settings() -> Response:
    """Switch throttling, set its limits, switch rotation.

    Body: {throttle, requests_per_minute, requests_per_second, batches_per_minute,
    rotate_refresh_tokens}; a limit of 0 switches that window off.
    """
    emulator = current()
    body = _body()
    if "throttle" in body:
        emulator.throttle.enabled = bool(body["throttle"])
        emulator.throttle.reset()
    names = ("requests_per_minute", "requests_per_second", "batches_per_minute")
    if any(name in body for name in names):
        try:
            emulator.set_limits(**{name: int(body[name]) for name in names if name in body})
        except (TypeError, ValueError) as exc:
            return _error(str(exc))
    if "rotate_refresh_tokens" in body:
        emulator.tokens.rotate = bool(body["rotate_refresh_tokens"])
    return jsonify(emulator.describe())
