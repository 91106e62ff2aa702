"""Add QBO / QBO Add All / QBO Add Selected, the run progress fragment, the sync log."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db, get_queue
from app.models import ConnectionStatus, EventOutcome, QboLink, RunKind, SyncEvent, SyncRun
from app.permissions import can_admin_qbo, qbo_admin_required, qbo_self_push_required
from app.qbo.connection import current_connection
from app.sync import matcher
from app.sync.liveness import settle
from app.sync.runs import QueueUnavailable, enqueue_run, open_failure
from app.sync.selection import Selection
from app.web.forms import MAX_ID
from app.web.listing import paginate
from app.web.qbo_import.live import ask_qbo_live
from app.web.qbo_push.targets import TARGETS, PushTarget
from app.web.runs import queue_unavailable

bp = Blueprint("qbo_push", __name__)

LOG_SORTS = {"time": SyncEvent.id}
MAX_BADGES = 25  # a record page's run has one root; a selection's rows refresh as a listing


def _respond(run: SyncRun) -> ResponseReturnValue:
    """The progress fragment for HTMX, the run page otherwise."""
    if request.headers.get("HX-Request"):
        return render_template("qbo/_run.html", run=run)
    return redirect(url_for(".run_page", run_id=run.id))


def _start(records: list[tuple[str, int]] | Selection, description: str,
           **extra: Any) -> ResponseReturnValue:
    """Enqueue a push of single records or of a listing's selection (kept as its filter)."""
    connection = current_connection(db.session)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        message = ("QuickBooks is not connected." if connection is None
                   else "QuickBooks needs to be reconnected before anything can be copied.")
        if request.headers.get("HX-Request"):
            return render_template("qbo/_notice.html", level="danger", message=message,
                                   link=url_for("qbo.connect_page"),
                                   link_text="Connect to QuickBooks" if connection is None
                                   else "Reconnect to QuickBooks")
        flash(message, "danger")
        return redirect(request.referrer or url_for("main.dashboard"))
    if isinstance(records, Selection):
        count = records.count(db.session)
        scope: dict[str, Any] = {"selection": records.to_scope(), "count": count}
    else:
        count = len(records)
        scope = {"records": [list(r) for r in records]}
    if not count:
        message = f"Nothing to copy: {description} is empty."
        if request.headers.get("HX-Request"):
            return render_template("qbo/_notice.html", level="warning", message=message)
        flash(message, "warning")
        return redirect(request.referrer or url_for("main.dashboard"))
    try:
        run = enqueue_run(db.session, get_queue(), RunKind.PUSH,
                          {**scope, **extra, "description": description},
                          user_id=current_user.id, realm_id=connection.realm_id,
                          dry_run=request.form.get("dry_run") == "1", total=count)
    except QueueUnavailable as exc:
        return queue_unavailable(exc, request.referrer or url_for("main.dashboard"))
    return _respond(run)


def _target(entity: str, self_service: bool) -> PushTarget:
    target = TARGETS.get(entity)
    if target is None or target.self_service != self_service:
        abort(404)
    return target


@bp.post("/admin/qbo/push/<entity>/<int:local_id>")
@qbo_admin_required
def push_record(entity: str, local_id: int) -> ResponseReturnValue:
    """Add QBO on one record (with its dependencies)."""
    target = _target(entity, self_service=False)
    model = _model(target)
    record: Any = db.session.get(model, local_id) or abort(404)
    extra: dict[str, Any] = {}
    if target.matchable:
        if not request.args.get("skip_match"):
            prompt = _match_prompt(target, record)
            if prompt is not None:
                return prompt
        else:  # "None of these: create it": the person has seen QBO's likely twins
            extra["create_anyway"] = [[entity, record.id]]
    return _start([(entity, record.id)], target.record.label(record), **extra)


def _match_prompt(target: PushTarget, record: Any) -> Response | str | None:
    """Before creating a party, offer the QBO records that may be the same one ("Next")."""
    connection = current_connection(db.session)
    if connection is None:
        return None
    realm = connection.realm_id
    linked = db.session.scalar(select(QboLink.id).where(
        QboLink.realm_id == realm, QboLink.entity_type == target.entity_type,
        QboLink.local_id == record.id))
    if linked is not None:
        return None
    ask_qbo_live(connection, target.entity_type, record)
    found = matcher.candidates(db.session, realm, target.entity_type, record)
    if not found:
        return None
    if not request.headers.get("HX-Request"):
        return redirect(url_for("qbo_import.match", entity=target.entity_type,
                                local_id=record.id))
    return render_template("qbo/_match_prompt.html", target=target, record=record,
                           candidates=found)


@bp.post("/admin/qbo/push/<entity>")
@qbo_admin_required
def push_many(entity: str) -> ResponseReturnValue:
    """QBO Add Selected (``ids`` in the form) or QBO Add All (the listing's current filter)."""
    target = _target(entity, self_service=False)
    return _bulk(target, f"the {target.noun} selection")


@bp.post("/my/qbo/push/<entity>")
@qbo_self_push_required
def push_mine(entity: str) -> ResponseReturnValue:
    """An associate copies their own entries (selected, or all that the filter shows)."""
    target = _target(entity, self_service=True)
    return _bulk(target, f"your {target.noun} selection")


def _bulk(target: PushTarget, description: str) -> ResponseReturnValue:
    """A listing's copy starts only once confirmed for the very number it would copy.

    The first press answers with "Copy N records?" (N counted from the same selection the copy
    uses) and a button that posts N back with the selection; the confirmed copy is bounded by
    what existed at the question, and if its number changed anyway it asks again.
    """
    selection = _chosen(target)
    upto = request.form.get("upto", type=int)
    if upto is not None and selection.upto_id is not None:
        selection = replace(selection, upto_id=min(upto, selection.upto_id))
    count = selection.count(db.session)
    if count and request.form.get("confirm", type=int) != count:
        return _confirm(target, selection, count)
    return _start(selection, description)


def _confirm(target: PushTarget, selection: Selection, count: int) -> str:
    selected = selection.ids is not None
    fields: list[tuple[str, Any]] = [("selection", "selected" if selected else "all"),
                                     ("confirm", count), *selection.values.items()]
    if selection.upto_id is not None:
        fields.append(("upto", selection.upto_id))
    fields += [("ids", local_id) for local_id in selection.ids or ()]
    if request.form.get("dry_run") == "1":
        fields.append(("dry_run", "1"))
    noun = target.noun if count == 1 else _plural(target.noun)
    context = {"count": count, "noun": noun, "selected": selected,
               "changed": request.form.get("confirm") is not None, "fields": fields,
               "action": url_for(request.endpoint or "", entity=target.entity_type)}
    if request.headers.get("HX-Request"):
        return render_template("qbo/_confirm.html", **context)
    back = request.referrer if (request.referrer or "").startswith(request.host_url) else None
    return render_template("qbo/confirm.html", back=back, **context)


def _plural(noun: str) -> str:
    """client -> clients, hours entry -> hours entries."""
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


@bp.post("/my/qbo/push/<entity>/<int:local_id>")
@qbo_self_push_required
def push_mine_one(entity: str, local_id: int) -> ResponseReturnValue:
    """An associate copies one of their own entries; anyone else's is not found."""
    target = _target(entity, self_service=True)
    record = db.session.get(_model(target), local_id)
    if record is None or record.associate_id != current_user.id:
        abort(404)
    return _start([(entity, record.id)], f"your {target.noun}")


def _model(target: PushTarget) -> type:
    return target.record.model


def _chosen(target: PushTarget) -> Selection:
    """Ticked ids (only those the listing would show) or everything the listing's filter shows."""
    ids = ([i for i in request.form.getlist("ids", type=int) if 0 < i <= MAX_ID]
           if request.form.get("selection") == "selected" else None)
    owner = current_user.id if target.self_service else None
    return Selection.of(db.session, target.entity_type, request.values, ids=ids, owner_id=owner)


@bp.get("/admin/qbo/runs/<int:run_id>")
@qbo_self_push_required
def run_page(run_id: int) -> str:
    """A run's live progress, then its feedback (own runs only for associates)."""
    run = db.session.get(SyncRun, run_id) or abort(404)
    settle(db.session, get_queue, run, current_app.config["RUN_DEAD_SECONDS"])
    if not can_admin_qbo() and run.requested_by_id != current_user.id:
        abort(404)
    if request.headers.get("HX-Request"):
        return render_template("qbo/_run.html", run=run, badges=_run_badges(run))
    return render_template("qbo/run.html", run=run)


def _run_badges(run: SyncRun) -> list[tuple[str, Any]]:
    """The records a finished push was started on (a record page's run), for their badges."""
    if not run.status.finished or run.kind != RunKind.PUSH or run.dry_run:
        return []
    from app.sync.push import scope_roots

    roots = [(t, i) for t, i in scope_roots(run.scope or {}) if t in TARGETS][:MAX_BADGES]
    found = [(t, db.session.get(TARGETS[t].record.model, i)) for t, i in roots]
    return [(t, record) for t, record in found if record is not None]


@bp.get("/admin/qbo/log")
@qbo_admin_required
def sync_log() -> str:
    """Every attempt, newest first; filter failures, entity, run."""
    stmt = select(SyncEvent)
    filters: dict[str, str] = {}
    outcome = request.args.get("outcome", "")
    if outcome in {o.value for o in EventOutcome}:
        stmt = stmt.where(SyncEvent.outcome == EventOutcome(outcome))
        filters["outcome"] = outcome
    if request.args.get("open") == "1":
        stmt = stmt.where(open_failure())
        filters["open"] = "1"
    entity = request.args.get("entity", "")
    if entity:
        stmt = stmt.where(SyncEvent.entity_type == entity)
        filters["entity"] = entity
    run_id = request.args.get("run", type=int)
    if run_id:
        stmt = stmt.where(SyncEvent.run_id == run_id)
        filters["run"] = str(run_id)
    page = paginate(stmt, search=[SyncEvent.label, SyncEvent.message, SyncEvent.qbo_id],
                    sorts=LOG_SORTS, default_sort="time", default_direction="desc",
                    filters=filters)
    template = ("qbo/_log_table.html" if request.headers.get("HX-Target") == "listing"
                else "qbo/log.html")
    return render_template(template, page=page, targets=TARGETS, outcomes=list(EventOutcome))


@bp.post("/admin/qbo/events/<int:event_id>/retry")
@qbo_admin_required
def retry(event_id: int) -> ResponseReturnValue:
    """Copy a failed record again (exactly once: an unknown earlier outcome is checked first)."""
    event = db.session.get(SyncEvent, event_id) or abort(404)
    if event.entity_type is None or event.local_id is None:
        abort(404)
    for older in db.session.scalars(select(SyncEvent).where(
            SyncEvent.entity_type == event.entity_type, SyncEvent.local_id == event.local_id,
            SyncEvent.outcome == EventOutcome.FAILED, SyncEvent.resolved.is_(False))):
        older.resolved = True
    db.session.commit()
    current_app.logger.info("Retry of %s %s requested", event.entity_type, event.local_id)
    return _start([(event.entity_type, event.local_id)], f"retry of {event.label}")
