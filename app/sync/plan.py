"""A push run's plan: the dependency closure of its scope, by layer, with the links.

The closure is loaded in a constant number of queries per dependency level (one IN query per
record type and level, lines included), not one per record, and walked afterwards in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.database import DbSession
from app.models import EventOutcome, LinkState, QboLink, QboPreference
from app.sync.entities import Key, NotSendable
from app.sync.registry import PUSHABLE as ENTITY_TYPES
from app.sync.registry import RecordType as EntityType

_CHUNK = 500  # ids per IN query


@dataclass
class Node:
    """One record of the run: what it is, what it depends on, what happens to it."""

    key: Key
    etype: EntityType
    record: Any
    link: QboLink | None
    deps: list[Key]
    fingerprint: str | None = None
    body: dict[str, Any] | None = None
    operation: str = ""  # create | update
    final: bool = False  # the pre-flight body needs no id of a record new in this run
    outcome: EventOutcome | None = None
    message: str | None = None
    unsure: bool = False  # the last write got no answer: look for it before sending again
    tries: int = 0
    qbo_entity: str = ""  # the QBO entity it is sent as (set when prepared)
    # Follows a record this run copies (billed time follows its invoice): decided only once
    # that record is in QuickBooks, since what it must say depends on it.
    follows: Key | None = None

    def __post_init__(self) -> None:
        self.qbo_entity = self.qbo_entity or self.etype.qbo_entity

    @property
    def written(self) -> QboLink:
        """The link the outbox wrote before the node is sent (every sent node has one)."""
        if self.link is None:
            raise RuntimeError(f"{self.key} is sent without a link in the outbox")
        return self.link

    @property
    def request_id(self) -> str:
        """The request id the outbox gave this write (QBO's idempotency key)."""
        request_id = self.written.pending_request_id
        if request_id is None:
            raise RuntimeError(f"{self.key} is sent without a request id in the outbox")
        return request_id

    @property
    def payload(self) -> dict[str, Any]:
        """The body prepared for sending (every sent node has one)."""
        if self.body is None:
            raise RuntimeError(f"{self.key} is sent without a prepared body")
        return self.body

    @property
    def label(self) -> str:
        """How the record is named in progress and feedback."""
        return self.etype.label(self.record)


@dataclass
class Plan:
    """The dependency closure of a scope, by layer."""

    nodes: dict[Key, Node] = field(default_factory=dict)
    missing: list[Key] = field(default_factory=list)

    def layers(self) -> Iterator[list[Node]]:
        """Nodes grouped by layer, lists first, transactions last."""
        for layer in sorted({n.etype.layer for n in self.nodes.values()}):
            yield [n for n in self.nodes.values() if n.etype.layer == layer]


class _Options:
    """The company's defaults some dependencies depend on, read once when first needed."""

    def __init__(self, session: DbSession, realm_id: str) -> None:
        self.session = session
        self.realm_id = realm_id
        self._values: dict[str, str] | None = None

    def deps(self, etype: EntityType, record: Any) -> list[Key]:
        """The record's dependencies, in order, without repeats."""
        if etype.option_deps is None:
            return list(dict.fromkeys(etype.deps(record)))
        if self._values is None:
            self._values = {p.key: p.value or "" for p in self.session.scalars(
                select(QboPreference).where(QboPreference.realm_id == self.realm_id))}
        return list(dict.fromkeys(etype.option_deps(record, self._values)))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def load_records(session: DbSession, entity_type: str, ids: Iterable[int]) -> dict[int, Any]:
    """Records of one type by id, in IN queries, with their lines when they have any."""
    model: Any = ENTITY_TYPES[entity_type].model
    wanted = sorted(set(ids))
    stmt: Select[Any] = select(model)
    if hasattr(model, "lines"):
        stmt = stmt.options(selectinload(model.lines))
    found: dict[int, Any] = {}
    for chunk in _chunks(wanted):
        for record in session.scalars(stmt.where(model.id.in_(chunk))):
            found[record.id] = record
    return found


def load_links(session: DbSession, realm_id: str, keys: Iterable[Key]) -> dict[Key, QboLink]:
    """The links of these records, one IN query per record type (and 500 ids)."""
    by_type: dict[str, list[int]] = {}
    for entity_type, local_id in keys:
        by_type.setdefault(entity_type, []).append(local_id)
    links: dict[Key, QboLink] = {}
    for entity_type, ids in by_type.items():
        for chunk in _chunks(ids):
            for link in session.scalars(select(QboLink).where(
                    QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
                    QboLink.local_id.in_(chunk))):
                links[(entity_type, link.local_id)] = link
    return links


def _load_closure(session: DbSession, roots: Iterable[Key],
                  options: _Options) -> dict[Key, Any]:
    """Every record the walk from ``roots`` reaches, loaded level by level."""
    records: dict[Key, Any] = {}
    level = [k for k in roots if k[0] in ENTITY_TYPES]
    while level:
        by_type: dict[str, list[int]] = {}
        for entity_type, local_id in level:
            if (entity_type, local_id) not in records:
                by_type.setdefault(entity_type, []).append(local_id)
        level = []
        for entity_type, ids in by_type.items():
            etype = ENTITY_TYPES[entity_type]
            found = load_records(session, entity_type, ids)
            for local_id in ids:
                record = records[(entity_type, local_id)] = found.get(local_id)
                if record is not None:
                    level += [k for k in options.deps(etype, record)
                              if k[0] in ENTITY_TYPES and k not in records]
    return records


def build_plan(session: DbSession, realm_id: str, roots: Iterable[Key]) -> Plan:
    """Load the scope's records and everything they depend on, with their links."""
    roots = list(roots)
    plan = Plan()
    options = _Options(session, realm_id)
    records = _load_closure(session, roots, options)
    stack = roots
    followers: list[tuple[Key, Key]] = []  # (follower, what it follows)
    while stack:
        key = stack.pop()
        if key in plan.nodes or key[0] not in ENTITY_TYPES:
            continue
        etype = ENTITY_TYPES[key[0]]
        record = records.get(key)
        if record is None:
            plan.missing.append(key)
            continue
        deps = options.deps(etype, record)
        refused = False
        if etype.ready is not None:
            try:
                etype.ready(record)
            except NotSendable:
                deps, refused = [], True  # nothing is copied on behalf of a refused record
        plan.nodes[key] = Node(key=key, etype=etype, record=record, link=None, deps=deps)
        stack.extend(deps)
        if etype.followers is not None and not refused:
            followers += [(f, key) for f in etype.followers(record)]
    _add_followers(session, realm_id, plan, followers)
    for key, link in load_links(session, realm_id, plan.nodes).items():
        plan.nodes[key].link = link
    return plan


def _add_followers(session: DbSession, realm_id: str, plan: Plan,
                   followers: list[tuple[Key, Key]]) -> None:
    """Records already in QBO that a copied record changes (its billed time) join the plan.

    Only ones QBO already holds: the copy updates them, after and only if what they follow
    was copied. Ones never copied are not created as a side effect.
    """
    outside = [key for key, _ in followers if key not in plan.nodes]
    links = load_links(session, realm_id, outside)
    synced = [key for key, link in links.items()
              if link.qbo_id is not None and link.state == LinkState.SYNCED]
    by_type: dict[str, list[int]] = {}
    for entity_type, local_id in synced:
        by_type.setdefault(entity_type, []).append(local_id)
    records = {(t, i): r for t, ids in by_type.items()
               for i, r in load_records(session, t, ids).items()}
    for key, leader in followers:
        if key in plan.nodes:
            if leader not in plan.nodes[key].deps:
                plan.nodes[key].deps.append(leader)
            plan.nodes[key].follows = leader
            continue
        record = records.get(key)
        if record is not None:
            plan.nodes[key] = Node(key=key, etype=ENTITY_TYPES[key[0]], record=record,
                                   link=links[key], deps=[leader], follows=leader)


def scope_roots(scope: dict[str, Any]) -> list[Key]:
    """The records a run was asked to copy: ``{"records": [[entity_type, id], ...]}``."""
    return [(str(t), int(i)) for t, i in scope.get("records", [])]
