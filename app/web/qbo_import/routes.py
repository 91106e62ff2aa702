"""Import from QuickBooks, the "needs attention" questions and match & link."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from app.extensions import db, get_queue, get_redis
from app.models import (
    ConnectionStatus,
    EventOutcome,
    QboConnection,
    QboLink,
    QboObject,
    RunKind,
    SyncEvent,
    SyncRun,
)
from app.permissions import qbo_admin_required
from app.qbo.client import QBOClient
from app.qbo.connection import client_for, current_connection
from app.qbo.faults import QBOError
from app.sync import importer, linking, matcher, registry
from app.sync.lists import cache_age, load_tax_rates, refresh_lists, store_page
from app.sync.liveness import settle
from app.sync.runs import QueueUnavailable, enqueue_run
from app.web.qbo_import.follow_ups import follow_up_counts
from app.web.qbo_import.follow_ups import register as register_follow_ups
from app.web.qbo_import.forms import AttentionLinkForm, LinkForm, StartImportForm
from app.web.qbo_import.live import ask_qbo_live
from app.web.records import is_htmx
from app.web.runs import queue_unavailable

log = logging.getLogger(__name__)
bp = Blueprint("qbo_import", __name__)
PREFIX = "/admin/qbo/import"
MATCH_PREFIX = "/admin/qbo/match"
QBO_ENTITY_OF = {registry.of_qbo(e).name: e for step in importer.STEPS.values() for e in step}
ENTITY_NOUNS = {name: kind.noun for name, kind in registry.MATCHABLE.items()}
_FEEDBACK_LIMIT = 200


def _connected() -> QboConnection | None:
    connection = current_connection(db.session)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return None
    return connection


def _not_connected_message() -> str:
    connection = current_connection(db.session)
    if connection is None:
        return "QuickBooks is not connected: connect it first (QuickBooks Online Connect)."
    return "QuickBooks needs to be reconnected first (QuickBooks Online Connect)."


def _client(connection: QboConnection) -> QBOClient:
    return client_for(current_app.config, db.engine, get_redis(), connection.realm_id)


def _back(endpoint: str = ".index", **values: Any) -> Response:
    return redirect(url_for(endpoint, **values))


# ---------------------------------------------------------------- import page and runs


def _open_questions(realm_id: str | None) -> Select:
    return select(SyncEvent).where(
        SyncEvent.realm_id == realm_id, SyncEvent.action == importer.ATTENTION_ACTION,
        SyncEvent.resolved.is_(False)).order_by(SyncEvent.id)


@bp.get(f"{PREFIX}/")
@qbo_admin_required
def index() -> str:
    """Admin -> QuickBooks Online Settings -> Import."""
    connection = _connected()
    runs = db.session.scalars(select(SyncRun).where(SyncRun.kind == RunKind.IMPORT)
                              .order_by(SyncRun.id.desc()).limit(5)).all()
    status = _page_status()
    return render_template("qbo_import/import.html", connection=connection, runs=runs,
                           questions=status["questions"], follow_up_counts=status["counts"],
                           labels=importer.STEP_LABELS, form=StartImportForm(),
                           not_connected=None if connection else _not_connected_message())


@bp.post(f"{PREFIX}/start")
@qbo_admin_required
def start() -> Response | str:
    """Start an import run (RQ job); answers with the live progress fragment."""
    form = StartImportForm()
    if not form.validate_on_submit():
        flash("Choose which import to run.", "danger")
        return _back()
    connection = _connected()
    if connection is None:
        flash(_not_connected_message(), "danger")
        return _back()
    step = form.step.data
    steps = ["clients", "organizations", "associates"] if step == "parties" else [step]
    try:
        run = enqueue_run(db.session, get_queue(), RunKind.IMPORT, {"steps": steps},
                          user_id=current_user.id, realm_id=connection.realm_id)
    except QueueUnavailable as exc:
        return queue_unavailable(exc, url_for(".index"))
    if is_htmx():
        return render_template("qbo_import/_run.html", **_run_context(run))
    return _back(".run_page", run_id=run.id)


def _run_context(run: SyncRun) -> dict[str, Any]:
    notes = []
    if run.status.finished:
        notes = db.session.scalars(select(SyncEvent).where(
            SyncEvent.run_id == run.id,
            SyncEvent.outcome.in_([EventOutcome.SKIPPED, EventOutcome.INFO,
                                   EventOutcome.FAILED]),
            SyncEvent.action != "already-linked").order_by(SyncEvent.id)
            .limit(_FEEDBACK_LIMIT)).all()
    return {"run": run, "notes": notes, "labels": importer.ENTITY_LABELS,
            "buckets": importer.BUCKETS}


@bp.get(f"{PREFIX}/runs/<int:run_id>")
@qbo_admin_required
def run_page(run_id: int) -> Response | str:
    """An import run: the progress fragment for HTMX polling, the page otherwise."""
    run = db.session.get(SyncRun, run_id) or abort(404)
    settle(db.session, get_queue, run, current_app.config["RUN_DEAD_SECONDS"])
    if run.kind != RunKind.IMPORT:
        return redirect(url_for("qbo_push.run_page", run_id=run.id))
    if is_htmx():
        return render_template("qbo_import/_run.html", **_run_context(run),
                               page_status=_page_status() if run.status.finished else None)
    return render_template("qbo_import/run.html", **_run_context(run))


def _page_status() -> dict[str, Any]:
    """The import page's counts as they are now (swapped in when a run ends)."""
    connection = _connected()
    realm = connection.realm_id if connection else None
    questions = db.session.scalar(select(func.count()).select_from(
        _open_questions(realm).subquery())) if realm else 0
    return {"connection": connection, "questions": questions, "counts": follow_up_counts()}


# ---------------------------------------------------------------- needs attention


@dataclass
class Question:
    """An import question: a QBO record and the local records it might be."""

    event: SyncEvent
    qbo: QboObject | None
    locals: list[Any]
    noun: str


def _local_candidates(event: SyncEvent) -> list[Any]:
    kind = registry.RECORD_TYPES[event.entity_type]
    model, column = kind.model, kind.name_column
    name = (event.label or "").removesuffix(" (deleted)")
    conditions = [func.lower(getattr(model, column)) == name.lower()]
    if event.local_id:
        conditions.append(model.id == event.local_id)
    rows = db.session.scalars(select(model).where(or_(*conditions)).order_by(model.id)).all()
    linked = linking.linked_local_ids(db.session, event.realm_id or "", event.entity_type)
    return [r for r in rows if r.id not in linked]


@bp.get(f"{PREFIX}/attention")
@qbo_admin_required
def attention() -> str:
    """Import questions a person decides: link to a local record, or create separately."""
    connection = _connected()
    questions = []
    if connection is not None:
        for event in db.session.scalars(_open_questions(connection.realm_id).limit(500)):
            qbo = db.session.scalars(select(QboObject).where(
                QboObject.realm_id == connection.realm_id,
                QboObject.entity == QBO_ENTITY_OF.get(event.entity_type, ""),
                QboObject.qbo_id == event.qbo_id)).first()
            questions.append(Question(event, qbo, _local_candidates(event),
                                      event.entity_type.replace("_", " ")))
    return render_template("qbo_import/attention.html", questions=questions,
                           connection=connection,
                           not_connected=None if connection else _not_connected_message())


def _open_question(event_id: int) -> tuple[SyncEvent, QboConnection] | None:
    event = db.session.get(SyncEvent, event_id)
    connection = _connected()
    if connection is None:
        flash(_not_connected_message(), "danger")
        return None
    if (event is None or event.resolved or event.action != importer.ATTENTION_ACTION
            or event.realm_id != connection.realm_id or event.entity_type not in QBO_ENTITY_OF):
        flash("That question was already answered.", "info")
        return None
    return event, connection


def _read_qbo(connection: QboConnection, entity: str, qbo_id: str) -> dict[str, Any]:
    realm_id = connection.realm_id
    db.session.commit()  # no transaction stays open across a call to QuickBooks
    with client_for(current_app.config, db.engine, get_redis(), realm_id) as client:
        row = client.read(entity, qbo_id)
        store_page(db.session, realm_id, entity, [row])
    return row


@bp.post(f"{PREFIX}/attention/<int:event_id>/link")
@qbo_admin_required
def attention_link(event_id: int) -> Response:
    """Answer an import question by linking the QBO record to a local one."""
    found = _open_question(event_id)
    if found is None:
        return _back(".attention")
    event, connection = found
    form = AttentionLinkForm()
    if not form.validate_on_submit():
        flash("Choose the local record to link.", "danger")
        return _back(".attention")
    model = registry.RECORD_TYPES[event.entity_type].model
    record = db.session.get(model, int(form.local_id.data))
    if record is None or record not in _local_candidates(event):
        flash("That local record cannot be linked here (it is gone or already linked).",
              "danger")
        return _back(".attention")
    try:
        row = _read_qbo(connection, QBO_ENTITY_OF[event.entity_type], event.qbo_id or "")
        matcher.link_record(db.session, connection.realm_id, event.entity_type, record, row,
                            user_label=current_user.display_name, allow_inactive=True)
    except QBOError as exc:
        db.session.rollback()
        flash(f"QuickBooks could not be read: {exc.plain_message()}", "danger")
        return _back(".attention")
    except matcher.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _back(".attention")
    event.resolved = True
    db.session.commit()
    flash(f"“{event.label}” is now linked to the existing local record.", "success")
    return _back(".attention")


@bp.post(f"{PREFIX}/attention/<int:event_id>/create")
@qbo_admin_required
def attention_create(event_id: int) -> Response:
    """Answer an import question by creating a separate local record from QBO."""
    found = _open_question(event_id)
    if found is None:
        return _back(".attention")
    event, connection = found
    entity = QBO_ENTITY_OF[event.entity_type]
    try:
        row = _read_qbo(connection, entity, event.qbo_id or "")
        if db.session.scalars(select(QboLink.id).where(
                QboLink.realm_id == connection.realm_id,
                QboLink.entity_type == event.entity_type,
                QboLink.qbo_id == str(row["Id"]))).first() is not None:
            raise ValueError(f"“{event.label}” is already linked to a local record.")
        rates = None
        if entity == "TaxCode":
            with _client(connection) as client:
                rates = load_tax_rates(client)
        linking.create_from_qbo(db.session, connection.realm_id, entity, row, rates)
        event.resolved = True
        db.session.add(SyncEvent(realm_id=connection.realm_id, entity_type=event.entity_type,
                                 label=event.label, action="import",
                                 outcome=EventOutcome.CREATED, qbo_id=event.qbo_id,
                                 message="Created separately by "
                                 f"{current_user.display_name}."))
        db.session.commit()
    except QBOError as exc:
        db.session.rollback()
        flash(f"QuickBooks could not be read: {exc.plain_message()}", "danger")
        return _back(".attention")
    except (ValueError, SQLAlchemyError) as exc:
        db.session.rollback()
        message = str(exc) if isinstance(exc, ValueError) else "it could not be saved"
        flash(f"Nothing was created: {message}", "danger")
        return _back(".attention")
    flash(f"“{event.label}” was created as a separate local record.", "success")
    return _back(".attention")


# ---------------------------------------------------------------- match and link


def _matchable(entity: str, local_id: int) -> tuple[Any, str]:
    if entity not in registry.MATCHABLE:
        abort(404)
    record = matcher.record_for(db.session, entity, local_id) or abort(404)
    return record, registry.MATCHABLE[entity].qbo_entity


def _create_url(entity: str, local_id: int) -> str | None:
    try:
        return url_for("qbo_push.push_record", entity=entity, local_id=local_id, skip_match=1)
    except BuildError:
        return None


@bp.get(f"{MATCH_PREFIX}/<entity>/<int:local_id>")
@qbo_admin_required
def match(entity: str, local_id: int) -> str:
    """QBO records that may be this client, organization or associate, best first."""
    record, qbo_entity = _matchable(entity, local_id)
    connection = _connected()
    context: dict[str, Any] = {
        "record": record, "entity": entity, "qbo_entity": qbo_entity, "connection": connection,
        "noun": ENTITY_NOUNS[entity], "create_url": _create_url(entity, local_id),
        "not_connected": None if connection else _not_connected_message(),
        "candidates": [], "conflicts": [], "age": None, "link": None, "linked_names": {},
        "live_note": None,
    }
    if connection is not None:
        realm = connection.realm_id
        context["link"] = db.session.scalars(select(QboLink).where(
            QboLink.realm_id == realm, QboLink.entity_type == entity,
            QboLink.local_id == record.id)).first()
        if context["link"] is None or context["link"].qbo_id is None:
            # Ask QBO itself: a party typed into QBO after the last import is not cached.
            context["live_note"] = ask_qbo_live(connection, entity, record)
        context["age"] = cache_age(db.session, realm, qbo_entity)
        context["candidates"] = matcher.candidates(db.session, realm, entity, record)
        context["conflicts"] = matcher.name_conflicts(db.session, realm, entity, record)
        model = registry.MATCHABLE[entity].model
        owners = [c.linked_local_id for c in context["candidates"] if c.linked_local_id]
        context["linked_names"] = {
            r.id: getattr(r, "display_name", None) or r.name
            for r in db.session.scalars(select(model).where(model.id.in_(owners)))
        } if owners else {}
    return render_template("qbo_import/match.html", **context)


@bp.post(f"{MATCH_PREFIX}/<entity>/<int:local_id>/refresh")
@qbo_admin_required
def match_refresh(entity: str, local_id: int) -> Response:
    """Refresh the cached QBO list this page matches against (a few query pages)."""
    record, qbo_entity = _matchable(entity, local_id)
    connection = _connected()
    if connection is None:
        flash(_not_connected_message(), "danger")
        return _back(".match", entity=entity, local_id=record.id)
    try:
        with _client(connection) as client:
            counts = refresh_lists(client, db.session, connection.realm_id, [qbo_entity])
    except QBOError as exc:
        db.session.rollback()
        flash(f"QuickBooks could not be read: {exc.plain_message()}", "danger")
        return _back(".match", entity=entity, local_id=record.id)
    flash(f"Refreshed from QuickBooks: {counts.get(qbo_entity, 0)} "
          f"{qbo_entity.lower()} records.", "success")
    return _back(".match", entity=entity, local_id=record.id)


@bp.post(f"{MATCH_PREFIX}/<entity>/<int:local_id>/link")
@qbo_admin_required
def match_link(entity: str, local_id: int) -> Response:
    """Link the record to the chosen QBO record; nothing is written to QBO."""
    record, qbo_entity = _matchable(entity, local_id)
    back = url_for(".match", entity=entity, local_id=record.id)
    connection = _connected()
    if connection is None:
        flash(_not_connected_message(), "danger")
        return redirect(back)
    form = LinkForm()
    if not form.validate_on_submit():
        flash("Choose the QuickBooks record to link.", "danger")
        return redirect(back)
    try:
        row = _read_qbo(connection, qbo_entity, form.qbo_id.data)
        matcher.link_record(db.session, connection.realm_id, entity, record, row,
                            user_label=current_user.display_name)
    except QBOError as exc:
        db.session.rollback()
        flash(f"QuickBooks record #{form.qbo_id.data} could not be read: "
              f"{exc.plain_message()}", "danger")
        return redirect(back)
    except matcher.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(back)
    name = row.get("DisplayName") or form.qbo_id.data
    flash(f"Linked to QuickBooks record “{name}” (#{row['Id']}). Nothing was written to "
          "QuickBooks.", "success")
    return redirect(back)


register_follow_ups(bp, PREFIX)
