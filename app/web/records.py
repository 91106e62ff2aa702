"""Helpers shared by the record managers' views."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import abort, request
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select

from app.extensions import db
from app.sync import selection


def apply_form(form: FlaskForm, record: Any, exclude: Iterable[str] = ()) -> None:
    """Copy the form's fields onto the record, except the CSRF token and ``exclude``."""
    skip = {"csrf_token", "submit", *exclude}
    for name, field in form._fields.items():
        if name not in skip and hasattr(record, name):
            setattr(record, name, field.data)


def active_filter(stmt: Select[Any], model: type[Any]) -> tuple[Select[Any], dict[str, str]]:
    """Apply ?status=active|inactive|all (active by default) to a listing."""
    filters: dict[str, str] = {}
    return selection.active_filter(stmt, model, request.values, filters), filters


def is_htmx() -> bool:
    """True for a request sent by HTMX (it wants a fragment, not a page)."""
    return bool(request.headers.get("HX-Request"))


def value_taken(column: Any, value: str, exclude_id: int | None = None) -> bool:
    """True when another row already holds ``value`` in ``column`` (case-insensitive, as QBO)."""
    model = column.class_
    stmt = select(model.id).where(func.lower(column) == value.lower())
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def next_number(column: Any, start: str = "1001") -> str:
    """Suggest the number after the most recent one (``INV-0042`` -> ``INV-0043``), unused."""
    model = column.class_
    last = db.session.scalar(select(column).order_by(model.id.desc()).limit(1))
    match = re.match(r"^(.*?)(\d+)$", last or "")
    prefix, digits = (match.group(1), match.group(2)) if match else ("", start)
    number = int(digits) if match else int(start) - 1
    while True:
        number += 1
        candidate = f"{prefix}{number:0{len(digits)}d}"[:21]
        if not value_taken(column, candidate):
            return candidate


def child_or_404(model: type, child_id: int, parent_column: str, parent_id: int) -> Any:
    """A line or contact, only when it belongs to the parent in the URL (404 otherwise)."""
    child = db.session.get(model, child_id)
    if child is None or getattr(child, parent_column) != parent_id:
        abort(404)
    return child
