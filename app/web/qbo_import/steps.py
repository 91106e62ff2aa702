"""Admin -> QuickBooks Online Settings -> Import: the steps, their runs and live progress."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db, get_queue
from app.models import RunKind, SyncRun
from app.permissions import qbo_admin_required
from app.sync import follow_ups, importer
from app.sync.import_answers import count_questions, recent_imports, run_notes, start_import
from app.sync.liveness import settle
from app.sync.runs import QueueUnavailable
from app.web.qbo_import.common import PREFIX, back, bp, connected, not_connected_message
from app.web.qbo_import.forms import StartImportForm
from app.web.records import is_htmx
from app.web.runs import queue_unavailable


def _page_status() -> dict[str, Any]:
    """The import page's counts as they are now (swapped in when a run ends)."""
    connection = connected()
    return {"connection": connection,
            "questions": count_questions(db.session, connection.realm_id if connection else None),
            "counts": follow_ups.counts(db.session)}


def _run_context(run: SyncRun) -> dict[str, Any]:
    return {"run": run, "notes": run_notes(db.session, run), "labels": importer.ENTITY_LABELS,
            "buckets": importer.BUCKETS}


@bp.get(f"{PREFIX}/")
@qbo_admin_required
def index() -> str:
    """Admin -> QuickBooks Online Settings -> Import."""
    status = _page_status()
    connection = status["connection"]
    return render_template("qbo_import/import.html", connection=connection,
                           runs=recent_imports(db.session), questions=status["questions"],
                           follow_up_counts=status["counts"], labels=importer.STEP_LABELS,
                           form=StartImportForm(),
                           not_connected=None if connection else not_connected_message())


@bp.post(f"{PREFIX}/start")
@qbo_admin_required
def start() -> Response | str | tuple[str, int]:
    """Start an import run (RQ job); answers with the live progress fragment."""
    form = StartImportForm()
    if not form.validate_on_submit():
        flash("Choose which import to run.", "danger")
        return back()
    connection = connected()
    if connection is None:
        flash(not_connected_message(), "danger")
        return back()
    try:
        run = start_import(db.session, get_queue(), form.step.data, user_id=current_user.id,
                           realm_id=connection.realm_id)
    except QueueUnavailable as exc:
        return queue_unavailable(exc, url_for(".index"))
    if is_htmx():
        return render_template("qbo_import/_run.html", **_run_context(run))
    return back(".run_page", run_id=run.id)


@bp.get(f"{PREFIX}/runs/<int:run_id>")
@qbo_admin_required
def run_page(run_id: int) -> Response | str:
    """An import run: the progress fragment for HTMX polling, the page otherwise."""
    run = db.session.get(SyncRun, run_id) or abort(404)
    settle(db.session, get_queue, run, current_app.config["RUN_DEAD_SECONDS"])
    if run.kind == RunKind.REFRESH:
        return redirect(url_for(".refresh_page", run_id=run.id))
    if run.kind != RunKind.IMPORT:
        return redirect(url_for("qbo_push.run_page", run_id=run.id))
    if is_htmx():
        return render_template("qbo_import/_run.html", **_run_context(run),
                               page_status=_page_status() if run.status.finished else None)
    return render_template("qbo_import/run.html", **_run_context(run))
