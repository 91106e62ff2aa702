"""Login, logout, the lock-out after repeated failures and the per-address slowing."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Associate
from app.permissions import public, signed_in
from app.web.auth import throttle
from app.web.auth.forms import LoginForm
from app.web.auth.sessions import end_every_session, start_session

bp = Blueprint("auth", __name__)

# One hash computed for unknown usernames so the response time does not reveal which exist.
_DUMMY = Associate()
_DUMMY.set_password("not-a-real-password")


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("main.dashboard")


def _authenticate(username: str, password: str) -> Associate | None:
    """The associate these credentials sign in, or None; a wrong password counts a failure."""
    user = db.session.scalars(
        select(Associate).where(func.lower(Associate.username) == username.lower())
    ).first()
    if user is None or not user.password_hash:
        _DUMMY.check_password(password)
        return None
    # The hash is always checked, so a locked account answers as slowly as any other.
    matches = user.check_password(password)
    if user.is_locked():
        return None
    if matches and user.is_active:
        return user
    cfg = current_app.config
    user.record_failed_login(cfg["LOGIN_MAX_FAILURES"],
                             timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"]))
    db.session.commit()
    return None


def _refused(message: str, status: int, form: LoginForm) -> Response:
    flash(message, "danger")
    return make_response(render_template("auth/login.html", form=form), status)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    """Show the login form and sign the associate in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    address = request.remote_addr or "unknown"
    wait = throttle.wait_seconds(address)
    if wait:
        response = _refused("Too many failed sign-ins from your network. Try again in "
                            f"{wait} second{'s' if wait != 1 else ''}.", 429, form)
        response.headers["Retry-After"] = str(wait)
        return response
    user = _authenticate(form.username.data.strip(), form.password.data)
    if user is None:
        throttle.record_failure(address)
        # Locked, inactive and unknown accounts answer exactly like a wrong password.
        minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
        return _refused("Invalid username or password. After repeated failures an account "
                        f"is locked for {minutes} minutes; the Company Owner can unlock it.",
                        401, form)
    user.record_successful_login()
    db.session.commit()
    next_url = _safe_next(request.args.get("next"))
    start_session(user, remember=form.remember.data)
    return redirect(next_url)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    """End this and every other session of the associate, remember cookies included."""
    end_every_session(current_user._get_current_object())
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
