"""Starting and ending signed-in sessions."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_login import login_user, logout_user

from app.extensions import db
from app.models import Associate


def start_session(user: Associate, *, remember: bool) -> None:
    """Sign the user in on a brand-new session (nothing from before, CSRF token included)."""
    session.clear()
    # Flask-WTF caches the request's token on g; the next form must get a fresh one.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(user, remember=remember)


def end_every_session(user: Associate) -> None:
    """Sign out here and end every other session and remember cookie of the user."""
    user.end_sessions()
    db.session.commit()
    session.clear()
    logout_user()  # after clear(): it flags the remember cookie for deletion


def keep_current_session(user: Associate) -> None:
    """After the signed-in user's own password changed, keep this session (only this one)."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    start_session(user, remember=remembered)
