"""Organization Manager: vendor organizations and their contacts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Contact, Organization, OrganizationCategory
from app.permissions import manager_required
from app.web.forms import party_name_clash
from app.web.listing import Listing, paginate, render_listing
from app.web.organizations.forms import ContactForm, OrganizationForm
from app.web.qbo_mappings.locks import currency_lock, refuse_currency_change
from app.web.records import apply_form, child_or_404, is_htmx

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


def _page(organization: Organization, form: OrganizationForm | None = None,
          contact_form: ContactForm | None = None, editing: Contact | None = None,
          edit_form: ContactForm | None = None) -> str:
    """The organization page, with its contacts section in a given state."""
    return render_template(
        "organizations/form.html", form=form or OrganizationForm(obj=organization, formdata=None),
        currency_lock=currency_lock("organization", organization),
        **_contacts_context(organization, contact_form, editing, edit_form),
    )


def _contacts_context(organization: Organization, contact_form: ContactForm | None = None,
                      editing: Contact | None = None,
                      edit_form: ContactForm | None = None) -> dict:
    if editing is not None and edit_form is None:
        edit_form = ContactForm(obj=editing, prefix=f"contact-{editing.id}")
    return {
        "organization": organization,
        "contact_form": contact_form or ContactForm(prefix="contact", formdata=None),
        "editing": editing,
        "edit_form": edit_form,
    }


def _contacts(organization: Organization, **state: object) -> Response | str:
    """The contacts fragment for HTMX, the organization page otherwise."""
    if is_htmx():
        return render_template("organizations/_contacts.html",
                               **_contacts_context(organization, **state))  # type: ignore[arg-type]
    return _page(organization, **state)  # type: ignore[arg-type]


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
        return _contacts(organization)
    form = ContactForm(prefix="contact")
    if not form.validate_on_submit():
        return _contacts(organization, contact_form=form)
    contact = Contact(organization=organization)
    apply_form(form, contact)
    db.session.add(contact)
    db.session.commit()
    if is_htmx():
        return _contacts(organization)
    flash(f"Contact “{contact.name}” added.", "success")
    return redirect(url_for(".edit", organization_id=organization.id) + "#contacts")


def _contact(organization: Organization, contact_id: int) -> Contact:
    return child_or_404(Contact, contact_id, "organization_id", organization.id)


@bp.route("/<int:organization_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@manager_required
def contact_edit(organization_id: int, contact_id: int) -> Response | str:
    """Edit one contact in place."""
    organization = _get(organization_id)
    contact = _contact(organization, contact_id)
    form = ContactForm(obj=contact, prefix=f"contact-{contact.id}")
    if not form.validate_on_submit():
        return _contacts(organization, editing=contact, edit_form=form)
    apply_form(form, contact)
    db.session.commit()
    if is_htmx():
        return _contacts(organization)
    flash(f"Contact “{contact.name}” saved.", "success")
    return redirect(url_for(".edit", organization_id=organization.id) + "#contacts")


@bp.post("/<int:organization_id>/contacts/<int:contact_id>/delete")
@manager_required
def contact_delete(organization_id: int, contact_id: int) -> Response | str:
    """Delete a contact."""
    organization = _get(organization_id)
    contact = _contact(organization, contact_id)
    name = contact.name
    db.session.delete(contact)
    db.session.commit()
    db.session.refresh(organization)
    if is_htmx():
        return _contacts(organization)
    flash(f"Contact “{name}” deleted.", "success")
    return redirect(url_for(".edit", organization_id=organization.id) + "#contacts")
