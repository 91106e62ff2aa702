"""Refreshing a cached QuickBooks list: a queued run whose progress the page follows."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db, get_queue
from app.models import RunKind, SyncRun
from app.permissions import qbo_admin_required
from app.sync import matcher, registry
from app.sync.list_refresh import start_list_refresh
from app.sync.lists import LIST_ENTITIES
from app.sync.liveness import settle
from app.sync.runs import QueueUnavailable
from app.web.qbo_import.common import MATCH_PREFIX, PREFIX, bp, connected, not_connected_message
from app.web.qbo_import.matching import match_context, matchable
from app.web.records import is_htmx
from app.web.runs import queue_unavailable


@bp.post(f"{MATCH_PREFIX}/<entity>/<int:local_id>/refresh")
@qbo_admin_required
def match_refresh(entity: str, local_id: int) -> Response | str | tuple[str, int]:
    """Queue a refresh of the cached QBO list this page matches against."""
    record, qbo_entity = matchable(entity, local_id)
    back = url_for(".match", entity=entity, local_id=record.id)
    connection = connected()
    if connection is None:
        flash(not_connected_message(), "danger")
        return redirect(back)
    try:
        run = start_list_refresh(db.session, get_queue(), [qbo_entity], user_id=current_user.id,
                                 realm_id=connection.realm_id,
                                 extra={"match": [entity, record.id]})
    except QueueUnavailable as exc:
        return queue_unavailable(exc, back)
    if is_htmx():
        return render_template("qbo_import/_refresh.html", run=run)
    return redirect(url_for(".match", entity=entity, local_id=record.id, refresh=run.id))


def _same_site(url: str | None) -> str | None:
    """The address when it is a page of this site (never send anyone elsewhere)."""
    return url if url and url.startswith(request.host_url) else None


@bp.post(f"{PREFIX}/refresh")
@qbo_admin_required
def refresh_lists() -> Response | str | tuple[str, int]:
    """Queue a refresh of the cached QBO lists the mappings choose from (accounts, items, ...)."""
    back = _same_site(request.referrer) or url_for("qbo_mappings.mappings")
    connection = connected()
    if connection is None:
        flash(not_connected_message(), "danger")
        return redirect(back)
    try:
        run = start_list_refresh(db.session, get_queue(), LIST_ENTITIES, user_id=current_user.id,
                                 realm_id=connection.realm_id)
    except QueueUnavailable as exc:
        return queue_unavailable(exc, back)
    if is_htmx():
        return render_template("qbo_import/_refresh.html", run=run)
    return redirect(url_for(".refresh_page", run_id=run.id))


def _matched_record(run: SyncRun) -> tuple[str, Any] | None:
    """The party whose match page started the refresh, when it still exists."""
    entity, local_id = ((run.scope or {}).get("match") or [None, None])[:2]
    if entity not in registry.MATCHABLE or not isinstance(local_id, int):
        return None
    record = matcher.record_for(db.session, entity, local_id)
    return (entity, record) if record is not None else None


@bp.get(f"{PREFIX}/refreshes/<int:run_id>")
@qbo_admin_required
def refresh_page(run_id: int) -> Response | str:
    """A list refresh: its progress fragment for HTMX polling, the page otherwise.

    When it ends on a match page, that page's candidates are swapped in again from the
    refreshed list.
    """
    run = db.session.get(SyncRun, run_id) or abort(404)
    settle(db.session, get_queue, run, current_app.config["RUN_DEAD_SECONDS"])
    if run.kind != RunKind.REFRESH:
        return redirect(url_for(".run_page", run_id=run.id))
    matched = _matched_record(run)
    if not is_htmx():
        return render_template("qbo_import/refresh.html", run=run, matched=matched)
    context: dict[str, Any] = {}
    if run.status.finished and matched is not None:
        context = match_context(*matched, connected(), ask_live=False)
    return render_template("qbo_import/_refresh.html", run=run, oob_match=bool(context),
                           reload_url=_same_site(request.headers.get("HX-Current-URL")),
                           **context)
