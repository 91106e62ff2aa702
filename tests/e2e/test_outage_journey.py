"""In a real browser: the database goes away while a run's progress is on screen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from app.extensions import db
from app.models import RunKind, RunStatus, SyncRun
from tests.e2e.test_foundation_journey import _login


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Every connection fails, as when PostgreSQL has stopped: pooled ones are dropped when
    taken, and new ones are refused."""
    with app.app_context():
        engine = db.engine

    def refuse(dialect: Any, *_: Any) -> None:
        raise dialect.loaded_dbapi.OperationalError("the database server is not running")

    def drop(*_: Any) -> None:
        raise DisconnectionError("the database server went away")

    event.listen(engine, "do_connect", refuse)
    event.listen(engine, "checkout", drop)
    try:
        yield
    finally:
        event.remove(engine, "checkout", drop)
        event.remove(engine, "do_connect", refuse)


def test_progress_polling_stops_with_a_notice_when_the_database_goes(
        live_server: str, page: Page, users: dict, enable_qbo: None, app: Flask) -> None:
    run = SyncRun(kind=RunKind.PUSH, status=RunStatus.QUEUED,
                  requested_by_id=users["qboadmin"].id,
                  scope={"records": [], "description": "the invoice selection"})
    db.session.add(run)
    db.session.commit()
    _login(page, live_server, "qboadmin")
    page.goto(f"{live_server}/admin/qbo/runs/{run.id}")
    expect(page.locator(f"#run-{run.id}[hx-trigger]")).to_have_count(1)  # polling every second

    with database_down(app):
        notice = page.locator("#unavailable-503")
        expect(notice).to_contain_text("Database unavailable")
        expect(notice).to_contain_text("nothing was saved")
        # The polling element was replaced by the notice: nothing is left to poll.
        expect(page.locator("[hx-trigger]")).to_have_count(0)
