"""Admin -> Settings and Associates -> Associate Manager."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Associate, DistanceUnit, Integration, PermissionLevel
from app.permissions import company_settings, manager_required, owner_required
from app.web.admin.forms import AssociateForm, BasicSettingsForm
from app.web.auth.sessions import keep_current_session
from app.web.forms import party_name_clash
from app.web.listing import Listing, paginate, render_listing
from app.web.records import apply_form

bp = Blueprint("admin", __name__, url_prefix="/admin")

SORTS = {"name": Associate.display_name, "username": Associate.username,
         "rate": Associate.hourly_rate, "permission": Associate.permission}


@bp.route("/settings", methods=["GET", "POST"])
@owner_required
def settings() -> Response | str:
    """Company Owner settings, Section 1) Basic Settings."""
    row = company_settings()
    form = BasicSettingsForm(obj=row)
    if not form.is_submitted():
        form.integration.data = row.integration.value
        form.distance_unit.data = row.distance_unit.value
    if form.validate_on_submit():
        row.company_name = form.company_name.data
        row.home_currency = form.home_currency.data
        row.integration = Integration(form.integration.data)
        row.associates_self_push = form.associates_self_push.data
        row.distance_unit = DistanceUnit(form.distance_unit.data)
        db.session.commit()
        flash("Settings saved.", "success")
        return redirect(url_for(".settings"))
    return render_template("admin/settings.html", form=form)


@bp.get("/associates")
@manager_required
def associates() -> str:
    """Associate Manager: everyone at the firm."""
    found = associate_listing()
    page = paginate(found.stmt, search=found.search, sorts=SORTS, default_sort="name",
                    filters=found.filters)
    return render_listing("admin/associates.html", "admin/_associates_table.html", page=page)


def associate_listing() -> Listing:
    """The associates the listing shows for the request's filters."""
    return Listing.of("associate")


def _username_taken(username: str | None, exclude_id: int | None) -> bool:
    if not username:
        return False
    stmt = select(Associate.id).where(func.lower(Associate.username) == username.lower())
    if exclude_id:
        stmt = stmt.where(Associate.id != exclude_id)
    return db.session.scalar(stmt) is not None


def _save_associate(form: AssociateForm, person: Associate) -> bool:
    """Validate cross-record rules and copy the form; False leaves the record untouched."""
    if party_name_clash(form.display_name, "associate", person.id):
        return False
    if _username_taken(form.username.data, person.id):
        form.username.errors.append("Another associate already has this username.")
        return False
    if (person.id == current_user.id and person.is_owner
            and form.permission.data != PermissionLevel.OWNER.value):
        form.permission.errors.append("You cannot remove your own owner permission.")
        return False
    apply_form(form, person, exclude={"password", "password_confirm", "permission", "username"})
    person.username = form.username.data or None
    person.permission = PermissionLevel(form.permission.data)
    if form.password.data:
        person.set_password(form.password.data)
    return True


@bp.route("/associates/new", methods=["GET", "POST"])
@owner_required
def associate_new() -> Response | str:
    """Add an associate."""
    form = AssociateForm()
    person = Associate()
    if form.validate_on_submit() and _save_associate(form, person):
        db.session.add(person)
        db.session.commit()
        flash(f"Associate “{person.display_name}” added.", "success")
        return redirect(url_for(".associate_edit", associate_id=person.id))
    return render_template("admin/associate_form.html", form=form, person=None)


@bp.route("/associates/<int:associate_id>", methods=["GET", "POST"])
@owner_required
def associate_edit(associate_id: int) -> Response | str:
    """An associate's profile, permission level and QBO Admin flag."""
    person = db.session.get(Associate, associate_id) or abort(404)
    form = AssociateForm(obj=person)
    if not form.is_submitted():
        form.permission.data = person.permission.value
    if form.validate_on_submit() and _save_associate(form, person):
        db.session.commit()
        if form.password.data and person.id == current_user.id:
            keep_current_session(person)  # a new password ends the owner's other sessions
        flash(f"Associate “{person.display_name}” saved.", "success")
        return redirect(url_for(".associate_edit", associate_id=person.id))
    return render_template("admin/associate_form.html", form=form, person=person)


@bp.post("/associates/<int:associate_id>/unlock")
@owner_required
def associate_unlock(associate_id: int) -> Response:
    """Lift the lock-out after repeated failed logins."""
    person = db.session.get(Associate, associate_id) or abort(404)
    person.unlock()
    db.session.commit()
    flash(f"“{person.display_name}” can sign in again.", "success")
    return redirect(url_for(".associate_edit", associate_id=person.id))
