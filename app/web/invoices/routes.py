"""Invoice Manager: list, add and edit invoices and their lines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import (
    Client,
    EntryStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentTerm,
)
from app.permissions import manager_required
from app.qbo.connection import current_connection
from app.sync.tax import TAX_CALCULATIONS, default_tax_calculation
from app.web.forms import home_currency
from app.web.invoices.entries import line_for_entry, open_entries, reopen_entry, time_states
from app.web.invoices.forms import LINE_FORMS, InvoiceForm
from app.web.lines import LineSection, RowForm
from app.web.listing import Listing, paginate, render_listing
from app.web.qbo_push.targets import qbo_state
from app.web.records import apply_form, next_number, value_taken

bp = Blueprint("invoices", __name__, url_prefix="/invoices")

SORTS = {
    "number": Invoice.number,
    "date": Invoice.issue_date,
    "due": Invoice.due_date,
    "client": Client.name,
    "status": Invoice.status,
}
FINAL_MESSAGE = "This invoice is final and cannot be changed. Move it back to draft first."


@bp.get("/")
@manager_required
def index() -> str:
    """All invoices, searchable by number or client, filtered by status."""
    found = listing()
    # Everything a row shows or its QBO badge compares, loaded for the whole page at once: one
    # statement each however many lines, codes and associates the page has.
    lines = selectinload(Invoice.lines)
    stmt = found.stmt.options(lines.selectinload(InvoiceLine.billing_code),
                              lines.selectinload(InvoiceLine.associate),
                              selectinload(Invoice.tax_code), selectinload(Invoice.client))
    page = paginate(stmt, search=found.search, sorts=SORTS, default_sort="date",
                    default_direction="desc", filters=found.filters)
    return render_listing("invoices/index.html", "invoices/_table.html", page=page)


def listing() -> Listing:
    """The invoices the listing shows for the request's filters."""
    return Listing.of("invoice")


def _get(invoice_id: int) -> Invoice:
    return db.session.get(Invoice, invoice_id) or abort(404)


def _save_header(form: InvoiceForm, invoice: Invoice) -> bool:
    """Copy a valid form onto the invoice, filling blanks from the client; False if invalid."""
    if value_taken(Invoice.number, form.number.data, invoice.id):
        form.number.errors.append("Another invoice already has this number.")
        return False
    is_new = invoice.id is None
    apply_form(form, invoice)
    client = db.session.get(Client, form.client_id.data)
    if is_new and client is not None:
        invoice.payment_term_id = invoice.payment_term_id or client.payment_term_id
        invoice.tax_code_id = invoice.tax_code_id or client.tax_code_id
        invoice.currency = invoice.currency or client.currency
    invoice.currency = invoice.currency or home_currency()
    term = db.session.get(PaymentTerm, invoice.payment_term_id or 0)
    if invoice.due_date is None and term is not None:
        invoice.due_date = invoice.issue_date + timedelta(days=term.due_days)
    return True


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new() -> Response | str:
    """Create a draft invoice."""
    form = InvoiceForm(new=True, global_tax=default_tax_calculation(db.session))
    if not form.is_submitted():
        form.number.data = next_number(Invoice.number)
        form.issue_date.data = date.today()
        form.currency.data = ""
        form.client_id.data = request.args.get("client_id", type=int)
    if form.validate_on_submit():
        invoice = Invoice(status=InvoiceStatus.DRAFT)
        if _save_header(form, invoice):
            db.session.add(invoice)
            db.session.commit()
            flash(f"Invoice {invoice.number} created. Add its lines below.", "success")
            return redirect(url_for(".edit", invoice_id=invoice.id))
    return render_template("invoices/new.html", form=form)


class InvoiceLines(LineSection[Invoice, InvoiceLine]):
    """An invoice's lines: hours, expenses and mileage; only a draft's lines change."""

    fragment = "invoices/_lines.html"
    anchor = "invoice-lines"
    blueprint = "invoices"
    id_arg = "invoice_id"
    name = "invoice"
    row_model = InvoiceLine
    parent_column = "invoice_id"

    def add_form_classes(self) -> dict[str, type[RowForm]]:
        """One add form per line kind (tabs), hours first."""
        return {kind.value: cls for kind, cls in LINE_FORMS.items()}

    def edit_form_class(self, row: InvoiceLine) -> type[RowForm]:
        """The form of the line's kind."""
        return LINE_FORMS[row.kind]

    def page(self, doc: Invoice, **state: Any) -> str:
        """The invoice page with its lines in ``state``."""
        return _page(doc, **state)

    def extra_context(self, doc: Invoice) -> dict[str, Any]:
        """Currencies, tax treatment, billed-time states and the QuickBooks copy."""
        return {"home_currency": _home_currency(), "tax_calculations": TAX_CALCULATIONS,
                "time_states": time_states(doc), "invoice_qbo": qbo_state("invoice", doc)}

    def locked(self, doc: Invoice) -> str | None:
        """A final invoice's lines are fixed."""
        return FINAL_MESSAGE if doc.status == InvoiceStatus.FINAL else None

    def added(self, row: InvoiceLine, kind: str) -> str:
        """Names the kind of line added."""
        return f"{kind.capitalize()} line added."

    def deleted(self, doc: Invoice, row: InvoiceLine) -> str:
        """The hours, expense or mileage entry the line billed is open again."""
        reopened = reopen_entry(row)
        return "Line deleted." + (" Its entry is open again." if reopened else "")


LINES = InvoiceLines()


def _home_currency() -> str:
    """The connected QBO company's home currency, else the firm's setting."""
    connection = current_connection(db.session)
    if connection is not None and connection.home_currency:
        return connection.home_currency
    return home_currency()


def _page(invoice: Invoice, form: InvoiceForm | None = None, **state: Any) -> str:
    """The invoice page: header form (drafts) or summary (final), and the lines section."""
    if form is None and invoice.status == InvoiceStatus.DRAFT:
        form = InvoiceForm(obj=invoice, formdata=None,
                           global_tax=default_tax_calculation(db.session))
    return render_template("invoices/edit.html", form=form, **LINES.context(invoice, **state))


@bp.route("/<int:invoice_id>", methods=["GET", "POST"])
@manager_required
def edit(invoice_id: int) -> Response | str:
    """An invoice with its lines and totals; the header is editable while a draft."""
    invoice = _get(invoice_id)
    if request.method == "POST" and invoice.status == InvoiceStatus.FINAL:
        flash(FINAL_MESSAGE, "warning")
        return redirect(url_for(".edit", invoice_id=invoice.id))
    form = (InvoiceForm(obj=invoice, global_tax=default_tax_calculation(db.session))
            if invoice.status == InvoiceStatus.DRAFT else None)
    if form is not None and form.validate_on_submit() and _save_header(form, invoice):
        db.session.commit()
        flash(f"Invoice {invoice.number} saved.", "success")
        return redirect(url_for(".edit", invoice_id=invoice.id))
    return _page(invoice, form=form)


@bp.route("/<int:invoice_id>/lines", methods=["GET", "POST"])
@manager_required
def lines(invoice_id: int) -> Response | str:
    """The lines section (GET), or add a line of the posted ``kind`` (POST)."""
    invoice = _get(invoice_id)
    if request.method == "GET":
        return LINES.show(invoice)
    return LINES.add(invoice, request.form.get("kind"))


@bp.route("/<int:invoice_id>/lines/<int:line_id>", methods=["GET", "POST"])
@manager_required
def line_edit(invoice_id: int, line_id: int) -> Response | str:
    """Edit one line in place."""
    invoice = _get(invoice_id)
    return LINES.edit(invoice, LINES.row(invoice, line_id))


@bp.post("/<int:invoice_id>/lines/<int:line_id>/delete")
@manager_required
def line_delete(invoice_id: int, line_id: int) -> Response | str:
    """Delete one line; the entry it billed is open again."""
    invoice = _get(invoice_id)
    return LINES.delete(invoice, LINES.row(invoice, line_id))


@bp.post("/<int:invoice_id>/open-hours")
@manager_required
def add_open_hours(invoice_id: int) -> Response | str:
    """Bill the client's open billable hours, expenses and mileage as lines; mark them invoiced."""
    invoice = _get(invoice_id)
    if (why := LINES.locked(invoice)) is not None:
        return LINES.respond(invoice, error=why)
    found = open_entries(invoice.client_id)
    position = max((line.position for line in invoice.lines), default=0)
    for offset, (_, entry) in enumerate(found, start=1):
        invoice.lines.append(line_for_entry(entry, position + offset))
        entry.status = EntryStatus.INVOICED
    db.session.commit()
    counts = {noun: sum(1 for kind, _ in found if kind == noun)
              for noun in ("hours", "expense", "mileage")}
    parts = [f"{counts['hours']} from hours"] if counts["hours"] else []
    parts += [f"{counts['expense']} from expenses"] if counts["expense"] else []
    parts += [f"{counts['mileage']} from mileage"] if counts["mileage"] else []
    message = (f"Added {len(found)} line{'' if len(found) == 1 else 's'}: {', '.join(parts)}."
               if found else f"{invoice.client.name} has no open billable hours, expenses "
               "or mileage.")
    return LINES.respond(invoice, message=message)


@bp.post("/<int:invoice_id>/final")
@manager_required
def finalize(invoice_id: int) -> Response:
    """Mark a draft invoice final: from now on it cannot be edited."""
    invoice = _get(invoice_id)
    if invoice.status == InvoiceStatus.FINAL:
        flash(f"Invoice {invoice.number} is already final.", "info")
    elif not invoice.lines:
        flash("Add at least one line before marking the invoice final.", "warning")
    else:
        invoice.status = InvoiceStatus.FINAL
        db.session.commit()
        flash(f"Invoice {invoice.number} is final.", "success")
    return redirect(url_for(".edit", invoice_id=invoice.id))


@bp.post("/<int:invoice_id>/draft")
@manager_required
def reopen(invoice_id: int) -> Response:
    """Move a final invoice back to draft so it can be edited again."""
    invoice = _get(invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        invoice.status = InvoiceStatus.DRAFT
        db.session.commit()
        qbo = qbo_state("invoice", invoice)
        if qbo.link is not None and qbo.link.qbo_id:
            flash(f"Invoice {invoice.number} is a draft again. QuickBooks keeps its copy "
                  f"(#{qbo.link.qbo_id}) as it was: your edits show as changed, and once the "
                  "invoice is final again Add QBO updates that copy.", "warning")
        else:
            flash(f"Invoice {invoice.number} is a draft again.", "success")
    return redirect(url_for(".edit", invoice_id=invoice.id))
