"""What a process checks before it takes work: the services it needs and the stored-token key.

The settings themselves are checked by ``create_app``; this adds what only a connection can
tell: PostgreSQL and Redis answer, the schema is migrated, and TOKEN_ENCRYPTION_KEY opens the
stored QuickBooks tokens (a worker with another key would fail every job it takes).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.extensions import db, get_redis
from app.qbo.crypto import TokenKeyMismatch


def unreachable_services(app: Flask) -> list[str]:
    """PostgreSQL and Redis as this process sees them; empty when both answer."""
    problems = []
    with app.app_context():
        try:
            db.session.execute(select(1))
        except OperationalError:
            url = db.engine.url
            problems.append(f"The database at {url.host or url.database} cannot be reached: "
                            "check DATABASE_URL and that PostgreSQL is running.")
        finally:
            db.session.remove()
        try:
            get_redis().ping()
        except RedisError:
            host = urlsplit(app.config["REDIS_URL"]).hostname
            problems.append(f"Redis at {host} cannot be reached: check REDIS_URL and that Redis "
                            "is running.")
    return problems


def stored_token_problems(app: Flask) -> list[str]:
    """The stored QuickBooks tokens open with this process's key, and the schema is current."""
    from app.qbo.connection import check_token_key

    with app.app_context():
        try:
            check_token_key(db.session, app.config)
        except TokenKeyMismatch as exc:
            return [str(exc)]
        except SQLAlchemyError:
            return ["The database has no Ledgerhub tables yet or an older schema: run "
                    "`flask --app wsgi db-upgrade` first."]
        finally:
            db.session.remove()
    return []
