"""Lists: one set of views for every list, parametrised by a small description per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import (
    Account,
    BillingCode,
    OrganizationCategory,
    PaymentMethod,
    PaymentTerm,
    TaxCode,
    TxnClass,
)
from app.money import format_money
from app.permissions import manager_required
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
class ListKind:
    """One list and what differs between lists."""

    slug: str
    title: str
    noun: str
    model: type
    form: type[FlaskForm]
    name_attr: str
    columns: tuple[Column, ...]
    search: tuple[str, ...]
    entity: str

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


KINDS: dict[str, ListKind] = {k.slug: k for k in (
    ListKind("billing-codes", "Billing codes", "billing code", BillingCode, BillingCodeForm,
             "code", (Column("code", "Code"), Column("kind", "Used for"),
                      Column("description", "Description", sortable=False),
                      Column("default_rate", "Default rate", money=True),
                      Column("taxable", "Taxable")),
             ("code", "description"), "billing_code"),
    ListKind("payment-terms", "Payment terms", "payment term", PaymentTerm, PaymentTermForm,
             "name", (Column("name", "Name"), Column("due_days", "Due in (days)")), ("name",),
             "payment_term"),
    ListKind("classes", "Classes", "class", TxnClass, TxnClassForm, "name",
             (Column("name", "Name"),), ("name",), "txn_class"),
    ListKind("tax-codes", "Tax codes", "tax code", TaxCode, TaxCodeForm, "code",
             (Column("code", "Code"), Column("name", "Name"), Column("rate_percent", "Rate (%)"),
              Column("taxable", "Taxable")), ("code", "name"), "tax_code"),
    ListKind("payment-methods", "Payment methods", "payment method", PaymentMethod,
             PaymentMethodForm, "name", (Column("name", "Name"),), ("name",), "payment_method"),
    ListKind("accounts", "Accounts", "account", Account, AccountForm, "name",
             (Column("name", "Name"), Column("number", "Number"),
              Column("account_type", "Type")), ("name", "number"), "account"),
    ListKind("organization-categories", "Organization categories", "organization category",
             OrganizationCategory, OrganizationCategoryForm, "name", (Column("name", "Name"),),
             ("name",), "organization_category"),
)}


def _kind(slug: str) -> ListKind:
    return KINDS.get(slug) or abort(404)


def _count(kind: ListKind, active_only: bool = False) -> int:
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
    stmt, filters = select(k.model), {}
    if k.has_active:
        stmt, filters = active_filter(stmt, k.model)
    sorts = {c.attr: k.column(c.attr) for c in k.columns if c.sortable}
    page = paginate(stmt, search=[k.column(a) for a in k.search], sorts=sorts,
                    default_sort=k.name_attr, filters=filters)
    return render_listing("catalog/list.html", "catalog/_table.html", page=page, kind=k)


def _save(k: ListKind, record: Any | None) -> Response | str:
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
