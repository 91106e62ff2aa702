"""Refreshing cached QBO lists as a queued run: live progress, nothing local created or changed.

A refresh re-reads whole QBO lists (customers, accounts, items, tax codes, ...) into the
``QboObject`` cache that matching and the mapping dropdowns read. It can take many query pages,
so it runs on the worker like an import, and the page follows its progress.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rq import Queue
from sqlalchemy import update

from app.database import DbSession
from app.models import RunKind, SyncRun
from app.sync.context import RunContext
from app.sync.lists import ACTIVE_ANY, refresh_lists
from app.sync.registry import CACHED_QBO_ENTITIES as ALL_ENTITIES
from app.sync.runs import enqueue_run

__all__ = ["entities_from_scope", "refresh_message", "run_refresh", "start_list_refresh"]


def entities_from_scope(scope: Mapping[str, Any] | None) -> list[str]:
    """The cached QBO lists a refresh run names, in cache order (ValueError when none)."""
    wanted = (scope or {}).get("entities") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    unknown = [str(e) for e in wanted if e not in ALL_ENTITIES]
    entities = [entity for entity in ALL_ENTITIES if entity in wanted]
    if unknown or not entities:
        raise ValueError("Not a QuickBooks list that can be refreshed: "
                         + ", ".join(unknown or ["(none)"]))
    return entities


def start_list_refresh(session: DbSession, queue: Queue, entities: Sequence[str], *,
                       user_id: int | None, realm_id: str,
                       extra: Mapping[str, Any] | None = None) -> SyncRun:
    """Queue a refresh of the named QBO lists (QueueUnavailable when Redis refuses it).

    ``extra`` is kept in the run's scope, e.g. the record whose match page asked for it.
    """
    scope = {**(extra or {}), "entities": list(entities)}
    entities_from_scope(scope)  # refuse an unknown list before a run row exists
    return enqueue_run(session, queue, RunKind.REFRESH, scope, user_id=user_id,
                       realm_id=realm_id)


def _noun(entity: str) -> str:
    """PaymentMethod -> payment method."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", entity).lower()


def refresh_message(counts: Mapping[str, int]) -> str:
    """What a finished refresh says: how many rows of each list were read."""
    parts = [f"{count} {_noun(entity)} records" for entity, count in counts.items()]
    return "Refreshed from QuickBooks: " + ", ".join(parts) + "."


def run_refresh(ctx: RunContext) -> None:
    """RQ handler for refresh runs: scope {"entities": ["Customer", "Account", ...]}."""
    entities = entities_from_scope(ctx.run.scope)
    realm_id = ctx.realm_id()
    client = ctx.client()
    ctx.session.commit()  # no transaction stays open across a call to QuickBooks
    totals = {entity: client.count(entity, ACTIVE_ANY) for entity in entities}
    ctx.progress.start(sum(totals.values()), realm_id)
    ctx.session.commit()  # nothing may stay open while the progress writer commits
    read: dict[str, int] = dict.fromkeys(entities, 0)

    def on_page(entity: str, rows: Iterable[Any]) -> None:
        size = len(list(rows))
        read[entity] += size
        ctx.progress.advance(size)
        ctx.progress.current(f"{entity}: {read[entity]} of {totals[entity]} read")

    counts = refresh_lists(client, ctx.session, realm_id, entities, on_page=on_page)
    ctx.session.execute(update(SyncRun).where(SyncRun.id == ctx.run.id).values(
        summary={"refreshed": counts}, message=refresh_message(counts)))
    ctx.session.commit()
