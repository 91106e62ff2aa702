"""Match and link: is this client, organization or associate already in QuickBooks?"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import QboConnection, RunKind, SyncRun
from app.permissions import qbo_admin_required
from app.sync import matcher, registry
from app.sync.matching import MatchView, Refused, link_from_qbo, match_view
from app.web.qbo_import.common import (
    MATCH_PREFIX,
    bp,
    client_factory,
    connected,
    not_connected_message,
    open_client,
)
from app.web.qbo_import.forms import LinkForm

ENTITY_NOUNS = {name: kind.noun for name, kind in registry.MATCHABLE.items()}


def matchable(entity: str, local_id: int) -> tuple[Any, str]:
    """The local party and its QBO entity; 404 for anything that cannot be matched."""
    if entity not in registry.MATCHABLE:
        abort(404)
    record = matcher.record_for(db.session, entity, local_id) or abort(404)
    return record, registry.MATCHABLE[entity].qbo_entity


def _create_url(entity: str, local_id: int) -> str | None:
    try:
        return url_for("qbo_push.push_record", entity=entity, local_id=local_id, skip_match=1)
    except BuildError:
        return None


def match_context(entity: str, record: Any, connection: QboConnection | None, *,
                  ask_live: bool = True) -> dict[str, Any]:
    """What the match page and its refreshed candidate list render."""
    view = MatchView()
    if connection is not None:
        view = match_view(db.session, client_factory(connection), connection, entity, record,
                          ask_live=ask_live)
    return {"record": record, "entity": entity, "qbo_entity": registry.MATCHABLE[entity].qbo_entity,
            "connection": connection, "noun": ENTITY_NOUNS[entity], "view": view,
            "link": view.link, "create_url": _create_url(entity, record.id),
            "not_connected": None if connection else not_connected_message()}


def _refresh_run(entity: str, record: Any) -> SyncRun | None:
    """The list refresh this page was asked for (``?refresh=<run id>``), if it is one."""
    run_id = request.args.get("refresh", type=int)
    run = db.session.get(SyncRun, run_id) if run_id else None
    if run is None or run.kind != RunKind.REFRESH:
        return None
    return run if (run.scope or {}).get("match") == [entity, record.id] else None


@bp.get(f"{MATCH_PREFIX}/<entity>/<int:local_id>")
@qbo_admin_required
def match(entity: str, local_id: int) -> str:
    """QBO records that may be this client, organization or associate, best first."""
    record, _qbo_entity = matchable(entity, local_id)
    context = match_context(entity, record, connected())
    return render_template("qbo_import/match.html", refresh_run=_refresh_run(entity, record),
                           **context)


@bp.post(f"{MATCH_PREFIX}/<entity>/<int:local_id>/link")
@qbo_admin_required
def match_link(entity: str, local_id: int) -> Response:
    """Link the record to the chosen QBO record; nothing is written to QBO."""
    record, _qbo_entity = matchable(entity, local_id)
    back = url_for(".match", entity=entity, local_id=record.id)
    connection = connected()
    form = LinkForm()
    if connection is None:
        flash(not_connected_message(), "danger")
    elif not form.validate_on_submit():
        flash("Choose the QuickBooks record to link.", "danger")
    else:
        try:
            with open_client(connection) as client:
                flash(link_from_qbo(db.session, client, connection.realm_id, entity, record,
                                    form.qbo_id.data, user_label=current_user.display_name),
                      "success")
        except Refused as exc:
            flash(str(exc), "danger")
    return redirect(back)
