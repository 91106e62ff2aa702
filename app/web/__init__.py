"""Web layer: one blueprint package per area, wired here."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.extensions import db, login_manager
from app.models import Associate, ConnectionStatus
from app.money import format_exchange_rate, format_money, format_percent, format_rate
from app.permissions import template_globals
from app.qbo.crypto import TokenKeyMismatch


@login_manager.user_loader
def load_user(user_id: str) -> Associate | None:
    """Flask-Login: the associate behind a session, while that session is still current."""
    number, _, version = user_id.partition(":")
    if not (number.isdigit() and version.isdigit()):
        return None
    user = db.session.get(Associate, int(number))
    # Logging out, a new password or deactivation ends every session and remember cookie.
    if user is None or not user.is_active or user.get_id() != user_id:
        return None
    return user


def _qbo_connection() -> object:
    """The current QuickBooks connection, loaded once per request (for the banner)."""
    if "qbo_connection" not in g:
        from app.qbo.connection import current_connection

        g.qbo_connection = current_connection(db.session)
    return g.qbo_connection


_DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)
ErrorPage = tuple[str, int] | tuple[str, int, dict[str, str]]


def _error(status: int, title: str, message: str) -> ErrorPage:
    """The error page in the site's layout; the static 503 when the layout needs a dead database."""
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    try:
        return render_template(template, status=status, title=title, message=message), status
    except _DATABASE_ERRORS as exc:
        return _database_down(exc)


DATABASE_DOWN = ("Ledgerhub cannot reach its database right now, so this page cannot be shown "
                 "and nothing was saved. Try again in a minute; if it persists, tell your IT "
                 "administrator.")
REDIS_DOWN = ("Ledgerhub cannot reach its job queue (Redis) right now. Try again in a minute; if "
              "it persists, tell your IT administrator.")


def _static_error(status: int, title: str, message: str) -> tuple[str, int, dict[str, str]]:
    """An error page that touches neither the database nor the signed-in user."""
    template = ("errors/_unavailable.html" if request.headers.get("HX-Request")
                else "errors/unavailable.html")
    # Rendered without the context processors: Flask-Login's would load the user from the
    # database. HTMX swaps this 503 fragment over a polling element, which stops its polling.
    html = current_app.jinja_env.get_template(template).render(
        status=status, title=title, message=message, request=request)
    return html, status, {"Retry-After": "30"} if status == 503 else {}


def _database_down(exc: SQLAlchemyError) -> tuple[str, int, dict[str, str]]:
    """503 with a static page and one log line (no traceback) for each request refused."""
    with contextlib.suppress(SQLAlchemyError):
        db.session.remove()
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
    current_app.logger.error("Database unavailable, %s %s answered 503: %s",
                             request.method, request.path, reason)
    return _static_error(503, "Database unavailable", DATABASE_DOWN)


def init_app(app: Flask) -> None:
    """Register blueprints, template helpers and error pages."""
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_pages(app)


def _register_blueprints(app: Flask) -> None:
    from app.web import (
        accessible,
        admin,
        auth,
        catalog,
        clients,
        fixes,
        headers,
        history,
        invoices,
        main,
        organizations,
        purchasing,
        qbo,
        qbo_import,
        qbo_mappings,
        qbo_push,
    )

    for module in (auth, main, admin, catalog, clients, organizations, invoices, purchasing,
                   history, qbo, qbo_push, qbo_mappings, qbo_import):
        app.register_blueprint(module.bp)
    headers.init_app(app)
    accessible.init_app(app)
    fixes.init_app(app)


def _register_template_helpers(app: Flask) -> None:
    from app.qbo.renewal import renewal
    from app.sync.upfront import RULE as preflight_rule
    from app.web.qbo_push.targets import TARGETS, qbo_failure, qbo_state

    app.jinja_env.globals.update(template_globals(), qbo_connection=_qbo_connection,
                                 ConnectionStatus=ConnectionStatus,
                                 qbo_state=qbo_state, qbo_failure=qbo_failure,
                                 push_targets=TARGETS, qbo_renewal=renewal,
                                 preflight_rule=preflight_rule)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["rate"] = format_rate
    app.jinja_env.filters["xrate"] = format_exchange_rate
    app.jinja_env.filters["percent"] = format_percent


def _forbidden(_: Any) -> ErrorPage:
    return _error(403, "Not allowed", "Your account does not have permission for this page.")


def _not_found(_: Any) -> ErrorPage:
    return _error(404, "Not found", "There is nothing at this address.")


def _csrf_error(_: CSRFError) -> ErrorPage:
    return _error(400, "Form expired", "The form was missing its security token. "
                  "Reload the page and try again.")


def _redis_down(exc: RedisError) -> ErrorPage:
    db.session.rollback()
    current_app.logger.error("Redis unavailable, %s %s answered 503: %s",
                             request.method, request.path, type(exc).__name__)
    return _error(503, "Job queue unavailable", REDIS_DOWN)


def _token_key_mismatch(exc: TokenKeyMismatch) -> ErrorPage:
    db.session.rollback()
    current_app.logger.error("%s %s: %s", request.method, request.path, exc)
    return _error(500, "QuickBooks tokens unreadable", str(exc))


def _server_error(_: Any) -> ErrorPage:
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    return _error(500, "Something went wrong", "The error was logged. Nothing was saved.")


def _register_error_pages(app: Flask) -> None:
    for error in _DATABASE_ERRORS:
        app.register_error_handler(error, _database_down)
    handlers: list[tuple[int | type[Exception], Any]] = [
        (403, _forbidden), (404, _not_found), (CSRFError, _csrf_error),
        (RedisError, _redis_down), (TokenKeyMismatch, _token_key_mismatch),
        (500, _server_error),
    ]
    for code_or_error, handler in handlers:
        app.register_error_handler(code_or_error, handler)
