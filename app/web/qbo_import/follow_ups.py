"""Post-import follow-ups: what QuickBooks could not provide, list by list, edited in place.

A list offers and saves only what the user may change elsewhere (logins and rates: the Company
Owner, as in the Associate Manager), and only for records still on the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import (
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    Organization,
    OrganizationCategory,
)
from app.permissions import is_owner, qbo_admin_required, qbo_owner_required
from app.web.forms import model_choices
from app.web.listing import paginate
from app.web.qbo_import.forms import (
    CategoryForm,
    DefaultRateForm,
    LoginForm,
    RatesForm,
    ReferenceForm,
)
from app.web.records import is_htmx


@dataclass(frozen=True)
class FollowUp:
    """One follow-up list: which records, how they are searched and edited."""

    key: str
    title: str
    hint: str
    model: type
    name_column: str
    where: Callable[[], list[Any]]
    form: type
    search: tuple[str, ...]
    # Logins and rates are edited by the Company Owner only, as in the Associate Manager.
    owner_only: bool = False

    def may_edit(self) -> bool:
        """True when the signed-in user may change this list's records (elsewhere too)."""
        return is_owner() if self.owner_only else True


def _rate_codes() -> list[Any]:
    return [BillingCode.kind == BillingCodeKind.HOURLY, BillingCode.active.is_(True),
            or_(BillingCode.default_rate.is_(None), BillingCode.default_rate == 0)]


FOLLOW_UPS: dict[str, FollowUp] = {f.key: f for f in (
    FollowUp("logins", "Associates without a login",
             "QuickBooks has no usernames or passwords: imported associates cannot log in "
             "until the Company Owner sets them.", Associate, "display_name",
             lambda: [Associate.active.is_(True),
                      or_(Associate.username.is_(None), Associate.password_hash.is_(None))],
             LoginForm, ("display_name", "email", "username"), owner_only=True),
    FollowUp("rates", "Associates without an hourly rate",
             "Hourly rates bill their time; fill them in before invoicing.", Associate,
             "display_name", lambda: [Associate.active.is_(True),
                                      Associate.hourly_rate.is_(None)],
             RatesForm, ("display_name", "email"), owner_only=True),
    FollowUp("codes", "Hourly billing codes without a rate",
             "QuickBooks items without a price: set the default hourly rate.", BillingCode,
             "code", _rate_codes, DefaultRateForm, ("code", "description")),
    FollowUp("references", "Clients without “Referred By” / “Act as Reference”",
             "QuickBooks does not keep these; answer them here.", Client, "name",
             lambda: [Client.active.is_(True), Client.is_inquiry.is_(False),
                      or_(Client.referred_by.is_(None), Client.referred_by == "",
                          Client.act_as_reference.is_(None))],
             ReferenceForm, ("name", "email")),
    FollowUp("vendors", "Uncategorized organizations",
             "Vendors arrive without a category. That is allowed; categorize them when "
             "useful.", Organization, "name",
             lambda: [Organization.active.is_(True), Organization.category_id.is_(None)],
             CategoryForm, ("name", "email")),
)}
ROW_ARG = {"logins": "associate_id", "rates": "associate_id", "codes": "billing_code_id",
           "references": "client_id", "vendors": "organization_id"}


def follow_up_counts() -> dict[str, int]:
    """How many records each follow-up list holds."""
    return {key: db.session.scalar(select(func.count(f.model.id)).where(*f.where())) or 0
            for key, f in FOLLOW_UPS.items()}


def follow_ups() -> str:
    """What QuickBooks could not provide, list by list, editable in place."""
    key = request.args.get("list", "logins")
    follow = FOLLOW_UPS.get(key) or FOLLOW_UPS["logins"]
    model = follow.model
    name = getattr(model, follow.name_column)
    page = paginate(select(model).where(*follow.where()),
                    search=[getattr(model, c) for c in follow.search],
                    sorts={"name": name}, default_sort="name", filters={"list": follow.key})
    editing = request.args.get("edit", type=int)
    context = {"follow": follow, "page": page, "counts": follow_up_counts(),
               "follow_ups": FOLLOW_UPS, "editing": editing,
               "forms": {r.id: _form_for(follow, r) for r in page.items
                         if r.id == editing and follow.may_edit()}}
    if is_htmx() and request.headers.get("HX-Target") == "listing":
        return render_template("qbo_import/_follow_up_table.html", **context)
    return render_template("qbo_import/follow_ups.html", **context)


def _form_for(follow: FollowUp, record: Any, formdata: Any = None) -> Any:
    """The edit form of one row, filled from the record (or the submitted data)."""
    prefix = f"r{record.id}"
    form = follow.form(formdata=formdata, obj=record if formdata is None else None,
                       prefix=prefix)
    if follow.key == "references" and formdata is None:
        form.act_as_reference.data = {True: "yes", False: "no"}.get(record.act_as_reference, "")
    if follow.key == "vendors":
        form.category_id.choices = model_choices(OrganizationCategory, blank="— uncategorized —")
        if formdata is None:
            form.category_id.data = record.category_id
    if follow.key == "logins" and formdata is None:
        form.password.data = None
    return form


def _on_list(follow: FollowUp, record_id: int) -> Any:
    """The record when it is (still) on the follow-up list, else None."""
    model = follow.model
    return db.session.scalars(select(model).where(model.id == record_id,
                                                  *follow.where())).first()


def _render_row(follow: FollowUp, record: Any, form: Any = None, saved: bool = False,
                gone: bool = False) -> str:
    return render_template("qbo_import/_follow_up_row.html", follow=follow, r=record,
                           form=form, editing=form is not None, saved=saved, gone=gone,
                           on_list=_on_list(follow, record.id) is not None,
                           row_arg=ROW_ARG[follow.key])


def _not_on_list(follow: FollowUp, record: Any) -> Response | str:
    """Answer an edit of a record the list no longer holds: nothing is changed."""
    if is_htmx():
        return _render_row(follow, record, gone=True)
    flash("That record is no longer on this follow-up list: nothing was changed.", "info")
    return redirect(url_for(".follow_ups", list=follow.key))


def _row(key: str, record_id: int) -> Response | str:
    follow = FOLLOW_UPS[key]
    record = db.session.get(follow.model, record_id) or abort(404)
    editing = request.args.get("edit") == "1"
    if editing and not follow.may_edit():
        abort(403)
    if editing and _on_list(follow, record.id) is None:
        return _not_on_list(follow, record)
    if not is_htmx():
        return redirect(url_for(".follow_ups", list=key, edit=record.id if editing else None))
    return _render_row(follow, record, _form_for(follow, record) if editing else None)


def _apply(follow: FollowUp, form: Any, record: Any) -> bool:
    """Copy a valid form onto the record; False (with a field error) leaves it untouched."""
    if follow.key == "logins":
        taken = db.session.scalar(select(Associate.id).where(
            func.lower(Associate.username) == form.username.data.lower(),
            Associate.id != record.id))
        if taken is not None:
            form.username.errors.append("Another associate already has this username.")
            return False
        record.username = form.username.data
        record.set_password(form.password.data)
    elif follow.key == "rates":
        record.hourly_rate = form.hourly_rate.data
        record.cost_rate = form.cost_rate.data
    elif follow.key == "codes":
        record.default_rate = form.default_rate.data
    elif follow.key == "references":
        record.referred_by = form.referred_by.data or None
        record.act_as_reference = {"yes": True, "no": False}.get(form.act_as_reference.data)
    elif follow.key == "vendors":
        record.category_id = form.category_id.data
    return True


def _save(key: str, record_id: int) -> Response | str:
    follow = FOLLOW_UPS[key]
    record = db.session.get(follow.model, record_id) or abort(404)
    if not follow.may_edit():
        abort(403)
    if _on_list(follow, record.id) is None:
        return _not_on_list(follow, record)
    form = _form_for(follow, record, formdata=request.form)
    if not (form.validate() and _apply(follow, form, record)):
        db.session.rollback()
        if is_htmx():
            return _render_row(follow, record, form)
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
        return redirect(url_for(".follow_ups", list=key, edit=record.id))
    db.session.commit()
    if is_htmx():
        return _render_row(follow, record, saved=True)
    flash("Saved.", "success")
    return redirect(url_for(".follow_ups", list=key))


def register(bp: Blueprint, prefix: str) -> None:
    """Add the follow-up page and each list's row and save routes to the blueprint."""
    bp.add_url_rule(f"{prefix}/follow-ups", "follow_ups", qbo_admin_required(follow_ups),
                    methods=["GET"])
    for key, arg in ROW_ARG.items():
        url = f"{prefix}/follow-ups/{key}/<int:{arg}>"

        def row_view(key: str = key, **values: int) -> Response | str:
            return _row(key, next(iter(values.values())))

        def save_view(key: str = key, **values: int) -> Response | str:
            return _save(key, next(iter(values.values())))

        row_view.__doc__ = f"One row of the {key} follow-up list (?edit=1: its edit form)."
        save_view.__doc__ = f"Save one row of the {key} follow-up list."
        guard = qbo_owner_required if FOLLOW_UPS[key].owner_only else qbo_admin_required
        bp.add_url_rule(url, f"follow_up_{key}", qbo_admin_required(row_view), methods=["GET"])
        bp.add_url_rule(url, f"follow_up_{key}_save", guard(save_view), methods=["POST"])
