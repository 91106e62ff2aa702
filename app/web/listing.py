"""Server-side search, sort and pagination shared by every listing page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from flask import current_app, render_template, request
from flask import url_for as flask_url_for
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.sql.util import find_tables

from app.extensions import db
from app.sync.selection import SqlColumn, filtered, search_text
from app.sync.selection import apply_search as search_rows


@dataclass
class Page:
    """One page of a listing and the parameters that produced it."""

    items: Sequence[Any]
    total: int
    page: int
    per_page: int
    sort: str
    direction: str
    q: str
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, ceil(self.total / self.per_page))

    def args(self, **overrides: Any) -> dict[str, Any]:
        """Query-string arguments for a link that changes some of them."""
        args: dict[str, Any] = {"q": self.q, "sort": self.sort, "dir": self.direction,
                                "page": self.page, **self.filters}
        args.update(overrides)
        return {k: v for k, v in args.items() if v not in (None, "")}

    def url(self, endpoint: str, **overrides: Any) -> str:
        """URL of this listing with some parameters changed."""
        return flask_url_for(endpoint, **{**(request.view_args or {}), **self.args(**overrides)})

    def sort_args(self, key: str) -> dict[str, Any]:
        """Arguments for a column header: toggles direction when already sorted by it."""
        direction = "desc" if self.sort == key and self.direction == "asc" else "asc"
        return self.args(sort=key, dir=direction, page=1)


def paginate(
    stmt: Select,
    *,
    search: Sequence[SqlColumn] = (),
    sorts: Mapping[str, SqlColumn],
    default_sort: str,
    default_direction: str = "asc",
    filters: Mapping[str, str] | None = None,
) -> Page:
    """Apply ?q, ?sort, ?dir and ?page from the request to a select and fetch one page."""
    # Imported here: the push blueprint's package imports this module.
    from app.web.qbo_push.targets import prefetch_states

    q = _query_text()
    stmt = apply_search(stmt, search)
    sort = request.args.get("sort", default_sort)
    if sort not in sorts:
        sort = default_sort
    direction = request.args.get("dir", default_direction)
    if direction not in ("asc", "desc"):
        direction = default_direction
    per_page = current_app.config["PAGE_SIZE"]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    total = total or 0
    page = max(1, request.args.get("page", 1, type=int) or 1)
    page = min(page, max(1, ceil(total / per_page)))
    offset = (page - 1) * per_page
    wanted = max(0, min(per_page, total - offset))
    # A page in the back half is read from the other end: the database skips fewer rows, so the
    # last page costs what the first one does. The id breaks ties, so both orders are exact
    # mirrors and no row is on two pages.
    backwards = total - offset - wanted < offset
    descending = (direction == "desc") != backwards
    ordered = _joined_for(stmt, sorts[sort]).order_by(
        *(c.desc() if descending else c.asc() for c in _order(stmt, sorts[sort])))
    if backwards:
        ordered = ordered.limit(wanted).offset(total - offset - wanted)
    else:
        ordered = ordered.limit(per_page).offset(offset)
    items = list(db.session.scalars(ordered).unique())
    if backwards:
        items.reverse()
    prefetch_states(items)
    return Page(items=items, total=total, page=page, per_page=per_page, sort=sort,
                direction=direction, q=q, filters=dict(filters or {}))


def _order(stmt: Select, column: SqlColumn) -> list[SqlColumn]:
    """The sort column, then the listed record's id to break ties."""
    key = inspect(stmt.column_descriptions[0]["entity"]).primary_key[0]
    expression = getattr(column, "expression", column)
    same = (getattr(expression, "table", None) is key.table
            and getattr(expression, "name", None) == key.name)
    return [column] if same else [column, key]


def _joined_for(stmt: Select, column: SqlColumn) -> Select:
    """The listing joined to the sort column's table when it is not in the query yet."""
    table = getattr(getattr(column, "expression", column), "table", None)
    if table is None or table is inspect(stmt.column_descriptions[0]["entity"]).local_table:
        return stmt
    froms = [t for f in stmt.get_final_froms() for t in find_tables(f, include_joins=False)]
    return stmt if any(t is table for t in froms) else stmt.join(table)


# Listing filters are read from the query string or, for "QBO Add All", from the filter form
# the button posts along (request.values holds both).
def _query_text() -> str:
    return search_text(request.values)


def apply_search(stmt: Select, search: Sequence[SqlColumn]) -> Select:
    """Apply ?q from the request: a case-insensitive substring match on any search column."""
    return search_rows(stmt, search, _query_text())


@dataclass(frozen=True)
class Listing:
    """A listing's query with the request's filters applied, before search and paging."""

    stmt: Select
    search: Sequence[SqlColumn]
    filters: dict[str, str]

    @classmethod
    def of(cls, entity_type: str, owner_id: int | None = None) -> Listing:
        """The listing of a record type for the request's filters (as "QBO Add All" sees it)."""
        found = filtered(entity_type, request.values, owner_id)
        return cls(found.stmt, found.search, found.filters)


def render_listing(page_template: str, fragment_template: str, **context: Any) -> str:
    """Full page for a normal request, only the table fragment for an HTMX request."""
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "listing":
        return render_template(fragment_template, **context)
    return render_template(page_template, **context)
