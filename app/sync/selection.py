"""What a listing selects, as a filter: the one definition the pages and the push share.

A listing page and "QBO Add All" must agree on which records a filter selects. Each record
type's filter is defined once here, from plain values (the listing's query string), so the
page can show it and a worker can resolve it later, page by page, without a request.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeAlias

from sqlalchemy import Boolean, ColumnElement, Select, func, inspect, or_, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.functions import FunctionElement

from app.database import DbSession
from app.models import (
    Associate,
    Client,
    EntryStatus,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    InvoiceStatus,
    MileageEntry,
    Organization,
    POStatus,
    PurchaseOrder,
)
from app.sync.registry import RECORD_TYPES

# The listing parameters a selection keeps (paging and sorting do not change what it selects).
FILTER_KEYS = ("q", "status", "category", "kind", "from", "to")
SEARCH_MAX = 100

# A column to search or sort on: a mapped attribute (Client.name) or any SQL expression.
SqlColumn: TypeAlias = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Filtered:
    """A record type's rows for some filter values, before search."""

    stmt: Select
    search: Sequence[SqlColumn]
    filters: dict[str, str]


def search_text(values: Mapping[str, str]) -> str:
    """The listing's search text, as the page uses it."""
    return (values.get("q") or "").strip()[:SEARCH_MAX]


def apply_search(stmt: Select, search: Sequence[Any], q: str) -> Select:
    """A case-insensitive substring match on any of the search columns.

    Columns of another table (an invoice's client name) are matched in that table and reach
    the rows through their foreign key, so each table's search can use its own indexes and the
    listing needs no join to be searched.
    """
    if not (q and search):
        return stmt
    like = f"%{q.lower()}%"
    entity = inspect(stmt.column_descriptions[0]["entity"])
    table = entity.local_table
    columns = [getattr(c, "expression", c) for c in search]
    found_links = {c.table: _link(table, c.table) for c in columns if c.table is not table}
    links = {other: link for other, link in found_links.items() if link is not None}
    if not links or len(links) < len(found_links):
        return stmt.where(or_(*(_Matches(c, like) for c in columns)))
    # One subquery a table, on aliases: the listing's own table must not correlate into them.
    pk = entity.primary_key[0]
    own = table.alias()
    parts = []
    if any(c.table is table for c in columns):
        parts.append(select(own.c[pk.name]).where(
            or_(*(_Matches(own.corresponding_column(c), like) for c in columns
                  if c.table is table))))
    for other, (local, remote) in links.items():
        far = other.alias()
        found = select(far.c[remote.name]).where(
            or_(*(_Matches(far.corresponding_column(c), like) for c in columns
                  if c.table is other)))
        near = table.alias()
        parts.append(select(near.c[pk.name]).where(near.c[local.name].in_(found)))
    return stmt.where(pk.in_(union(*parts) if len(parts) > 1 else parts[0]))


def _link(table: Any, other: Any) -> tuple[Any, Any] | None:
    """The one foreign key from ``table`` to ``other``: (local column, referred column)."""
    keys = [fk for fk in table.foreign_keys if fk.column.table is other]
    return (keys[0].parent, keys[0].column) if len(keys) == 1 else None


class _Matches(FunctionElement[bool]):
    """``column`` contains a lower-case LIKE pattern, whatever the column's case."""

    name = "matches"
    inherit_cache = True
    type = Boolean()


@compiles(_Matches)
def _matches(element: _Matches, compiler: Any, **kw: Any) -> str:
    column, pattern = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"lower({column}) LIKE {pattern}"


@compiles(_Matches, "postgresql")
def _matches_postgresql(element: _Matches, compiler: Any, **kw: Any) -> str:
    # ILIKE is what PostgreSQL's trigram indexes serve (see models.base.search_indexes).
    column, pattern = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"{column} ILIKE {pattern}"


@compiles(_Matches, "sqlite")
def _matches_sqlite(element: _Matches, compiler: Any, **kw: Any) -> str:
    # SQLite's LIKE ignores case already; its lower() folds the same ASCII letters LIKE does,
    # so leaving it out matches the same rows at half the cost.
    column, pattern = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"{column} LIKE {pattern}"


def active_filter(stmt: Select, model: Any, values: Mapping[str, str],
                  filters: dict[str, str]) -> Select:
    """status=active|inactive|all (active by default)."""
    status = values.get("status", "active")
    if status == "active":
        stmt = stmt.where(model.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(model.active.is_(False))
    else:
        status = "all"
    filters["status"] = status
    return stmt


def status_filter(stmt: Select, column: Any, statuses: type[enum.Enum],
                  values: Mapping[str, str], filters: dict[str, str]) -> Select:
    """status=<one of statuses>; anything else selects every status."""
    status = values.get("status", "")
    if status in {s.value for s in statuses}:
        stmt = stmt.where(column == statuses(status))
        filters["status"] = status
    return stmt


def parse_date(text: str | None) -> date | None:
    """An ISO date, or None when absent or impossible."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _clients(values: Mapping[str, str], _owner: int | None) -> Filtered:
    filters: dict[str, str] = {}
    stmt = active_filter(select(Client), Client, values, filters)
    kind = values.get("kind", "")
    if kind in ("customers", "inquiries"):
        stmt = stmt.where(Client.is_inquiry.is_(kind == "inquiries"))
        filters["kind"] = kind
    return Filtered(stmt, [Client.name, Client.email, Client.contact_name, Client.phone], filters)


def _organizations(values: Mapping[str, str], _owner: int | None) -> Filtered:
    filters: dict[str, str] = {}
    stmt = select(Organization).outerjoin(Organization.category)
    stmt = active_filter(stmt, Organization, values, filters)
    category = values.get("category", "")
    if category == "none":
        stmt = stmt.where(Organization.category_id.is_(None))
        filters["category"] = category
    elif category.isdigit():
        stmt = stmt.where(Organization.category_id == int(category))
        filters["category"] = category
    return Filtered(stmt, [Organization.name, Organization.email, Organization.phone], filters)


def _associates(values: Mapping[str, str], _owner: int | None) -> Filtered:
    filters: dict[str, str] = {}
    stmt = active_filter(select(Associate), Associate, values, filters)
    return Filtered(stmt, [Associate.display_name, Associate.email, Associate.username],
                    filters)


def _invoices(values: Mapping[str, str], _owner: int | None) -> Filtered:
    filters: dict[str, str] = {}
    # No join: the search reaches the client's name by its own query, and a listing sorted by
    # client joins it for the sort alone.
    stmt = status_filter(select(Invoice), Invoice.status, InvoiceStatus, values, filters)
    return Filtered(stmt, [Invoice.number, Client.name], filters)


def _purchase_orders(values: Mapping[str, str], _owner: int | None) -> Filtered:
    filters: dict[str, str] = {}
    stmt = status_filter(select(PurchaseOrder), PurchaseOrder.status, POStatus, values, filters)
    return Filtered(stmt, [PurchaseOrder.number, Organization.name], filters)


def _entries(model: Any, date_column: str) -> Callable[[Mapping[str, str], int | None],
                                                         Filtered]:
    def build(values: Mapping[str, str], owner: int | None) -> Filtered:
        when = getattr(model, date_column)
        stmt = select(model).where(model.associate_id == owner)
        filters: dict[str, str] = {}
        start, end = parse_date(values.get("from")), parse_date(values.get("to"))
        if start:
            stmt = stmt.where(when >= start)
            filters["from"] = start.isoformat()
        if end:
            stmt = stmt.where(when <= end)
            filters["to"] = end.isoformat()
        stmt = status_filter(stmt, model.status, EntryStatus, values, filters)
        return Filtered(stmt, [model.description], filters)

    return build


BUILDERS: dict[str, Callable[[Mapping[str, str], int | None], Filtered]] = {
    "client": _clients,
    "organization": _organizations,
    "associate": _associates,
    "invoice": _invoices,
    "purchase_order": _purchase_orders,
    "hours": _entries(HoursEntry, "work_date"),
    "expense": _entries(ExpenseEntry, "expense_date"),
    "mileage": _entries(MileageEntry, "trip_date"),
}
# Entries are an associate's own: their selections always name whose.
OWNED = frozenset(name for name in BUILDERS if RECORD_TYPES[name].self_service)
# Records a bulk copy leaves out on purpose, and how its feedback says so.
BULK_SKIPS: dict[str, tuple[Callable[[], ColumnElement], str, str]] = {
    "client": (lambda: Client.is_inquiry.is_(True),
               "1 inquiry skipped: not a customer until converted",
               "{n} inquiries skipped: not customers until converted"),
}


def filtered(entity_type: str, values: Mapping[str, str], owner_id: int | None = None) -> Filtered:
    """The rows of ``entity_type`` that the filter values select, before search."""
    return BUILDERS[entity_type](values, owner_id)


@dataclass(frozen=True)
class Selection:
    """The records "QBO Add All" or "QBO Add Selected" was pressed for, kept as the filter.

    ``upto_id`` is the highest id when the button was pressed: records added afterwards are
    not part of what the user saw. Records are read when the worker reaches them, so one
    changed after the click is copied as it is then.
    """

    entity_type: str
    values: dict[str, str] = field(default_factory=dict)
    ids: tuple[int, ...] | None = None
    owner_id: int | None = None
    upto_id: int | None = None

    @classmethod
    def of(cls, session: DbSession, entity_type: str, values: Mapping[str, str], *,
           ids: Sequence[int] | None = None, owner_id: int | None = None) -> Selection:
        """A selection made now from listing values (and ticked ids for "Selected")."""
        kept = {k: str(values[k]) for k in FILTER_KEYS if values.get(k)}
        kept["q"] = search_text(kept)
        kept = {k: v for k, v in kept.items() if v}
        model = _model(entity_type)
        upto = session.scalar(select(func.max(model.id)))
        return cls(entity_type, kept, tuple(sorted(set(ids))) if ids is not None else None,
                   owner_id, upto)

    def statement(self) -> Select:
        """A select of the selected ids (search, filters, ticks and the click's id bound)."""
        model = _model(self.entity_type)
        found = filtered(self.entity_type, self.values, self.owner_id)
        stmt = apply_search(found.stmt, found.search, search_text(self.values))
        stmt = stmt.with_only_columns(model.id).order_by(None).distinct()
        if self.ids is not None:
            stmt = stmt.where(model.id.in_(self.ids))
        if self.upto_id is not None:
            stmt = stmt.where(model.id <= self.upto_id)
        return stmt

    def count(self, session: DbSession) -> int:
        """How many records the selection holds."""
        return int(session.scalar(select(func.count()).select_from(self.statement().subquery()))
                   or 0)

    def skipped(self, session: DbSession) -> tuple[int, str]:
        """How many selected records a bulk copy leaves out on purpose, and why, in words."""
        if self.entity_type not in BULK_SKIPS:
            return 0, ""
        clause, one, many = BULK_SKIPS[self.entity_type]
        stmt = self.statement().where(clause())
        n = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        return n, (one if n == 1 else many.format(n=n))

    def chunks(self, session: DbSession, size: int) -> Iterator[list[int]]:
        """The ids to copy in ascending pages of ``size`` (keyset paging: stable and cheap)."""
        stmt = self.statement()
        if self.entity_type in BULK_SKIPS:
            stmt = stmt.where(~BULK_SKIPS[self.entity_type][0]())
        inner = stmt.subquery()
        last = 0
        while True:
            ids = list(session.scalars(select(inner.c.id).where(inner.c.id > last)
                                       .order_by(inner.c.id).limit(size)))
            if not ids:
                return
            yield ids
            last = ids[-1]

    def to_scope(self) -> dict[str, Any]:
        """JSON for ``SyncRun.scope``."""
        return {"entity_type": self.entity_type, "values": self.values,
                "ids": list(self.ids) if self.ids is not None else None,
                "owner_id": self.owner_id, "upto_id": self.upto_id}

    @classmethod
    def from_scope(cls, data: Mapping[str, Any]) -> Selection:
        """Back from ``SyncRun.scope``."""
        ids = data.get("ids")
        return cls(str(data["entity_type"]), dict(data.get("values") or {}),
                   tuple(int(i) for i in ids) if ids is not None else None,
                   data.get("owner_id"), data.get("upto_id"))


def _model(entity_type: str) -> Any:
    return RECORD_TYPES[entity_type].model
