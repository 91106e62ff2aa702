"""Client Manager: list, add and edit clients."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Client
from app.permissions import manager_required
from app.web.clients.forms import ClientForm
from app.web.forms import party_name_clash
from app.web.listing import Listing, paginate, render_listing
from app.web.qbo_mappings.locks import currency_lock, refuse_currency_change
from app.web.records import apply_form

bp = Blueprint("clients", __name__, url_prefix="/clients")

SORTS = {
    "name": Client.name,
    "email": Client.email,
    "currency": Client.currency,
    "created": Client.created_at,
}


@bp.get("/")
@manager_required
def index() -> str:
    """All clients, searchable and sortable."""
    found = listing()
    page = paginate(found.stmt, search=found.search, sorts=SORTS, default_sort="name",
                    filters=found.filters)
    return render_listing("clients/index.html", "clients/_table.html", page=page)


def listing() -> Listing:
    """The clients the listing shows for the request's filters."""
    return Listing.of("client")


def _save(form: ClientForm, client: Client) -> None:
    apply_form(form, client, exclude={"is_company", "act_as_reference"})
    client.is_company = form.is_company.data == "1"
    client.act_as_reference = {"1": True, "0": False}.get(form.act_as_reference.data)


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new() -> Response | str:
    """Add a client."""
    form = ClientForm()
    if form.validate_on_submit() and not party_name_clash(form.name, "client", None):
        client = Client()
        _save(form, client)
        db.session.add(client)
        db.session.commit()
        flash(f"Client “{client.name}” added.", "success")
        return redirect(url_for(".edit", client_id=client.id))
    return render_template("clients/form.html", form=form, client=None)


@bp.route("/<int:client_id>", methods=["GET", "POST"])
@manager_required
def edit(client_id: int) -> Response | str:
    """A client's details, editable."""
    client = db.session.get(Client, client_id) or abort(404)
    form = ClientForm(obj=client)
    if not form.is_submitted():
        form.is_company.data = "1" if client.is_company else "0"
        form.act_as_reference.data = {True: "1", False: "0", None: ""}[client.act_as_reference]
    lock = currency_lock("client", client)
    if (form.validate_on_submit() and not party_name_clash(form.name, "client", client.id)
            and not refuse_currency_change(form, client, lock)):
        _save(form, client)
        db.session.commit()
        flash(f"Client “{client.name}” saved.", "success")
        return redirect(url_for(".edit", client_id=client.id))
    return render_template("clients/form.html", form=form, client=client, currency_lock=lock)


@bp.post("/<int:client_id>/convert")
@manager_required
def convert(client_id: int) -> Response:
    """An inquiry becomes a customer: from now on it can be invoiced and copied to QBO."""
    client = db.session.get(Client, client_id) or abort(404)
    if client.is_inquiry:
        client.is_inquiry = False
        db.session.commit()
        flash(f"“{client.name}” is now a customer.", "success")
    else:
        flash(f"“{client.name}” is already a customer.", "info")
    return redirect(url_for(".edit", client_id=client.id))
