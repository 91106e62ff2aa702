"""Lookups remembered for the length of one run.

A run checks thousands of records that refer to the same few links, QBO list rows and defaults;
while it runs nothing else changes them, so inside ``memoized_lookups`` each lookup is asked of
the database once. Outside a run every lookup goes to the database, as a page must see the
latest values. Pre-flight, mappings and the push share one cache per session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select

from app.database import DbSession
from app.models import QboLink

T = TypeVar("T")

MEMO_KEY = "ledgerhub.lookups"


@contextmanager
def memoized_lookups(session: DbSession) -> Iterator[None]:
    """Remember lookups made through ``remembered`` on this session until the block ends."""
    session.info[MEMO_KEY] = {}
    try:
        yield
    finally:
        session.info.pop(MEMO_KEY, None)


def active(session: DbSession) -> bool:
    """True inside ``memoized_lookups`` (a run), where whole tables may be loaded at once."""
    return session.info.get(MEMO_KEY) is not None


def remembered(session: DbSession, key: tuple[Any, ...], lookup: Callable[[], T]) -> T:
    """The value of ``lookup()``, asked once per run for each key (every time outside a run)."""
    memo = session.info.get(MEMO_KEY)
    if memo is None:
        return lookup()
    if key not in memo:
        memo[key] = lookup()
    result: T = memo[key]
    return result


def remember_links(session: DbSession, realm_id: str,
                   links: Mapping[tuple[str, int], QboLink | None]) -> None:
    """Remember links already read (a plan's, None for a record without one), during a run."""
    memo = session.info.get(MEMO_KEY)
    if memo is None:
        return
    for (entity_type, local_id), found in links.items():
        memo.setdefault(("link", realm_id, entity_type, local_id), found)


def link(session: DbSession, realm_id: str, entity_type: str, local_id: int) -> QboLink | None:
    """A local record's link (or mapping) in one company, remembered during a run."""
    return remembered(session, ("link", realm_id, entity_type, local_id), lambda: (
        session.scalars(select(QboLink).where(
            QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
            QboLink.local_id == local_id)).first()))
