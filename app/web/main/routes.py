"""The home page: counts and what needs attention."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.health import health_report
from app.models import (
    Client,
    EntryStatus,
    HoursEntry,
    Invoice,
    InvoiceStatus,
    Organization,
    POStatus,
    PurchaseOrder,
    SyncEvent,
)
from app.permissions import can_admin_qbo, is_manager, public, signed_in
from app.sync.runs import open_failure
from app.web.main.setup import STEPS as SETUP_STEPS
from app.web.main.setup import next_step

bp = Blueprint("main", __name__)


def _count(stmt) -> int:  # noqa: ANN001 - any select
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


@bp.get("/")
@signed_in
def dashboard() -> str:
    """Counts of records and the items needing attention."""
    mine = select(HoursEntry.id).where(HoursEntry.associate_id == current_user.id)
    stats = {"my_open_hours": _count(mine.where(HoursEntry.status == EntryStatus.OPEN))}
    attention: list[tuple[str, str, int]] = []
    if is_manager():
        stats.update(
            clients=_count(select(Client.id).where(Client.active.is_(True))),
            inquiries=_count(select(Client.id).where(Client.is_inquiry.is_(True))),
            organizations=_count(select(Organization.id).where(Organization.active.is_(True))),
            draft_invoices=_count(select(Invoice.id).where(Invoice.status == InvoiceStatus.DRAFT)),
            open_pos=_count(select(PurchaseOrder.id).where(
                PurchaseOrder.status == POStatus.OPEN)),
        )
        no_terms = _count(select(Client.id).where(Client.active.is_(True),
                                                  Client.payment_term_id.is_(None)))
        if no_terms:
            attention.append(("Clients without payment terms", url_for("clients.index"),
                              no_terms))
        if stats["draft_invoices"]:
            attention.append(("Draft invoices not yet final",
                              url_for("invoices.index", status="draft"), stats["draft_invoices"]))
    if can_admin_qbo():
        failures = _count(select(SyncEvent.id).where(open_failure()))
        if failures:
            attention.append(("QuickBooks copies that failed and wait for a fix or retry",
                              url_for("qbo_push.sync_log", open=1), failures))
    step = next_step(db.session) if can_admin_qbo() else None
    return render_template("main/dashboard.html", stats=stats, attention=attention,
                           setup=step, setup_steps=SETUP_STEPS)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """Database, Redis and workers, each on its own; 503 when this instance cannot serve."""
    report, serving = health_report(db.session, current_app.config)
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if serving else 503
