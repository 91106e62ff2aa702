"""Web layer: one blueprint package per area, wired here."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError

from app.extensions import db, login_manager
from app.models import Associate
from app.money import format_exchange_rate, format_money, format_percent, format_rate
from app.permissions import template_globals


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


def _error(status: int, title: str, message: str) -> tuple[str, int]:
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    """Register blueprints, template helpers and error pages."""
    from app.web import (
        admin,
        auth,
        catalog,
        clients,
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

    from app.qbo.renewal import renewal
    from app.web.qbo_push.targets import TARGETS, qbo_failure, qbo_state

    app.jinja_env.globals.update(template_globals(), qbo_connection=_qbo_connection,
                                 qbo_state=qbo_state, qbo_failure=qbo_failure,
                                 push_targets=TARGETS, qbo_renewal=renewal)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["rate"] = format_rate
    app.jinja_env.filters["xrate"] = format_exchange_rate
    app.jinja_env.filters["percent"] = format_percent

    @app.errorhandler(403)
    def forbidden(_: Any) -> tuple[str, int]:
        return _error(403, "Not allowed", "Your account does not have permission for this page.")

    @app.errorhandler(404)
    def not_found(_: Any) -> tuple[str, int]:
        return _error(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> tuple[str, int]:
        return _error(400, "Form expired", "The form was missing its security token. "
                      "Reload the page and try again.")

    @app.errorhandler(500)
    def server_error(_: Any) -> tuple[str, int]:
        db.session.rollback()
        return _error(500, "Something went wrong", "The error was logged. Nothing was saved.")
