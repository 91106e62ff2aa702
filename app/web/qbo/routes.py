"""Admin -> QuickBooks Online Connect."""

from __future__ import annotations

import hmac
import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import ConnectionStatus
from app.permissions import qbo_admin_required
from app.qbo import connection as qbo
from app.qbo.faults import QBOError

log = logging.getLogger(__name__)
bp = Blueprint("qbo", __name__, url_prefix="/admin/qbo")

_STATE_KEY = "qbo_oauth_state"


def _redirect_uri() -> str:
    return current_app.config.get("QBO_REDIRECT_URI") or url_for(".callback", _external=True)


@bp.get("/")
@qbo_admin_required
def connect_page() -> str:
    """Connection status, and the Connect / Disconnect buttons."""
    return render_template("qbo/connect.html", connection=qbo.current_connection(db.session),
                           pending=qbo.pending_connection(db.session),
                           environment=current_app.config["QBO_ENVIRONMENT"])


@bp.post("/connect")
@qbo_admin_required
def connect() -> Response:
    """Start the OAuth 2.0 authorization-code flow at Intuit (or the emulator)."""
    try:
        url, state = qbo.oauth_for(current_app.config, _redirect_uri()).authorization_url()
    except (QBOError, OSError, ValueError) as exc:
        log.warning("QuickBooks discovery failed: %s", type(exc).__name__)
        flash("QuickBooks could not be reached to start the connection. Try again shortly.",
              "danger")
        return redirect(url_for(".connect_page"))
    session[_STATE_KEY] = state
    return redirect(url)


@bp.get("/callback")
@qbo_admin_required
def callback() -> Response:
    """Intuit sends the admin back here with ?code, ?state and ?realmId."""
    expected = session.pop(_STATE_KEY, None)
    state = request.args.get("state", "")
    if not expected or not hmac.compare_digest(expected, state):
        flash("The QuickBooks answer did not match this browser session; connect again.",
              "danger")
        return redirect(url_for(".connect_page"))
    if error := request.args.get("error"):
        flash(f"QuickBooks did not authorize the connection ({error[:60]}).", "warning")
        return redirect(url_for(".connect_page"))
    code, realm_id = request.args.get("code", ""), request.args.get("realmId", "")
    if not code or not realm_id.isdigit():
        flash("QuickBooks sent an incomplete answer; connect again.", "danger")
        return redirect(url_for(".connect_page"))
    try:
        row = qbo.complete_authorization(db.session, current_app.config,
                                         qbo.oauth_for(current_app.config, _redirect_uri()),
                                         code, realm_id, current_user.id)
    except (QBOError, OSError) as exc:
        db.session.rollback()
        log.warning("QuickBooks connection failed: %s", type(exc).__name__)
        reason = exc.plain_message() if isinstance(exc, QBOError) else "network error"
        flash(f"Connecting to QuickBooks failed: {reason}", "danger")
        return redirect(url_for(".connect_page"))
    if row.status == ConnectionStatus.PENDING_CONFIRMATION:
        flash("This is a different QuickBooks company from the one Ledgerhub's records are "
              "linked to. Confirm the switch below, or cancel.", "warning")
    else:
        flash(f"Connected to QuickBooks company “{row.company_name}”.", "success")
    return redirect(url_for(".connect_page"))


@bp.post("/switch/confirm")
@qbo_admin_required
def confirm_switch() -> Response:
    """Use the newly authorised company from now on."""
    row = qbo.confirm_switch(db.session, current_app.config)
    if row is not None:
        flash(f"Connected to QuickBooks company “{row.company_name}”. Records are linked "
              "per company: nothing linked to the previous company is reused.", "success")
    return redirect(url_for(".connect_page"))


@bp.post("/switch/cancel")
@qbo_admin_required
def cancel_switch() -> Response:
    """Keep the current company; the new authorization is revoked."""
    qbo.cancel_switch(db.session, current_app.config)
    flash("Switch cancelled; the existing connection is unchanged.", "info")
    return redirect(url_for(".connect_page"))


@bp.post("/disconnect")
@qbo_admin_required
def disconnect() -> Response:
    """Revoke the token at Intuit and delete it locally."""
    if qbo.disconnect(db.session, current_app.config):
        flash("Disconnected from QuickBooks. The authorization was revoked.", "success")
    return redirect(url_for(".connect_page"))
