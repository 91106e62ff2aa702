"""Import -> needs attention: link each unclear QBO record to a local one, or create it."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import QboConnection, SyncEvent
from app.permissions import qbo_admin_required
from app.sync import import_answers
from app.sync.matching import Refused
from app.web.qbo_import.common import (
    PREFIX,
    back,
    bp,
    connected,
    not_connected_message,
    open_client,
)
from app.web.qbo_import.forms import AttentionLinkForm

Answer = Callable[[SyncEvent, QboConnection], str]


@bp.get(f"{PREFIX}/attention")
@qbo_admin_required
def attention() -> str:
    """Import questions a person decides: link to a local record, or create separately."""
    connection = connected()
    found = import_answers.questions(db.session, connection.realm_id) if connection else []
    return render_template("qbo_import/attention.html", questions=found, connection=connection,
                           not_connected=None if connection else not_connected_message())


def _answer(event_id: int, answer: Answer) -> Response:
    """Answer a still-open question with ``answer`` and say what happened."""
    connection = connected()
    if connection is None:
        flash(not_connected_message(), "danger")
        return back(".attention")
    event = import_answers.find_question(db.session, event_id, connection.realm_id)
    if event is None:
        flash("That question was already answered.", "info")
        return back(".attention")
    try:
        flash(answer(event, connection), "success")
    except Refused as exc:
        flash(str(exc), "danger")
    return back(".attention")


@bp.post(f"{PREFIX}/attention/<int:event_id>/link")
@qbo_admin_required
def attention_link(event_id: int) -> Response:
    """Answer an import question by linking the QBO record to a local one."""

    def link(event: SyncEvent, connection: QboConnection) -> str:
        form = AttentionLinkForm()
        if not form.validate_on_submit():
            raise Refused("Choose the local record to link.")
        with open_client(connection) as client:
            return import_answers.answer_by_linking(db.session, client, event,
                                                    int(form.local_id.data),
                                                    user_label=current_user.display_name)

    return _answer(event_id, link)


@bp.post(f"{PREFIX}/attention/<int:event_id>/create")
@qbo_admin_required
def attention_create(event_id: int) -> Response:
    """Answer an import question by creating a separate local record from QBO."""

    def create(event: SyncEvent, connection: QboConnection) -> str:
        with open_client(connection) as client:
            return import_answers.answer_by_creating(db.session, client, event,
                                                     user_label=current_user.display_name)

    return _answer(event_id, create)
