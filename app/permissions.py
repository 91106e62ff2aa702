"""Who may do what: predicates used by route decorators and templates alike."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g
from flask_login import current_user, login_required

from app.models import CompanySettings

F = TypeVar("F", bound=Callable[..., Any])


def company_settings() -> CompanySettings:
    """The settings row, loaded once per request."""
    if "company_settings" not in g:
        g.company_settings = CompanySettings.load()
    return g.company_settings


def qbo_enabled() -> bool:
    """True when the owner turned the QuickBooks integration on."""
    return company_settings().qbo_enabled


def is_owner(user: Any = None) -> bool:
    """A logged-in Company Owner."""
    user = user or current_user
    return bool(user.is_authenticated and user.is_owner)


def is_manager(user: Any = None) -> bool:
    """Owners and QBO admins run the office: clients, invoices, vendors, lists."""
    user = user or current_user
    return bool(user.is_authenticated and (user.is_owner or user.is_qbo_admin))


def can_admin_qbo(user: Any = None) -> bool:
    """QBO commands: integration on, and the user is an owner or has the QBO Admin flag."""
    user = user or current_user
    return bool(
        user.is_authenticated and qbo_enabled() and (user.is_owner or user.is_qbo_admin)
    )


def can_self_push(user: Any = None) -> bool:
    """An associate may copy their own entries when the owner allows it."""
    user = user or current_user
    if not (user.is_authenticated and qbo_enabled()):
        return False
    return can_admin_qbo(user) or company_settings().associates_self_push


def _guard(level: str, allowed: Callable[[], bool], *, hidden: bool = False) -> Callable[[F], F]:
    """Build a decorator that logs in, then answers 403 (or 404 when hidden) if not allowed."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not allowed():
                abort(404 if hidden else 403)
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        guarded.access_level = level
        return cast(F, guarded)

    return decorator


def _qbo_guard(level: str, allowed: Callable[[], bool]) -> Callable[[F], F]:
    """QBO routes do not exist at all while the integration is off."""

    def check() -> bool:
        if not qbo_enabled():
            abort(404)
        return allowed()

    return _guard(level, check)


signed_in = _guard("login", lambda: True)
manager_required = _guard("manager", is_manager)
owner_required = _guard("owner", is_owner)
qbo_admin_required = _qbo_guard("qbo_admin", can_admin_qbo)
qbo_owner_required = _qbo_guard("qbo_owner", lambda: can_admin_qbo() and is_owner())
qbo_self_push_required = _qbo_guard("qbo_self_push", can_self_push)


def public(view: F) -> F:
    """Mark a route as reachable without logging in."""
    view.access_level = "public"  # type: ignore[attr-defined]
    return view


def template_globals() -> dict[str, Callable[..., Any]]:
    """The same predicates, for templates."""
    return {
        "is_owner": is_owner,
        "is_manager": is_manager,
        "can_admin_qbo": can_admin_qbo,
        "can_self_push": can_self_push,
        "qbo_enabled": qbo_enabled,
        "company_settings": company_settings,
    }
