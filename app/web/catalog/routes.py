"""Lists: one set of views for every list, parametrised by a small description per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.money import format_money
from app.permissions import manager_required
from app.sync.registry import RECORD_TYPES, RecordType
from app.web.catalog.forms import (
    AccountForm,
    BillingCodeForm,
    OrganizationCategoryForm,
    PaymentMethodForm,
    PaymentTermForm,
    TaxCodeForm,
    TxnClassForm,
)
from app.web.listing import paginate, render_listing
from app.web.records import active_filter, apply_form, value_taken

bp = Blueprint("catalog", __name__, url_prefix="/lists")


def _text(value: Any) -> str:
    """How a cell shows a value: enums by label (else value), booleans as Yes, None as blank."""
    if value is None or value is False:
        return ""
    if value is True:
        return "Yes"
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@dataclass(frozen=True)
class Column:
    """A column of a list's table."""

    attr: str
    label: str
    sortable: bool = True
    money: bool = False
    fmt: Callable[[Any], str] = _text

    def cell(self, record: Any) -> str:
        """The cell text for one record."""
        value = getattr(record, self.attr)
        if self.money:
            return format_money(value) if value is not None else ""
        return self.fmt(value)


@dataclass(frozen=True)
class CatalogList:
    """The page of one list: the record type (from the registry), its form and its columns."""

    record: RecordType
    form: type[FlaskForm]
    columns: tuple[Column, ...]
    search: tuple[str, ...]

    @property
    def slug(self) -> str:
        """URL segment."""
        return self.record.slug or self.record.name

    @property
    def title(self) -> str:
        """Page heading."""
        return self.record.title

    @property
    def noun(self) -> str:
        """One record, in words."""
        return self.record.noun

    @property
    def model(self) -> type[Any]:
        """The list's model."""
        return self.record.model

    @property
    def name_attr(self) -> str:
        """The column holding a record's name."""
        return self.record.name_column

    @property
    def entity(self) -> str:
        """The entity type (for the QBO actions of a record)."""
        return self.record.name

    @property
    def has_active(self) -> bool:
        """True when records of this list can be made inactive."""
        return hasattr(self.model, "active")

    def column(self, name: str) -> Any:
        """A column of the kind's model."""
        return getattr(self.model, name)

    def label(self, record: Any) -> str:
        """The record's name as the breadcrumb shows it."""
        return str(getattr(record, self.name_attr))


# In the order the Lists page shows them.
KINDS: dict[str, CatalogList] = {k.slug: k for k in (
    CatalogList(RECORD_TYPES["billing_code"], BillingCodeForm,
                (Column("code", "Code"), Column("kind", "Used for"),
                 Column("description", "Description", sortable=False),
                 Column("default_rate", "Default rate", money=True),
                 Column("taxable", "Taxable")), ("code", "description")),
    CatalogList(RECORD_TYPES["payment_term"], PaymentTermForm,
                (Column("name", "Name"), Column("due_days", "Due in (days)")), ("name",)),
    CatalogList(RECORD_TYPES["txn_class"], TxnClassForm, (Column("name", "Name"),), ("name",)),
    CatalogList(RECORD_TYPES["tax_code"], TaxCodeForm,
                (Column("code", "Code"), Column("name", "Name"),
                 Column("rate_percent", "Rate (%)"), Column("taxable", "Taxable")),
                ("code", "name")),
    CatalogList(RECORD_TYPES["payment_method"], PaymentMethodForm, (Column("name", "Name"),),
                ("name",)),
    CatalogList(RECORD_TYPES["account"], AccountForm,
                (Column("name", "Name"), Column("number", "Number"),
                 Column("account_type", "Type")), ("name", "number")),
    CatalogList(RECORD_TYPES["organization_category"], OrganizationCategoryForm,
                (Column("name", "Name"),), ("name",)),
)}


def _kind(slug: str) -> CatalogList:
    return KINDS.get(slug) or abort(404)


def _count(kind: CatalogList, active_only: bool = False) -> int:
    stmt = select(func.count()).select_from(kind.model)
    if active_only:
        stmt = stmt.where(kind.model.active.is_(True))
    return db.session.scalar(stmt) or 0


@bp.get("/")
@manager_required
def index() -> str:
    """Every list with how many records it holds."""
    rows = [(kind, _count(kind), _count(kind, True) if kind.has_active else None)
            for kind in KINDS.values()]
    return render_template("catalog/index.html", rows=rows)


@bp.get("/<kind>")
@manager_required
def listing(kind: str) -> str:
    """One list, searchable and sortable, active records by default."""
    k = _kind(kind)
    stmt: Select[Any] = select(k.model)
    filters: dict[str, str] = {}
    if k.has_active:
        stmt, filters = active_filter(stmt, k.model)
    sorts = {c.attr: k.column(c.attr) for c in k.columns if c.sortable}
    page = paginate(stmt, search=[k.column(a) for a in k.search], sorts=sorts,
                    default_sort=k.name_attr, filters=filters)
    return render_listing("catalog/list.html", "catalog/_table.html", page=page, kind=k)


def _save(k: CatalogList, record: Any | None) -> Response | str:
    form = k.form(obj=record)
    if form.validate_on_submit():
        name_field = form[k.name_attr]
        if value_taken(k.column(k.name_attr), name_field.data,
                       record.id if record is not None else None):
            name_field.errors.append(f"Another {k.noun} already uses this "
                                     f"{name_field.label.text.lower()}.")
        else:
            if record is None:
                record = k.model()
                db.session.add(record)
            apply_form(form, record)
            db.session.commit()
            flash(f"{k.noun.capitalize()} “{k.label(record)}” saved.", "success")
            return redirect(url_for(".listing", kind=k.slug))
    return render_template("catalog/form.html", form=form, kind=k, record=record)


@bp.route("/<kind>/new", methods=["GET", "POST"])
@manager_required
def new(kind: str) -> Response | str:
    """Add a record to a list."""
    return _save(_kind(kind), None)


@bp.route("/<kind>/<int:record_id>", methods=["GET", "POST"])
@manager_required
def edit(kind: str, record_id: int) -> Response | str:
    """A list record, editable."""
    k = _kind(kind)
    return _save(k, db.session.get(k.model, record_id) or abort(404))
