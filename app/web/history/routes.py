"""The logged-in associate's own hours, expenses and mileage: list, add, edit, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import EntryStatus
from app.permissions import signed_in
from app.sync.registry import RECORD_TYPES, RecordType
from app.web.forms import flag_stored_numbers
from app.web.history.forms import ExpenseForm, HoursForm, MileageForm
from app.web.listing import Listing, paginate, render_listing
from app.web.records import apply_form

bp = Blueprint("history", __name__, url_prefix="/my")


@dataclass(frozen=True)
class EntryKind:
    """One of the three histories: its record type (from the registry), page title and form."""

    slug: str
    title: str
    record: RecordType
    form: type[FlaskForm]

    @property
    def noun(self) -> str:
        """One entry, in words."""
        return self.record.noun

    @property
    def model(self) -> type[Any]:
        """The entries' model."""
        return self.record.model

    @property
    def date_column(self) -> str:
        """The column an entry is dated by."""
        return self.record.name_column

    @property
    def entity_type(self) -> str:
        """The record type's name."""
        return self.record.name

    def column(self, name: str) -> Any:
        """A column of the kind's model."""
        return getattr(self.model, name)


KINDS = {k.slug: k for k in (
    EntryKind("hours", "My Hours History", RECORD_TYPES["hours"], HoursForm),
    EntryKind("expenses", "My Expense History", RECORD_TYPES["expense"], ExpenseForm),
    EntryKind("mileage", "My Mileage History", RECORD_TYPES["mileage"], MileageForm),
)}


def _own(kind: EntryKind, entry_id: int) -> Any:
    """The entry, only if it belongs to the logged-in associate (404 otherwise)."""
    entry = db.session.get(kind.model, entry_id)
    if entry is None or entry.associate_id != current_user.id:
        abort(404)
    return entry


def list_entries(kind: EntryKind) -> str:
    """The associate's entries of one kind, filtered by date range and status."""
    found = listing(kind)
    sorts = {"date": kind.column(kind.date_column), "status": kind.model.status}
    # Each row names its client, and its QBO badge compares its billing code: loaded for the
    # whole page at once, not row by row.
    stmt = found.stmt.options(*(selectinload(getattr(kind.model, name))
                                for name in ("client", "billing_code")
                                if hasattr(kind.model, name)))
    page = paginate(stmt, search=found.search, sorts=sorts, default_sort="date",
                    default_direction="desc", filters=found.filters)
    return render_listing("history/index.html", "history/_table.html", page=page, kind=kind,
                          statuses=list(EntryStatus))


def listing(kind: EntryKind) -> Listing:
    """The logged-in associate's entries of one kind for the request's filters."""
    return Listing.of(kind.entity_type, current_user.id)


def edit_entry(kind: EntryKind, entry_id: int | None = None) -> Response | str:
    """Add or edit one of the associate's own entries."""
    entry = _own(kind, entry_id) if entry_id else None
    if entry is not None and entry.status == EntryStatus.INVOICED:
        flash(f"This {kind.noun} is invoiced and can no longer be changed.", "warning")
        return redirect(url_for(f".{kind.slug}"))
    form = kind.form(obj=entry, owner_id=current_user.id)
    if entry is None and not form.is_submitted():
        getattr(form, kind.date_column).data = date.today()
        if kind.slug == "hours":
            form.rate.data = current_user.hourly_rate
    elif not form.is_submitted():
        flag_stored_numbers(form)
    if form.validate_on_submit():
        if entry is None:
            entry = kind.model(associate_id=current_user.id)
            db.session.add(entry)
        apply_form(form, entry)
        db.session.commit()
        flash(f"The {kind.noun} was saved.", "success")
        return redirect(url_for(f".{kind.slug}"))
    return render_template("history/form.html", form=form, kind=kind, entry=entry)


def delete_entry(kind: EntryKind, entry_id: int) -> Response:
    """Delete one of the associate's own entries that is not invoiced."""
    entry = _own(kind, entry_id)
    if entry.status == EntryStatus.INVOICED:
        flash(f"This {kind.noun} is invoiced and cannot be deleted.", "warning")
    else:
        db.session.delete(entry)
        db.session.commit()
        flash(f"The {kind.noun} was deleted.", "success")
    return redirect(url_for(f".{kind.slug}"))


def _register(kind: EntryKind) -> None:
    def listing() -> str:
        return list_entries(kind)

    def new() -> Response | str:
        return edit_entry(kind)

    def edit(entry_id: int) -> Response | str:
        return edit_entry(kind, entry_id)

    def delete(entry_id: int) -> Response:
        return delete_entry(kind, entry_id)

    s = kind.slug
    bp.add_url_rule(f"/{s}", s, signed_in(listing))
    bp.add_url_rule(f"/{s}/new", f"{s}_new", signed_in(new), methods=["GET", "POST"])
    bp.add_url_rule(f"/{s}/<int:entry_id>", f"{s}_edit", signed_in(edit),
                    methods=["GET", "POST"])
    bp.add_url_rule(f"/{s}/<int:entry_id>/delete", f"{s}_delete", signed_in(delete),
                    methods=["POST"])


for _kind in KINDS.values():
    _register(_kind)
