"""The Accounting API under /v3/company/<realmId>/: auth, throttle, faults, requestid, dispatch."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, g, request

from . import cdc, errors, exchange, jsonutil, operations
from .core import Emulator, current
from .entities import BY_PATH
from .entities.common import WriteContext
from .faults import Rule
from .store import Company

bp = Blueprint("api", __name__)

MAX_REQUESTID = 50
MAX_BATCH_REQUESTID = 36
LOOKBACK = cdc.LOOKBACK_DAYS * 86400
# qbo-api-notes "Limits": a request running over 120 s times out on Intuit's side.
REQUEST_CEILING = 120.0
SPECIAL_METHODS = {
    "query": ("GET", "POST"),
    "batch": ("POST",),
    "cdc": ("GET",),
    "preferences": ("GET",),
    "exchangerate": ("GET", "POST"),
}


@dataclass(frozen=True)
class Call:
    """What a request asks for: kind, entity, operation and its statistics key."""

    kind: str  # write, read, companyinfo, unknown, or a special endpoint (query, batch, ...)
    endpoint: str
    entity: str | None = None
    operation: str | None = None
    obj_id: str | None = None


def describe(method: str, rest: str, operation: str | None) -> Call:
    """Classify a request path below /v3/company/<realm>/."""
    parts = rest.strip("/").split("/")
    head = parts[0]
    if len(parts) == 1:
        if method in SPECIAL_METHODS.get(head, ()):
            return Call(head, f"{method} /{head}", None, head)
        elif head in BY_PATH and method == "POST":
            suffix = f"?operation={operation}" if operation else ""
            return Call("write", f"POST /{head}{suffix}", BY_PATH[head], operation or "save")
    elif len(parts) == 2 and method == "GET":
        if head == "companyinfo":
            return Call("companyinfo", "GET /companyinfo/<id>", "CompanyInfo", "read", parts[1])
        if head in BY_PATH:
            return Call("read", f"GET /{head}/<id>", BY_PATH[head], "read", parts[1])
    return Call("unknown", f"{method} /{head}")


def fault_response(fault: errors.QBOFault) -> Response:
    """The JSON answer for a fault (with the WWW-Authenticate header for 401)."""
    response = jsonutil.json_response(fault.body(), fault.status)
    if fault.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
    return response


def throttled_response() -> Response:
    """HTTP 429 with Intuit's XML body."""
    return Response(errors.throttle_xml(), status=429, mimetype="application/xml")


def system_fault(status: int) -> Response:
    """An injected 500/503."""
    fault = errors.QBOFault(
        "10000",
        "System Failure Error: An application error has occurred while processing your request",
        status=status,
        fault_type="SystemFault",
    )
    return jsonutil.json_response(fault.body(), status)


def drop_connection() -> Response:
    """Close the client's connection without an answer."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        raise ConnectionResetError("connection dropped by fault injection")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)  # writing it fails quietly: the socket is gone


@bp.route("/v3/company/<realm>/<path:rest>", methods=["GET", "POST"])
def api(realm: str, rest: str) -> Response:
    """Every Accounting API request."""
    emulator = current()
    call = describe(request.method, rest, request.args.get("operation"))
    g.stat = (realm, call.endpoint)
    try:
        grant = emulator.tokens.check(request.headers.get("Authorization"), realm)
    except errors.QBOFault as fault:
        return fault_response(fault)
    verdict = emulator.throttle.enter((realm, grant.client_id), batch=call.kind == "batch")
    if verdict.refused is not None:
        emulator.stats.throttle(realm, verdict.refused)
        return throttled_response()
    emulator.stats.admitted(realm, verdict.in_second)
    try:
        return _serve(emulator, realm, call)
    except errors.QBOFault as fault:
        return fault_response(fault)
    finally:
        # The time QBO takes to answer (counted from arrival, as its limits are).
        delay = emulator.answer_delay(g.get("batch_items", 0))
        if delay > 0:
            time.sleep(delay)
        emulator.stats.answered(realm)


def _serve(emulator: Emulator, realm: str, call: Call) -> Response:
    company = emulator.store.companies.get(realm)
    if company is None:
        raise errors.forbidden("No such company")
    rule = emulator.faults.match(request.method, request.path, realm, call.entity, call.operation)
    if rule is not None and rule.kind != "timeout_after_commit":
        return _injected(emulator, realm, rule)
    if call.kind == "batch":
        emulator.stats.count(emulator.stats.batches, realm)
    requestid = request.args.get("requestid")
    if requestid is not None and call.kind in ("write", "batch"):
        limit = MAX_BATCH_REQUESTID if call.kind == "batch" else MAX_REQUESTID
        if len(requestid) > limit or not requestid:
            raise errors.QBOFault("2050", f"requestid must be 1 to {limit} characters", "requestid")
    else:
        requestid = None
    with emulator.store.lock:
        cached = company.requests.get(requestid) if requestid else None
        if cached is not None and _replay_missed(emulator, realm, call):
            cached = None  # executed again, as the real service has been seen to do
        if cached is not None:
            status, text = cached
        else:
            ctx = WriteContext(
                emulator.store, company, jsonutil.now(), allow_duplicate_docnum=_includes(
                    "allowduplicatedocnum")
            )
            try:
                status, body = 200, _execute(emulator, ctx, call)
            except errors.QBOFault as fault:
                status, body = fault.status, fault.body()
            if "time" not in body:
                body["time"] = jsonutil.time_field()
            text = jsonutil.dumps(body)
            if requestid:
                emulator.store.remember_request(company, requestid, status, text)
            if ctx.events:
                emulator.webhooks.publish(realm, ctx.events, jsonutil.iso(ctx.moment))
    response = Response(text, status=status, mimetype="application/json")
    if rule is not None:  # timeout_after_commit: the work is done and stored
        if rule.mode == "stall":
            return _stall(emulator, rule, response)
        return drop_connection()
    return response


def _replay_missed(emulator: Emulator, realm: str, call: Call) -> bool:
    """Whether a replay_miss rule makes this repeated requestid execute again."""
    rule = emulator.faults.match(
        request.method, request.path, realm, call.entity, call.operation, replay=True
    )
    return rule is not None


def _includes(option: str) -> bool:
    """Whether the request's ``include`` parameter (comma-separated) names the option."""
    values = ",".join(request.args.getlist("include")).lower().split(",")
    return option in (value.strip() for value in values)


def _stall(emulator: Emulator, rule: Rule, response: Response) -> Response:
    """Hold the answer back; at QBO's request ceiling answer 504 GatewayTimeout instead."""
    stall = emulator.config.stall_seconds if rule.stall_seconds is None else rule.stall_seconds
    ceiling = emulator.clock.window(REQUEST_CEILING)
    if stall < ceiling:
        time.sleep(stall)
        return response
    time.sleep(ceiling)
    return Response(errors.gateway_timeout_xml(), status=504, mimetype="application/xml")


def _injected(emulator: Emulator, realm: str, rule: Rule) -> Response:
    if rule.kind == "expire_access_token":
        emulator.tokens.expire(request.headers.get("Authorization"))
        return fault_response(errors.auth_failed("Token expired"))
    if rule.kind == "throttle_429":
        emulator.stats.throttle(realm, "injected")
        return throttled_response()
    if rule.kind == "reset_before_commit":
        return drop_connection()
    return system_fault(500 if rule.kind == "http_500" else 503)


def _json_body() -> Any:
    try:
        return jsonutil.loads(request.get_data())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.QBOFault("2010", f"Request body is not valid JSON: {exc}") from exc


def _execute(emulator: Emulator, ctx: WriteContext, call: Call) -> dict[str, Any]:
    company: Company = ctx.company
    if call.kind == "write":
        assert call.entity is not None
        operation = request.args.get("operation")
        result = operations.perform(ctx, call.entity, operation, _json_body())
        return {call.entity: result}
    if call.kind == "read":
        assert call.entity is not None and call.obj_id is not None
        return {call.entity: operations.read(ctx, call.entity, call.obj_id)}
    if call.kind == "query":
        text = (
            request.args.get("query") if request.method == "GET" else request.get_data(as_text=True)
        )
        if not text:
            raise errors.QBOFault(
                "4001", "QueryParserError: no query given", message="Invalid query"
            )
        return {"QueryResponse": operations.run_query(ctx, text)}
    if call.kind == "batch":
        items = operations.check_batch(_json_body())
        g.batch_items = len(items)
        requestid = request.args.get("requestid")
        answers = [operations.batch_item(ctx, item, requestid) for item in items]
        return {"BatchItemResponse": answers}
    if call.kind == "cdc":
        return cdc.changes(
            ctx,
            request.args.get("entities"),
            request.args.get("changedSince"),
            emulator.clock.window(LOOKBACK),
        )
    if call.kind == "exchangerate":
        if request.method == "GET":
            return exchange.read(ctx, {k.lower(): v for k, v in request.args.items()})
        return exchange.write(ctx, _json_body())
    if call.kind == "preferences":
        return {"Preferences": company.preferences}
    if call.kind == "companyinfo":
        if call.obj_id != company.realm_id:
            raise errors.QBOFault(
                "2030", f"CompanyInfo Id must be the realm id {company.realm_id}", "Id"
            )
        return {"CompanyInfo": company.objects["CompanyInfo"]["1"]}
    raise errors.QBOFault(
        "500",
        f"Unsupported operation: {request.method} {request.path}",
        message="Unsupported Operation",
    )
