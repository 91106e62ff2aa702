"""The health report behind ``/healthz``: database, Redis and workers, each on its own.

A load balancer reads the status code (503 when this instance cannot serve: no database or no
Redis); monitoring reads the JSON, which also says whether workers are alive and keeping up.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.cron_scheduler_registry import get_registry_key
from rq.defaults import DEFAULT_CRON_SCHEDULER_TTL
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import scoped_session

# A health check must answer quickly even when Redis is unreachable.
REDIS_TIMEOUT_SECONDS = 2.0


def health_report(session: scoped_session,
                  config: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The report, and whether this instance can serve requests (database and Redis up)."""
    database = _database(session)
    redis = Redis.from_url(config["REDIS_URL"], socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                           socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        queue = _redis(redis)
        workers = _workers(redis, config["RQ_QUEUE"]) if queue["ok"] else {"ok": False}
    finally:
        redis.close()
    serving = database["ok"] and queue["ok"]
    status = "down" if not serving else ("ok" if workers["ok"] else "degraded")
    return {"status": status, "database": database, "redis": queue, "workers": workers}, serving


def _database(session: scoped_session) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        session.execute(select(1))
    except SQLAlchemyError as exc:
        _discard(session)
        return {"ok": False, "error": _reason(exc)}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _discard(session: scoped_session) -> None:
    with contextlib.suppress(SQLAlchemyError):  # the connection is gone: nothing to give back
        session.remove()


def _redis(redis: Redis) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        redis.ping()
    except RedisError as exc:
        return {"ok": False, "error": _reason(exc)}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _workers(redis: Redis, queue_name: str) -> dict[str, Any]:
    """Workers registered for the queue (RQ drops one whose heartbeat lapsed), depth, oldest job."""
    try:
        queue = Queue(queue_name, connection=redis)
        alive = len(Worker.all(queue=queue))
        depth = queue.count
        oldest = _oldest_job_seconds(queue)
        cron = redis.zcount(get_registry_key(), time.time() - DEFAULT_CRON_SCHEDULER_TTL, "+inf")
    except RedisError as exc:
        return {"ok": False, "error": _reason(exc)}
    return {"ok": alive > 0, "alive": alive, "queue_depth": depth,
            "oldest_job_seconds": oldest, "cron_schedulers": cron}


def _oldest_job_seconds(queue: Queue) -> float | None:
    ids = queue.get_job_ids(0, 1)
    if not ids:
        return None
    try:
        job = Job.fetch(ids[0], connection=queue.connection)
    except NoSuchJobError:  # taken or expired meanwhile
        return None
    if job.enqueued_at is None:
        return None
    enqueued = job.enqueued_at
    if enqueued.tzinfo is None:  # RQ stores UTC
        enqueued = enqueued.replace(tzinfo=UTC)
    return round(time.time() - enqueued.timestamp(), 1)


def _reason(exc: Exception) -> str:
    """The kind of failure, without addresses or credentials from the message."""
    return type(exc).__name__
