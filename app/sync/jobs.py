"""RQ entry points: ids in, a service function called inside an application context.

Jobs stay thin: the work lives in ``app.sync`` and ``app.qbo`` modules that know nothing of RQ.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context

from app.extensions import db, get_redis

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
_app: Flask | None = None


def _application() -> Flask:
    """One application per worker process, created on first use."""
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def preload() -> None:
    """Build the application in the worker itself, so every forked work horse inherits it."""
    _application()


def after_fork() -> None:
    """In a new work horse: never reuse a database connection the parent may hold."""
    if _app is not None:
        with _app.app_context():
            db.engine.dispose(close=False)


def job(fn: F) -> F:
    """Run the job inside an application context and always release the DB session."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return fn(*args, **kwargs)
        with _application().app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper  # type: ignore[return-value]


@job
def keep_connection_alive(max_age_hours: int = 24) -> str:
    """Refresh the QuickBooks tokens once a day so the 100-day refresh token never lapses."""
    from app.models import ConnectionStatus
    from app.models.base import utcnow
    from app.models.people import as_utc
    from app.qbo.connection import client_for, current_connection
    from app.qbo.crypto import TokenKeyMismatch
    from app.qbo.faults import QBOError

    row = current_connection(db.session)
    if row is None or row.status != ConnectionStatus.CONNECTED:
        return "not connected"
    last = as_utc(row.last_refreshed_at)
    if last is not None and utcnow() - last < timedelta(hours=max_age_hours):
        return "fresh"
    realm_id = row.realm_id
    db.session.rollback()  # no transaction stays open across the call to Intuit
    client = client_for(current_app.config, db.engine, get_redis(), realm_id)
    try:
        tokens = client.tokens
        tokens.refresh(tokens.access_token())
    except QBOError as exc:
        log.warning("Keeping the QuickBooks connection alive failed: %s", exc.plain_message())
        return "failed"
    except TokenKeyMismatch as exc:
        log.error("Keeping the QuickBooks connection alive failed: %s", exc)
        return "failed"
    finally:
        client.close()
    return "refreshed"


@job
def reap_dead_runs() -> str:
    """Mark runs whose worker died as interrupted and resume them (every few seconds, by cron)."""
    from app.extensions import get_queue
    from app.sync.liveness import reap_dead_runs as reap

    changed = reap(db.session, get_queue(), float(current_app.config["RUN_DEAD_SECONDS"]))
    return f"{len(changed)} run(s) reaped"


@job
def prune_sync_log(older_than_days: int) -> str:
    """Remove sync-log events older than the retention (the cron scheduler's daily job)."""
    from app.sync.retention import prune_sync_log as prune

    events, runs = prune(db.session, older_than_days)
    log.info("Sync log pruned: %s events and %s runs older than %s days", events, runs,
             older_than_days)
    return f"{events} events, {runs} runs"


# A handler per run kind, imported when first needed: "module:function".
HANDLERS = {
    "push": "app.sync.push:run_push",
    "import": "app.sync.importer:run_import",
    "refresh": "app.sync.list_refresh:run_refresh",
}


def _handler(kind: str) -> Callable[..., Any]:
    module_name, _, attr = HANDLERS[kind].partition(":")
    return getattr(importlib.import_module(module_name), attr)


@job
def execute_run(run_id: int) -> str:
    """Execute a SyncRun; its final state is always written, whatever happens."""
    from app.models import RunStatus, SyncRun
    from app.qbo.crypto import TokenKeyMismatch
    from app.qbo.faults import QBOError, ReconnectRequired
    from app.sync.context import RunContext
    from app.sync.liveness import RunHeartbeat
    from app.sync.progress import Progress

    run = db.session.get(SyncRun, run_id)
    if run is None or run.status.finished:
        return "nothing to do"
    progress = Progress(db.engine, run.id)
    context = RunContext(run=run, progress=progress, session=db.session,
                         config=current_app.config, redis=get_redis())
    heartbeat = RunHeartbeat(db.engine, run.id, float(current_app.config["RUN_HEARTBEAT_SECONDS"]))
    try:
        with heartbeat:
            _handler(run.kind.value)(context)
            # Written while the heartbeat still runs: no reaper can take a finished run for dead.
            status = progress.finish()
    except ReconnectRequired as exc:
        db.session.rollback()
        status = progress.finish(RunStatus.FAILED, f"Stopped: {exc.plain_message()}")
    except QBOError as exc:
        db.session.rollback()
        status = progress.finish(RunStatus.FAILED, f"Stopped: {exc.plain_message()}")
    except TokenKeyMismatch as exc:
        db.session.rollback()
        log.error("Run %s stopped: %s", run_id, exc)
        status = progress.finish(RunStatus.FAILED, f"Stopped: {exc}")
    except Exception:
        db.session.rollback()
        log.exception("Run %s failed", run_id)
        progress.finish(RunStatus.FAILED, "Stopped by an unexpected error; it was logged and "
                        "nothing after it was sent.")
        raise
    finally:
        # Whatever the handler left uncommitted ends here, as the job's session removal does.
        db.session.rollback()
        context.close()
    return status.value
