"""Login, logout and the lock-out after repeated failures."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Associate
from app.permissions import public, signed_in
from app.web.auth.forms import LoginForm

bp = Blueprint("auth", __name__)

# One hash computed for unknown usernames so the response time does not reveal which exist.
_DUMMY = Associate()
_DUMMY.set_password("not-a-real-password")


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    """Show the login form and sign the associate in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = db.session.scalars(
            select(Associate).where(func.lower(Associate.username) == username.lower())
        ).first()
        if user is None:
            _DUMMY.check_password(form.password.data)
        elif user.is_locked():
            flash("Too many failed attempts. Try again later or ask the owner.", "danger")
            return render_template("auth/login.html", form=form), 429
        elif user.check_password(form.password.data) and user.is_active:
            user.record_successful_login()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        else:
            cfg = current_app.config
            user.record_failed_login(
                cfg["LOGIN_MAX_FAILURES"], timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"])
            )
            db.session.commit()
        flash("Invalid username or password.", "danger")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    """End the session."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
