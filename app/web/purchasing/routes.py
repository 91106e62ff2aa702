"""Purchase orders to vendor organizations: list, add, edit, and their lines."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Organization, POLine, POStatus, PurchaseOrder
from app.permissions import manager_required
from app.web.forms import home_currency
from app.web.lines import LineSection, RowForm
from app.web.listing import Listing, paginate, render_listing
from app.web.purchasing.forms import POLineForm, PurchaseOrderForm
from app.web.records import apply_form, next_number, value_taken

bp = Blueprint("purchasing", __name__, url_prefix="/purchase-orders")

SORTS = {
    "number": PurchaseOrder.number,
    "date": PurchaseOrder.order_date,
    "organization": Organization.name,
    "status": PurchaseOrder.status,
}
CLOSED_MESSAGE = "This purchase order is closed. Reopen it to change its lines."


@bp.get("/")
@manager_required
def index() -> str:
    """All purchase orders, searchable by number or organization, filtered by status."""
    found = listing()
    page = paginate(found.stmt.options(selectinload(PurchaseOrder.lines)), search=found.search,
                    sorts=SORTS, default_sort="date", default_direction="desc",
                    filters=found.filters)
    return render_listing("purchasing/index.html", "purchasing/_table.html", page=page)


def listing() -> Listing:
    """The purchase orders the listing shows for the request's filters."""
    return Listing.of("purchase_order")


def _get(po_id: int) -> PurchaseOrder:
    return db.session.get(PurchaseOrder, po_id) or abort(404)


def _save_header(form: PurchaseOrderForm, po: PurchaseOrder) -> bool:
    """Copy a valid form onto the order (blank currency: the organization's); False if not."""
    if value_taken(PurchaseOrder.number, form.number.data, po.id):
        form.number.errors.append("Another purchase order already has this number.")
        return False
    apply_form(form, po)
    if not po.currency:
        organization = db.session.get(Organization, form.organization_id.data)
        po.currency = organization.currency if organization is not None else home_currency()
    return True


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new() -> Response | str:
    """Create a purchase order."""
    form = PurchaseOrderForm(new=True)
    if not form.is_submitted():
        form.number.data = next_number(PurchaseOrder.number, start="1001")
        form.order_date.data = date.today()
        form.currency.data = ""
        form.organization_id.data = request.args.get("organization_id", type=int)
    if form.validate_on_submit():
        po = PurchaseOrder()
        if _save_header(form, po):
            db.session.add(po)
            db.session.commit()
            flash(f"Purchase order {po.number} created. Add its lines below.", "success")
            return redirect(url_for(".edit", po_id=po.id))
    return render_template("purchasing/new.html", form=form)


class OrderLines(LineSection[PurchaseOrder, POLine]):
    """A purchase order's lines, each on a billing code or an account; fixed once closed."""

    fragment = "purchasing/_lines.html"
    anchor = "po-lines"
    blueprint = "purchasing"
    row_arg = "po_line_id"
    id_arg = "po_id"
    name = "po"
    row_model = POLine
    parent_column = "purchase_order_id"

    def add_form_classes(self) -> dict[str, type[RowForm]]:
        """One kind of line."""
        return {"new": POLineForm}

    def edit_form_class(self, row: POLine) -> type[RowForm]:
        """The same form edits a line."""
        return POLineForm

    def page(self, doc: PurchaseOrder, **state: Any) -> str:
        """The order page with its lines in ``state``."""
        return _page(doc, **state)

    def locked(self, doc: PurchaseOrder) -> str | None:
        """A closed order's lines are fixed."""
        return CLOSED_MESSAGE if doc.status == POStatus.CLOSED else None


LINES = OrderLines()


def _page(po: PurchaseOrder, form: PurchaseOrderForm | None = None, **state: Any) -> str:
    return render_template("purchasing/edit.html",
                           form=form or PurchaseOrderForm(obj=po, formdata=None),
                           **LINES.context(po, **state))


@bp.route("/<int:po_id>", methods=["GET", "POST"])
@manager_required
def edit(po_id: int) -> Response | str:
    """A purchase order with its lines and total; the header stays editable."""
    po = _get(po_id)
    form = PurchaseOrderForm(obj=po)
    if form.validate_on_submit() and _save_header(form, po):
        db.session.commit()
        flash(f"Purchase order {po.number} saved.", "success")
        return redirect(url_for(".edit", po_id=po.id))
    return _page(po, form=form)


@bp.route("/<int:po_id>/lines", methods=["GET", "POST"])
@manager_required
def lines(po_id: int) -> Response | str:
    """The lines section (GET), or add a line (POST)."""
    po = _get(po_id)
    return LINES.show(po) if request.method == "GET" else LINES.add(po)


@bp.route("/<int:po_id>/lines/<int:po_line_id>", methods=["GET", "POST"])
@manager_required
def line_edit(po_id: int, po_line_id: int) -> Response | str:
    """Edit one line in place."""
    po = _get(po_id)
    return LINES.edit(po, LINES.row(po, po_line_id))


@bp.post("/<int:po_id>/lines/<int:po_line_id>/delete")
@manager_required
def line_delete(po_id: int, po_line_id: int) -> Response | str:
    """Delete one line."""
    po = _get(po_id)
    return LINES.delete(po, LINES.row(po, po_line_id))
