"""Organization Manager: vendor organizations and their contacts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Contact, Organization, OrganizationCategory
from app.permissions import manager_required
from app.web.forms import party_name_clash
from app.web.lines import LineSection, RowForm
from app.web.listing import Listing, paginate, render_listing
from app.web.organizations.forms import ContactForm, OrganizationForm
from app.web.qbo_mappings.locks import currency_lock, refuse_currency_change
from app.web.records import apply_form

bp = Blueprint("organizations", __name__, url_prefix="/organizations")

SORTS = {
    "name": Organization.name,
    "email": Organization.email,
    "category": OrganizationCategory.name,
    "currency": Organization.currency,
    "created": Organization.created_at,
}


@bp.get("/")
@manager_required
def index() -> str:
    """All organizations, searchable, sortable, filtered by status and category."""
    found = listing()
    page = paginate(found.stmt, search=found.search, sorts=SORTS, default_sort="name",
                    filters=found.filters)
    categories = db.session.scalars(
        select(OrganizationCategory).order_by(OrganizationCategory.name)).all()
    return render_listing("organizations/index.html", "organizations/_table.html", page=page,
                          categories=categories)


def listing() -> Listing:
    """The organizations the listing shows for the request's filters."""
    return Listing.of("organization")


def _get(organization_id: int) -> Organization:
    return db.session.get(Organization, organization_id) or abort(404)


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new() -> Response | str:
    """Add an organization."""
    form = OrganizationForm()
    if form.validate_on_submit() and not party_name_clash(form.name, "organization", None):
        organization = Organization()
        apply_form(form, organization)
        db.session.add(organization)
        db.session.commit()
        flash(f"Organization “{organization.name}” added.", "success")
        return redirect(url_for(".edit", organization_id=organization.id))
    return render_template("organizations/form.html", form=form, organization=None)


class Contacts(LineSection[Organization, Contact]):
    """An organization's contacts."""

    fragment = "organizations/_contacts.html"
    anchor = "contacts"
    name = "organization"
    blueprint = "organizations"
    rows_endpoint = "contacts"
    row_endpoint = "contact_edit"
    delete_endpoint = "contact_delete"
    id_arg = "organization_id"
    row_arg = "contact_id"
    row_model = Contact
    parent_column = "organization_id"
    rows_attr = "contacts"
    positioned = False  # listed by name
    edit_prefix = "contact"

    def add_form_classes(self) -> dict[str, type[RowForm]]:
        """One form for a contact."""
        return {"contact": ContactForm}

    def edit_form_class(self, row: Contact) -> type[RowForm]:
        """The same form edits a contact."""
        return ContactForm

    def page(self, doc: Organization, **state: Any) -> str:
        """The organization page with its contacts in ``state``."""
        return _page(doc, **state)

    def added(self, row: Contact, kind: str) -> str:
        """Names the contact."""
        return f"Contact “{row.name}” added."

    def saved(self, row: Contact) -> str:
        """Names the contact."""
        return f"Contact “{row.name}” saved."

    def deleted(self, doc: Organization, row: Contact) -> str:
        """Names the contact."""
        return f"Contact “{row.name}” deleted."


CONTACTS = Contacts()


def _page(organization: Organization, form: OrganizationForm | None = None,
          **state: Any) -> str:
    """The organization page, with its contacts section in a given state."""
    return render_template(
        "organizations/form.html", form=form or OrganizationForm(obj=organization, formdata=None),
        currency_lock=currency_lock("organization", organization),
        **CONTACTS.context(organization, **state),
    )


@bp.route("/<int:organization_id>", methods=["GET", "POST"])
@manager_required
def edit(organization_id: int) -> Response | str:
    """An organization's details, editable, with its contacts."""
    organization = _get(organization_id)
    form = OrganizationForm(obj=organization)
    lock = currency_lock("organization", organization)
    if (form.validate_on_submit()
            and not party_name_clash(form.name, "organization", organization.id)
            and not refuse_currency_change(form, organization, lock)):
        apply_form(form, organization)
        db.session.commit()
        flash(f"Organization “{organization.name}” saved.", "success")
        return redirect(url_for(".edit", organization_id=organization.id))
    return _page(organization, form=form)


@bp.route("/<int:organization_id>/contacts", methods=["GET", "POST"])
@manager_required
def contacts(organization_id: int) -> Response | str:
    """The contacts section (GET), or add a contact to the organization (POST)."""
    organization = _get(organization_id)
    if request.method == "GET":
        return CONTACTS.show(organization)
    return CONTACTS.add(organization)


@bp.route("/<int:organization_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@manager_required
def contact_edit(organization_id: int, contact_id: int) -> Response | str:
    """Edit one contact in place."""
    organization = _get(organization_id)
    return CONTACTS.edit(organization, CONTACTS.row(organization, contact_id))


@bp.post("/<int:organization_id>/contacts/<int:contact_id>/delete")
@manager_required
def contact_delete(organization_id: int, contact_id: int) -> Response | str:
    """Delete a contact."""
    organization = _get(organization_id)
    return CONTACTS.delete(organization, CONTACTS.row(organization, contact_id))
