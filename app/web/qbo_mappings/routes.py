"""Admin -> QuickBooks Online Settings: mappings, defaults, go-live readiness, exchange rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.countries import spelled
from app.extensions import db
from app.models import CompanySettings, ExchangeRate, QboConnection, QboObject
from app.money import format_percent
from app.permissions import qbo_admin_required
from app.qbo.connection import current_connection, is_us
from app.sync import mappings as maps
from app.sync import readiness as go_live
from app.sync import sales_tax
from app.sync.currency import RateError, add_rate, parse_rate
from app.sync.mappings import DEFAULT_KEYS, MappingError
from app.sync.registry import MAPPED_LISTS, RecordType, by_slug
from app.sync.tax import qbo_percent, rate_difference
from app.web.forms import CURRENCIES, MAX_ID, company_country

bp = Blueprint("qbo_mappings", __name__, url_prefix="/admin/qbo/settings")

NOT_CONNECTED = "Connect to QuickBooks first: settings are kept per QuickBooks company."


def _connection() -> QboConnection | None:
    return current_connection(db.session)


def _kind(slug: str) -> RecordType:
    kind = by_slug(slug)
    return kind if kind is not None and kind.name in MAPPED_LISTS else abort(404)


def _option_label(session: Any, realm_id: str, kind: RecordType, obj: QboObject) -> str:
    label = obj.name
    if kind.qbo_entity == "Item":
        income = maps.income_account_name(session, realm_id, obj)
        label += f" · income: {income}" if income else " · no income account"
    elif kind.qbo_entity == "Account" and obj.subtype:
        label += f" ({obj.subtype})"
    elif kind.qbo_entity == "TaxCode":
        pct = qbo_percent(session, realm_id, obj)
        label += f" · {format_percent(pct)}" if pct is not None else ""
    return label


def _us() -> bool:
    connection = _connection()
    return connection is None or is_us(connection.country)


def _sections(realm_id: str, automated: bool) -> list[dict[str, Any]]:
    """One section per list: its rows, their mapping, suggestion and choices.

    A choice QuickBooks would refuse is listed, disabled, with the reason.
    """
    session = db.session
    sections = []
    us = _us()
    for kind in MAPPED_LISTS.values():
        objects = maps.qbo_choices(session, realm_id, kind.qbo_entity)
        by_id = {o.qbo_id: o for o in objects}
        suggested = maps.suggestions(session, realm_id, kind.entity_type)
        rows = []
        for record, link in maps.rows_with_links(session, realm_id, kind.entity_type):
            current = by_id.get(link.qbo_id) if link is not None and link.qbo_id else None
            suggestion = suggested.get(record.id) if link is None else None
            rows.append({"record": record, "link": link, "current": current,
                         "suggestion": suggestion, **_tax_rates(realm_id, kind, record, current),
                         "income": (maps.income_account_name(session, realm_id, current)
                                    if current is not None and kind.qbo_entity == "Item"
                                    else None)})
        choices = [(o.qbo_id, _option_label(session, realm_id, kind, o), maps.refusal(o, us))
                   for o in objects]
        sections.append({"kind": kind, "rows": rows, "choices": choices,
                         "income_column": kind.qbo_entity == "Item",
                         "rate_column": kind.qbo_entity == "TaxCode",
                         "optional": automated and kind.qbo_entity == "TaxCode",
                         "suggestions": sum(1 for r in rows if r["suggestion"] is not None),
                         "blank": "— create in QBO —" if kind.creatable else "— not mapped —"})
    return sections


def _tax_rates(realm_id: str, kind: RecordType, record: Any, current: QboObject | None
               ) -> dict[str, Any]:
    """A tax code's local rate, its QBO counterpart's, and a warning when they differ."""
    if kind.qbo_entity != "TaxCode":
        return {}
    qbo_pct = qbo_percent(db.session, realm_id, current) if current is not None else None
    return {"local_rate": record.rate_percent if record.taxable else Decimal(0),
            "qbo_rate": qbo_pct,
            "rate_warning": rate_difference(record, qbo_pct) if current is not None else None}


def _rate_warnings(realm_id: str, changes: list[tuple[int, str | None]]) -> list[str]:
    """Rate differences among the tax code mappings just saved."""
    warnings = []
    for local_id, qbo_id in changes:
        record = db.session.get(MAPPED_LISTS["tax_code"].model, local_id)
        current = maps.qbo_object(db.session, realm_id, "TaxCode", qbo_id)
        if record is not None and current is not None:
            problem = rate_difference(record, qbo_percent(db.session, realm_id, current))
            if problem:
                warnings.append(f"{problem} QuickBooks computes the tax of {record.code} "
                                f"invoices at {current.name}'s rate.")
    return warnings


def _mappings_page(connection: QboConnection | None, errors: dict[str, str] | None = None,
                   status: int = 200) -> tuple[str, int]:
    automated = sales_tax.model_of(connection) == sales_tax.AUTOMATED
    sections = _sections(connection.realm_id, automated) if connection is not None else []
    return render_template("qbo_mappings/mappings.html", connection=connection,
                           sections=sections, errors=errors or {},
                           automated_tax=automated), status


@bp.get("/")
@qbo_admin_required
def index() -> Response:
    """The settings start at the mappings."""
    return redirect(url_for(".mappings"))


@bp.get("/mappings")
@qbo_admin_required
def mappings() -> tuple[str, int]:
    """Every list's mapping to QBO, with suggestions by name."""
    return _mappings_page(_connection())


@bp.post("/mappings/<kind>")
@qbo_admin_required
def save_mappings(kind: str) -> Response | tuple[str, int]:
    """Save a list's dropdowns: all of them or none."""
    k = _kind(kind)
    connection = _connection()
    if connection is None:
        flash(NOT_CONNECTED, "warning")
        return redirect(url_for(".mappings"))
    realm_id = connection.realm_id
    links = maps.mapped_ids(db.session, realm_id, k.entity_type)
    changes: list[tuple[int, str | None]] = []
    errors: dict[str, str] = {}
    for name, value in request.form.items():
        if not name.startswith("map-"):
            continue
        local = name.removeprefix("map-")
        if not local.isdigit() or int(local) > MAX_ID:
            errors[name] = "Unknown row."
            continue
        local_id, wanted = int(local), value.strip() or None
        current = links.get(local_id)
        if (current.qbo_id if current is not None else None) != wanted:
            target = maps.qbo_object(db.session, realm_id, k.qbo_entity, wanted) if wanted \
                else None
            reason = maps.refusal(target, _us()) if target is not None else None
            if target is not None and reason:
                errors[name] = f"QuickBooks would refuse “{target.name}”: {reason}."
                continue
            changes.append((local_id, wanted))
    try:
        for local_id, wanted in changes:
            try:
                maps.set_mapping(db.session, realm_id, k.entity_type, local_id, wanted)
            except MappingError as exc:
                errors[f"map-{local_id}"] = str(exc)
        if errors:
            raise MappingError("; ".join(errors.values()))
    except MappingError:
        db.session.rollback()
        return _mappings_page(connection, errors, 422)
    db.session.commit()
    flash(f"{k.title}: {len(changes)} mapping"
          f"{'' if len(changes) == 1 else 's'} saved.", "success")
    if k.entity_type == "tax_code":
        for warning in _rate_warnings(realm_id, changes):
            flash(warning, "warning")
    return redirect(url_for(".mappings", _anchor=k.slug))


@bp.post("/mappings/<kind>/accept")
@qbo_admin_required
def accept_suggestions(kind: str) -> Response:
    """Map every unmapped row that has a suggestion."""
    k = _kind(kind)
    connection = _connection()
    if connection is None:
        flash(NOT_CONNECTED, "warning")
        return redirect(url_for(".mappings"))
    try:
        count = maps.accept_suggestions(db.session, connection.realm_id, k.entity_type)
    except MappingError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for(".mappings", _anchor=k.slug))
    db.session.commit()
    flash(f"{k.title}: {count} suggestion{'' if count == 1 else 's'} "
          "accepted.", "success")
    return redirect(url_for(".mappings", _anchor=k.slug))


def _default_fields(realm_id: str, values: dict[str, str | None]) -> list[dict[str, Any]]:
    fields = []
    country = company_country()
    for spec in DEFAULT_KEYS.values():
        if spec.choices:
            choices = [(value, spelled(label, country)) for value, label in spec.choices]
        else:
            objects = maps.qbo_choices(db.session, realm_id, spec.entity or "",
                                           spec.subtypes)
            choices = [("", "— not set —")] + [
                (o.qbo_id, o.name + (f" ({o.subtype})" if o.subtype and spec.entity ==
                                     "Account" else "") + ("" if o.active else " — inactive"))
                for o in objects]
        value = values.get(spec.key)
        current = (maps.qbo_object(db.session, realm_id, spec.entity, value)
                   if spec.entity and value else None)
        fields.append({"spec": spec, "choices": choices, "value": value or "",
                       "help": spelled(spec.help, country),
                       "inactive": current is not None and not current.active})
    return fields


@bp.route("/defaults", methods=["GET", "POST"])
@qbo_admin_required
def defaults() -> Response | tuple[str, int]:
    """Default accounts, mileage, expense payment and tax settings."""
    connection = _connection()
    if connection is None:
        if request.method == "POST":
            flash(NOT_CONNECTED, "warning")
            return redirect(url_for(".defaults"))
        return render_template("qbo_mappings/defaults.html", connection=None, fields=[],
                               errors={}), 200
    realm_id = connection.realm_id
    errors: dict[str, str] = {}
    if request.method == "POST":
        submitted = {key: (request.form.get(key) or "").strip() or None
                     for key in DEFAULT_KEYS if key in request.form}
        errors = maps.save_defaults(db.session, realm_id, submitted)
        if not errors:
            db.session.commit()
            flash("QuickBooks defaults saved.", "success")
            return redirect(url_for(".defaults"))
        db.session.rollback()
        values = {key: maps.preference(db.session, realm_id, key) for key in DEFAULT_KEYS}
        values.update(submitted)
    else:
        values = {key: maps.preference(db.session, realm_id, key) for key in DEFAULT_KEYS}
    return render_template("qbo_mappings/defaults.html", connection=connection,
                           fields=_default_fields(realm_id, values),
                           sales_tax=sales_tax.describe(connection, values.get("tax_mode")),
                           errors=errors), 422 if errors else 200


@bp.get("/readiness")
@qbo_admin_required
def readiness() -> str:
    """The go-live checklist."""
    connection = _connection()
    realm_id = connection.realm_id if connection is not None else ""
    checks = go_live.readiness(db.session, realm_id)
    return render_template("qbo_mappings/readiness.html", connection=connection, checks=checks)


def _home(connection: QboConnection | None) -> str:
    if connection is not None and connection.home_currency:
        return connection.home_currency
    return CompanySettings.load().home_currency


def _rates_page(connection: QboConnection | None, error: str | None = None,
                form: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    home = _home(connection)
    rows = db.session.scalars(
        select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.as_of.desc())
    ).all()
    return render_template("qbo_mappings/rates.html", connection=connection, home=home,
                           rows=rows, currencies=[c for c in CURRENCIES if c != home],
                           error=error, form=form or {"as_of": date.today().isoformat()},
                           ), status


@bp.route("/rates", methods=["GET", "POST"])
@qbo_admin_required
def rates() -> Response | tuple[str, int]:
    """The exchange-rate table (home-currency units per one foreign unit); POST adds a rate."""
    connection = _connection()
    if request.method == "GET":
        return _rates_page(connection)
    form = {k: (request.form.get(k) or "").strip() for k in ("currency", "rate", "as_of")}
    try:
        if form["currency"] not in CURRENCIES:
            raise RateError("Choose a currency.")
        try:
            as_of = date.fromisoformat(form["as_of"])
        except ValueError as exc:
            raise RateError("Enter the date as YYYY-MM-DD.") from exc
        rate = parse_rate(form["rate"])
        row = add_rate(db.session, form["currency"], _home(connection), rate, as_of)
    except RateError as exc:
        db.session.rollback()
        return _rates_page(connection, str(exc), form, 422)
    db.session.commit()
    flash(f"Rate saved: {row}.", "success")
    return redirect(url_for(".rates"))


@bp.post("/rates/<int:rate_id>/delete")
@qbo_admin_required
def delete_rate(rate_id: int) -> Response:
    """Remove a rate from the table."""
    row = db.session.get(ExchangeRate, rate_id) or abort(404)
    db.session.delete(row)
    db.session.commit()
    flash(f"Rate removed: {row}.", "success")
    return redirect(url_for(".rates"))
