"""The Fix link: the page where the cause of a failure or a readiness check is fixed.

Sync code and the sync log store what fixes a failure (``app.models.Fix``: a code and the record
it concerns), never an address, so renaming a route changes the link of old log rows too.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, url_for

from app.models import Fix, FixCode
from app.sync.registry import MAPPED_LISTS as LIST_KINDS
from app.web.qbo_push.targets import TARGETS


def _mappings(fix: Fix) -> str | None:
    kind = LIST_KINDS.get(fix.entity_type or "")
    return url_for("qbo_mappings.mappings", _anchor=kind.slug if kind is not None else None)


def _record_page(fix: Fix) -> str | None:
    if fix.entity_type is None or fix.local_id is None:
        return None
    kind = LIST_KINDS.get(fix.entity_type)
    if kind is not None:
        return url_for("catalog.edit", kind=kind.slug, record_id=fix.local_id)
    target = TARGETS.get(fix.entity_type)
    return target.edit_url(fix.local_id) if target is not None else None


def _renumber(fix: Fix) -> str | None:
    if fix.local_id is None:
        return None
    return url_for("invoices.edit", invoice_id=fix.local_id, _anchor="number")


def _match(fix: Fix) -> str | None:
    if fix.entity_type is None or fix.local_id is None:
        return None
    return url_for("qbo_import.match", entity=fix.entity_type, local_id=fix.local_id)


_PAGES: dict[FixCode, Callable[[Fix], str | None]] = {
    FixCode.CONNECT: lambda _: url_for("qbo.connect_page"),
    FixCode.IMPORT_LISTS: lambda _: url_for("qbo_import.index"),
    FixCode.SET_DEFAULTS: lambda _: url_for("qbo_mappings.defaults"),
    FixCode.ADD_EXCHANGE_RATE: lambda _: url_for("qbo_mappings.rates"),
    FixCode.MAP_LIST: _mappings,
    FixCode.EDIT_RECORD: _record_page,
    FixCode.RENUMBER_INVOICE: _renumber,
    FixCode.LINK_EXISTING: _match,
}


def fix_link(fix: Fix | None) -> str | None:
    """The address of the page where ``fix`` is made; None when there is none to offer."""
    if fix is None:
        return None
    return _PAGES[fix.code](fix)


def init_app(app: Flask) -> None:
    """Offer ``fix_link`` to every template."""
    app.jinja_env.globals["fix_link"] = fix_link
