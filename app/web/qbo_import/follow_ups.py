"""Post-import follow-ups: what QuickBooks could not provide, list by list, edited in place.

A list offers and saves only what the user may change elsewhere (logins and rates: the Company
Owner, as in the Associate Manager), and only for records still on the list. Each list's form,
how it is filled and how it is saved are one entry of ``EDITORS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import OrganizationCategory
from app.permissions import is_owner, qbo_admin_required, qbo_owner_required
from app.sync import follow_ups as lists
from app.sync.follow_ups import FOLLOW_UPS, FollowUpList
from app.web.forms import model_choices
from app.web.listing import paginate
from app.web.qbo_import.common import PREFIX, bp
from app.web.qbo_import.forms import (
    CategoryForm,
    DefaultRateForm,
    LoginForm,
    RatesForm,
    ReferenceForm,
)
from app.web.records import is_htmx

URL = f"{PREFIX}/follow-ups"
YES_NO = {True: "yes", False: "no"}


@dataclass(frozen=True)
class Editor:
    """How one list's rows are edited: the form, how it is filled, how it is saved."""

    form: type
    # Copies a valid form onto the record; False (with a field error) leaves it untouched.
    save: Callable[[Any, Any], bool]
    fill: Callable[[Any, Any], None] = lambda form, record: None  # from the record, unposted
    choices: Callable[[Any], None] = lambda form: None  # options every form needs


def _save_login(form: Any, record: Any) -> bool:
    error = lists.set_login(db.session, record, form.username.data, form.password.data)
    if error is not None:
        form.username.errors.append(error)
    return error is None


def _fill_login(form: Any, _record: Any) -> None:
    form.password.data = None


def _save_rates(form: Any, record: Any) -> bool:
    lists.set_rates(record, form.hourly_rate.data, form.cost_rate.data)
    return True


def _save_code(form: Any, record: Any) -> bool:
    lists.set_default_rate(record, form.default_rate.data)
    return True


def _save_reference(form: Any, record: Any) -> bool:
    answer = {"yes": True, "no": False}.get(form.act_as_reference.data)
    lists.set_reference(record, form.referred_by.data, answer)
    return True


def _fill_reference(form: Any, record: Any) -> None:
    form.act_as_reference.data = YES_NO.get(record.act_as_reference, "")


def _save_category(form: Any, record: Any) -> bool:
    lists.set_category(record, form.category_id.data)
    return True


def _category_choices(form: Any) -> None:
    form.category_id.choices = model_choices(OrganizationCategory, blank="— uncategorized —")


def _fill_category(form: Any, record: Any) -> None:
    form.category_id.data = record.category_id


EDITORS: dict[str, Editor] = {
    "logins": Editor(LoginForm, _save_login, fill=_fill_login),
    "rates": Editor(RatesForm, _save_rates),
    "codes": Editor(DefaultRateForm, _save_code),
    "references": Editor(ReferenceForm, _save_reference, fill=_fill_reference),
    "vendors": Editor(CategoryForm, _save_category, fill=_fill_category,
                      choices=_category_choices),
}


def may_edit(follow: FollowUpList) -> bool:
    """True when the signed-in user may change this list's records (elsewhere too)."""
    return is_owner() if follow.owner_only else True


def _form_for(follow: FollowUpList, record: Any, formdata: Any = None) -> Any:
    """The edit form of one row, filled from the record (or the submitted data)."""
    editor = EDITORS[follow.key]
    form = editor.form(formdata=formdata, obj=record if formdata is None else None,
                       prefix=f"r{record.id}")
    editor.choices(form)
    if formdata is None:
        editor.fill(form, record)
    return form


@bp.get(URL)
@qbo_admin_required
def follow_ups() -> str:
    """What QuickBooks could not provide, list by list, editable in place."""
    follow = FOLLOW_UPS.get(request.args.get("list", "logins")) or FOLLOW_UPS["logins"]
    model = follow.model
    page = paginate(select(model).where(*follow.where()),
                    search=[getattr(model, c) for c in follow.search],
                    sorts={"name": getattr(model, follow.name_column)}, default_sort="name",
                    filters={"list": follow.key})
    editing = request.args.get("edit", type=int)
    context = {"follow": follow, "page": page, "counts": lists.counts(db.session),
               "follow_ups": FOLLOW_UPS, "editing": editing, "may_edit": may_edit,
               "forms": {r.id: _form_for(follow, r) for r in page.items
                         if r.id == editing and may_edit(follow)}}
    if is_htmx() and request.headers.get("HX-Target") == "listing":
        return render_template("qbo_import/_follow_up_table.html", **context)
    return render_template("qbo_import/follow_ups.html", **context)


def _render_row(follow: FollowUpList, record: Any, form: Any = None, saved: bool = False,
                gone: bool = False) -> str:
    return render_template("qbo_import/_follow_up_row.html", follow=follow, r=record,
                           form=form, editing=form is not None, saved=saved, gone=gone,
                           may_edit=may_edit,
                           on_list=lists.on_list(db.session, follow, record.id) is not None)


def _not_on_list(follow: FollowUpList, record: Any) -> Response | str:
    """Answer an edit of a record the list no longer holds: nothing is changed."""
    if is_htmx():
        return _render_row(follow, record, gone=True)
    flash("That record is no longer on this follow-up list: nothing was changed.", "info")
    return redirect(url_for(".follow_ups", list=follow.key))


def _row(key: str, record_id: int) -> Response | str:
    """One row shown, or (``?edit=1``) its edit form."""
    follow = FOLLOW_UPS[key]
    record: Any = db.session.get(follow.model, record_id) or abort(404)
    editing = request.args.get("edit") == "1"
    if editing and not may_edit(follow):
        abort(403)
    if editing and lists.on_list(db.session, follow, record.id) is None:
        return _not_on_list(follow, record)
    if not is_htmx():
        return redirect(url_for(".follow_ups", list=key, edit=record.id if editing else None))
    return _render_row(follow, record, _form_for(follow, record) if editing else None)


def _invalid(follow: FollowUpList, record: Any, form: Any) -> Response | str:
    """Nothing saved: the row again with its errors (or the errors flashed)."""
    db.session.rollback()
    if is_htmx():
        return _render_row(follow, record, form)
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "danger")
    return redirect(url_for(".follow_ups", list=follow.key, edit=record.id))


def _save(key: str, record_id: int) -> Response | str:
    """Save one row when it is still on its list; a row no longer listed is left as it is."""
    follow = FOLLOW_UPS[key]
    record: Any = db.session.get(follow.model, record_id) or abort(404)
    if not may_edit(follow):
        abort(403)
    if lists.on_list(db.session, follow, record.id) is None:
        return _not_on_list(follow, record)
    form = _form_for(follow, record, formdata=request.form)
    if not (form.validate() and EDITORS[key].save(form, record)):
        return _invalid(follow, record, form)
    db.session.commit()
    if is_htmx():
        return _render_row(follow, record, saved=True)
    flash("Saved.", "success")
    return redirect(url_for(".follow_ups", list=key))


# ---------------------------------------------------------------- one row and its save, per list
# Logins and rates are saved by the Company Owner only; every list's rows are shown to QBO admins.


@bp.get(f"{URL}/logins/<int:associate_id>")
@qbo_admin_required
def follow_up_logins(associate_id: int) -> Response | str:
    """One row of the logins follow-up list (?edit=1: its edit form)."""
    return _row("logins", associate_id)


@bp.post(f"{URL}/logins/<int:associate_id>")
@qbo_owner_required
def follow_up_logins_save(associate_id: int) -> Response | str:
    """Save one row of the logins follow-up list."""
    return _save("logins", associate_id)


@bp.get(f"{URL}/rates/<int:associate_id>")
@qbo_admin_required
def follow_up_rates(associate_id: int) -> Response | str:
    """One row of the rates follow-up list (?edit=1: its edit form)."""
    return _row("rates", associate_id)


@bp.post(f"{URL}/rates/<int:associate_id>")
@qbo_owner_required
def follow_up_rates_save(associate_id: int) -> Response | str:
    """Save one row of the rates follow-up list."""
    return _save("rates", associate_id)


@bp.get(f"{URL}/codes/<int:billing_code_id>")
@qbo_admin_required
def follow_up_codes(billing_code_id: int) -> Response | str:
    """One row of the codes follow-up list (?edit=1: its edit form)."""
    return _row("codes", billing_code_id)


@bp.post(f"{URL}/codes/<int:billing_code_id>")
@qbo_admin_required
def follow_up_codes_save(billing_code_id: int) -> Response | str:
    """Save one row of the codes follow-up list."""
    return _save("codes", billing_code_id)


@bp.get(f"{URL}/references/<int:client_id>")
@qbo_admin_required
def follow_up_references(client_id: int) -> Response | str:
    """One row of the references follow-up list (?edit=1: its edit form)."""
    return _row("references", client_id)


@bp.post(f"{URL}/references/<int:client_id>")
@qbo_admin_required
def follow_up_references_save(client_id: int) -> Response | str:
    """Save one row of the references follow-up list."""
    return _save("references", client_id)


@bp.get(f"{URL}/vendors/<int:organization_id>")
@qbo_admin_required
def follow_up_vendors(organization_id: int) -> Response | str:
    """One row of the vendors follow-up list (?edit=1: its edit form)."""
    return _row("vendors", organization_id)


@bp.post(f"{URL}/vendors/<int:organization_id>")
@qbo_admin_required
def follow_up_vendors_save(organization_id: int) -> Response | str:
    """Save one row of the vendors follow-up list."""
    return _save("vendors", organization_id)
