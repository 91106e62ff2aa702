"""Redis or PostgreSQL down, as a signed-in user and a load balancer see it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import RunStatus, SyncRun
from tests.conftest import Auth
from tests.support import free_port
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import make_invoice, set_defaults


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company with its defaults chosen."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Outage Co")
    set_defaults(emulator, realm_id)
    return realm_id


@pytest.fixture()
def redis_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis stops answering: the app's client points at a port where nothing listens."""
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.delitem(app.extensions, "ledgerhub_redis", raising=False)
    yield
    app.extensions.pop("ledgerhub_redis", None)


def _runs() -> list[SyncRun]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(SyncRun)))


def test_add_qbo_with_redis_down_says_so_and_leaves_nothing_queued(
        realm: str, auth: Auth, app: Flask, emulator: Any, request: pytest.FixtureRequest) -> None:
    invoice = make_invoice("7001", client_name="Queue Down Co")
    client = auth.login("qboadmin")
    request.getfixturevalue("redis_down")

    answer = client.post(f"/admin/qbo/push/invoice/{invoice.id}", headers={"HX-Request": "true"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert "job queue (Redis) could not be reached" in html
    assert "nothing was sent to QuickBooks" in html and "every 1s" not in html

    page = client.post(f"/admin/qbo/push/invoice/{invoice.id}", follow_redirects=True)
    assert page.status_code == 200
    assert "job queue (Redis) could not be reached" in page.get_data(as_text=True)

    runs = _runs()
    assert len(runs) == 2 and {r.status for r in runs} == {RunStatus.FAILED}
    assert all("could not be reached" in r.message for r in runs)
    assert "Failed" in client.get(f"/admin/qbo/runs/{runs[0].id}").get_data(as_text=True)
    customers = emulator.control("GET", f"stats?realm={realm}")["requests"]
    assert not any(key.startswith("POST") for key in customers)  # nothing reached QuickBooks

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["redis"]["ok"] is False and health.json["database"]["ok"] is True


def test_import_with_redis_down_answers_the_same_way(realm: str, auth: Auth,
                                                     request: pytest.FixtureRequest) -> None:
    client = auth.login("qboadmin")
    request.getfixturevalue("redis_down")
    page = client.post("/admin/qbo/import/start", data={"step": "lists"}, follow_redirects=True)
    assert "job queue (Redis) could not be reached" in page.get_data(as_text=True)
    runs = _runs()
    assert [r.status for r in runs] == [RunStatus.FAILED]


def test_healthz_reports_database_redis_and_workers(client: Any, app_ctx: Flask) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    report = answer.json
    assert report["database"]["ok"] and report["redis"]["ok"]
    workers = report["workers"]
    assert {"alive", "queue_depth", "oldest_job_seconds", "cron_schedulers"} <= set(workers)


def test_healthz_counts_waiting_jobs(client: Any, app: Flask, app_ctx: Flask) -> None:
    from app.extensions import get_queue

    queue = get_queue()
    job = queue.enqueue("app.sync.jobs.keep_connection_alive")
    try:
        report = client.get("/healthz").json
        assert report["workers"]["queue_depth"] == queue.count >= 1
        assert report["workers"]["oldest_job_seconds"] >= 0
    finally:
        job.delete()


@pytest.fixture()
def database_down(app: Flask) -> Flask:
    """The same install with PostgreSQL down: nothing listens where the database should be."""
    from app import create_app
    from app.config import TestConfig

    url = f"postgresql+psycopg://ledgerhub@127.0.0.1:{free_port()}/ledgerhub"
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=app.config["REDIS_URL"],
                      SECRET_KEY=app.config["SECRET_KEY"], WTF_CSRF_ENABLED=False)


def test_database_down_answers_a_signed_in_user_with_a_static_503(
        auth: Auth, database_down: Flask, caplog: pytest.LogCaptureFixture) -> None:
    signed_in = auth.login("qboadmin").get_cookie("session")
    client = database_down.test_client()
    client.set_cookie("session", signed_in.value)
    caplog.set_level(logging.ERROR)

    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "Database unavailable" in html and "nothing was saved" in html
    assert "Internal Server Error" not in html

    poll = client.get("/admin/qbo/runs/1", headers={"HX-Request": "true"})
    fragment = poll.get_data(as_text=True)
    assert poll.status_code == 503 and "Database unavailable" in fragment
    assert "hx-trigger" not in fragment  # swapped over the polling element: polling stops

    pushed = client.post("/admin/qbo/push/invoice/1", headers={"HX-Request": "true"})
    assert pushed.status_code == 503
    assert _runs() == []  # nothing queued, nothing half-written

    missing = client.get("/favicon.ico")  # an error page in the site's layout needs the database
    assert missing.status_code == 503 and "Database unavailable" in missing.get_data(as_text=True)

    lines = [r for r in caplog.records if "Database unavailable" in r.getMessage()]
    assert len(lines) == 4 and all(r.exc_info is None for r in lines)  # one line per request
    assert not [r for r in caplog.records if r.exc_info]  # and no traceback at all

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["database"]["ok"] is False and health.json["redis"]["ok"] is True


def test_list_refresh_with_redis_down_answers_the_same_way(realm: str, auth: Auth,
                                                           request: pytest.FixtureRequest) -> None:
    from app.models import Client

    record = Client(name="Queue Down Co")
    db.session.add(record)
    db.session.commit()
    client = auth.login("qboadmin")
    request.getfixturevalue("redis_down")
    answer = client.post(f"/admin/qbo/match/client/{record.id}/refresh",
                         headers={"HX-Request": "true"})
    assert answer.status_code == 503
    assert "job queue (Redis) could not be reached" in answer.get_data(as_text=True)
    runs = _runs()
    assert [(r.kind.value, r.status) for r in runs] == [("refresh", RunStatus.FAILED)]
