"""Import runs and the questions an import leaves for a person to answer.

An import question ("needs attention") is a QBO record that may be a local record the import
could not be sure of. It is answered by linking it to a local record or by creating a separate
local record from QBO; either way nothing is written to QuickBooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rq import Queue
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from app.database import DbSession
from app.models import EventOutcome, QboLink, QboObject, RunKind, SyncEvent, SyncRun
from app.qbo.client import QBOClient
from app.qbo.faults import QBOError
from app.sync import importer, linking, matcher, registry
from app.sync.lists import load_tax_rates
from app.sync.matching import Refused, read_into_cache
from app.sync.runs import enqueue_run

__all__ = ["Question", "answer_by_creating", "answer_by_linking", "count_questions",
           "find_question", "questions", "recent_imports", "run_notes", "start_import"]

QBO_ENTITY_OF = {registry.of_qbo(e).name: e
                 for step in registry.IMPORT_STEPS.values() for e in step}
PARTY_STEP = ["clients", "organizations", "associates"]
_FEEDBACK_LIMIT = 200
_QUESTIONS_SHOWN = 500


# ---------------------------------------------------------------- runs


def start_import(session: DbSession, queue: Queue, step: str, *, user_id: int | None,
                 realm_id: str) -> SyncRun:
    """Queue an import of one step ("parties" = clients, organizations and associates).

    Raises QueueUnavailable (the run recorded as failed) when Redis refuses the job.
    """
    steps = PARTY_STEP if step == "parties" else [step]
    importer.steps_from_scope({"steps": steps})  # an unknown step never becomes a run
    return enqueue_run(session, queue, RunKind.IMPORT, {"steps": steps}, user_id=user_id,
                       realm_id=realm_id)


def recent_imports(session: DbSession, limit: int = 5) -> list[SyncRun]:
    """The latest import runs, newest first."""
    return list(session.scalars(select(SyncRun).where(SyncRun.kind == RunKind.IMPORT)
                                .order_by(SyncRun.id.desc()).limit(limit)))


def run_notes(session: DbSession, run: SyncRun) -> list[SyncEvent]:
    """A finished import's rows worth reading: skipped, noted or failed (not already linked)."""
    if not run.status.finished:
        return []
    return list(session.scalars(select(SyncEvent).where(
        SyncEvent.run_id == run.id,
        SyncEvent.outcome.in_([EventOutcome.SKIPPED, EventOutcome.INFO, EventOutcome.FAILED]),
        SyncEvent.action != "already-linked").order_by(SyncEvent.id).limit(_FEEDBACK_LIMIT)))


# ---------------------------------------------------------------- questions


@dataclass
class Question:
    """An import question: a QBO record and the local records it might be."""

    event: SyncEvent
    qbo: QboObject | None
    locals: list[Any]
    noun: str


def _open_questions(realm_id: str | None) -> Select:
    return select(SyncEvent).where(
        SyncEvent.realm_id == realm_id, SyncEvent.action == importer.ATTENTION_ACTION,
        SyncEvent.resolved.is_(False)).order_by(SyncEvent.id)


def count_questions(session: DbSession, realm_id: str | None) -> int:
    """How many import questions of the company are still open."""
    if not realm_id:
        return 0
    return session.scalar(select(func.count()).select_from(
        _open_questions(realm_id).subquery())) or 0


def local_candidates(session: DbSession, event: SyncEvent) -> list[Any]:
    """Unlinked local records the question's QBO record may be (same name, or the one named)."""
    entity_type = event.entity_type or ""
    model: Any
    kind = registry.RECORD_TYPES[entity_type]
    model, column = kind.model, kind.name_column
    name = (event.label or "").removesuffix(" (deleted)")
    conditions = [func.lower(getattr(model, column)) == name.lower()]
    if event.local_id:
        conditions.append(model.id == event.local_id)
    rows = session.scalars(select(model).where(or_(*conditions)).order_by(model.id)).all()
    linked = linking.linked_local_ids(session, event.realm_id or "", entity_type)
    return [r for r in rows if r.id not in linked]


def questions(session: DbSession, realm_id: str) -> list[Question]:
    """The open questions of the company, oldest first, each with its candidates."""
    found = []
    for event in session.scalars(_open_questions(realm_id).limit(_QUESTIONS_SHOWN)):
        qbo = session.scalars(select(QboObject).where(
            QboObject.realm_id == realm_id,
            QboObject.entity == QBO_ENTITY_OF.get(event.entity_type, ""),
            QboObject.qbo_id == event.qbo_id)).first()
        found.append(Question(event, qbo, local_candidates(session, event),
                              event.entity_type.replace("_", " ")))
    return found


def find_question(session: DbSession, event_id: int, realm_id: str) -> SyncEvent | None:
    """The question if it is still open in this company, else None (answered meanwhile)."""
    event = session.get(SyncEvent, event_id)
    if (event is None or event.resolved or event.action != importer.ATTENTION_ACTION
            or event.realm_id != realm_id or event.entity_type not in QBO_ENTITY_OF):
        return None
    return event


def answer_by_linking(session: DbSession, client: QBOClient, event: SyncEvent, local_id: int, *,
                      user_label: str) -> str:
    """Link the question's QBO record to local record ``local_id``; returns what was done."""
    entity_type = event.entity_type or ""
    record = session.get(registry.RECORD_TYPES[entity_type].model, local_id)
    if record is None or record not in local_candidates(session, event):
        raise Refused("That local record cannot be linked here (it is gone or already linked).")
    realm_id = event.realm_id or ""
    try:
        row = read_into_cache(client, session, realm_id, QBO_ENTITY_OF[entity_type],
                              event.qbo_id or "")
        matcher.link_record(session, realm_id, entity_type, record, row,
                            user_label=user_label, allow_inactive=True)
    except QBOError as exc:
        session.rollback()
        raise Refused(f"QuickBooks could not be read: {exc.plain_message()}") from exc
    except matcher.LinkRefused as exc:
        session.rollback()
        raise Refused(str(exc)) from exc
    event.resolved = True
    session.commit()
    return f"“{event.label}” is now linked to the existing local record."


def _create(session: DbSession, client: QBOClient, event: SyncEvent, user_label: str) -> None:
    realm_id = event.realm_id or ""
    entity = QBO_ENTITY_OF[event.entity_type or ""]
    rates = None
    if entity == "TaxCode":
        session.commit()  # no transaction stays open across a call to QuickBooks
        rates = load_tax_rates(client)
    row = read_into_cache(client, session, realm_id, entity, event.qbo_id or "")
    if session.scalars(select(QboLink.id).where(
            QboLink.realm_id == realm_id, QboLink.entity_type == event.entity_type,
            QboLink.qbo_id == str(row["Id"]))).first() is not None:
        raise Refused(f"Nothing was created: “{event.label}” is already linked to a local "
                      "record.")
    linking.create_from_qbo(session, realm_id, entity, row, rates)
    event.resolved = True
    session.add(SyncEvent(realm_id=realm_id, entity_type=event.entity_type, label=event.label,
                          action="import", outcome=EventOutcome.CREATED, qbo_id=event.qbo_id,
                          message=f"Created separately by {user_label}."))
    session.commit()


def answer_by_creating(session: DbSession, client: QBOClient, event: SyncEvent, *,
                       user_label: str) -> str:
    """Create a separate local record from the question's QBO record; returns what was done."""
    try:
        _create(session, client, event, user_label)
    except QBOError as exc:
        session.rollback()
        raise Refused(f"QuickBooks could not be read: {exc.plain_message()}") from exc
    except Refused:
        session.rollback()
        raise
    except (ValueError, SQLAlchemyError) as exc:
        session.rollback()
        message = str(exc) if isinstance(exc, ValueError) else "it could not be saved"
        raise Refused(f"Nothing was created: {message}") from exc
    return f"“{event.label}” was created as a separate local record."
