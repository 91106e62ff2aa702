"""Add QBO: copy records and their dependencies to QuickBooks exactly once, in batches.

For every run: plan the dependency closure of the scope, then go layer by layer (lists, then
parties, then transactions). Before a write the intended requestid is committed to the link row
(the outbox) and transactions carry a marker built from it; a record whose earlier write had an
unknown outcome is first looked for in QBO, so nothing is ever created twice. One push per
company runs at a time (``locks``), so overlapping runs cannot copy a record twice either.

This module is the run handler; the engine and its parts are in ``engine``.
"""

from __future__ import annotations

from app.models import EventOutcome
from app.sync.context import RunContext
from app.sync.engine import PushEngine
from app.sync.entities import Key
from app.sync.locks import LockLost, RealmLock
from app.sync.plan import Node, Plan, build_plan, scope_roots
from app.sync.refs import RunRefs
from app.sync.selection import Selection

__all__ = ["LockLost", "Node", "Plan", "PushEngine", "RealmLock", "RunRefs", "build_plan",
           "run_push", "scope_roots"]


def run_push(ctx: RunContext) -> None:
    """Handler for push runs (``jobs.execute_run``)."""
    realm_id = ctx.realm_id()
    lock = RealmLock(ctx.redis, "push", realm_id, int(ctx.config["QBO_PUSH_LOCK_SECONDS"]))
    lock.acquire(waiting=lambda: ctx.progress.current("Waiting for another QuickBooks run to "
                                                      "finish"))
    # Holding the realm lock, this run is the only writer of the rows it reads: keeping them
    # loaded across its many small commits saves reloading every record after each one.
    session = ctx.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        if "selection" in ctx.run.scope:
            _push_selection(ctx, realm_id, lock, Selection.from_scope(ctx.run.scope["selection"]))
        else:
            engine = _engine(ctx, realm_id, lock)
            engine.run(scope_roots(ctx.run.scope), dry_run=ctx.run.dry_run)
    finally:
        session.expire_on_commit = expire_on_commit
        lock.release()


def _engine(ctx: RunContext, realm_id: str, lock: RealmLock) -> PushEngine:
    engine = PushEngine(ctx, realm_id, batching=bool(ctx.config["QBO_PUSH_BATCHING"]))
    engine.lock = lock
    return engine


def _push_selection(ctx: RunContext, realm_id: str, lock: RealmLock,
                    selection: Selection) -> None:
    """Copy a listing's selection in chunks of ``QBO_PUSH_CHUNK_SIZE`` records, one run.

    Ids are read page by page when the worker reaches them, so memory stays bounded at any
    size and a record edited after the click is copied as it is now.
    """
    session = ctx.session()
    left_out, why = selection.skipped(session)
    ctx.progress.start(selection.count(session) - left_out, realm_id=realm_id)
    if left_out:
        ctx.progress.record(EventOutcome.INFO, entity_type=selection.entity_type,
                            label="Inquiries", action="skip", fault_code="inquiries", message=why,
                            realm_id=realm_id, counts=False)
    seen: dict[Key, EventOutcome | None] = {}
    size = max(1, int(ctx.config["QBO_PUSH_CHUNK_SIZE"]))
    for ids in selection.chunks(session, size):
        lock.check()
        _engine(ctx, realm_id, lock).run([(selection.entity_type, i) for i in ids],
                                         dry_run=ctx.run.dry_run, seen=seen)
        # Nothing keeps a finished chunk's records: the session's identity map holds them
        # weakly, so memory stays flat however large the selection.
        ctx.progress.flush()
