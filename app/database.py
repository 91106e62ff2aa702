"""Schema management through Alembic, usable from the CLI, the run command and tests."""

from __future__ import annotations

from typing import Any, TypeAlias

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, scoped_session

from app.config import BASE_DIR, normalize_database_url

# What services take: a Session, or Flask-SQLAlchemy's ``db.session``, the scoped proxy that
# stands for the current request's or job's Session.
DbSession: TypeAlias = Session | scoped_session[Any]


def alembic_config(database_url: str) -> AlembicConfig:
    """An Alembic configuration pointing at ``migrations/`` and the given database."""
    cfg = AlembicConfig(str(BASE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(BASE_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalize_database_url(database_url).replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


SQLITE_BUSY_TIMEOUT_MS = 30_000


def tune_sqlite(engine: Engine) -> None:
    """Let the embedded SQLite database serve a web app and workers at once.

    WAL lets readers go on while one connection writes, and the busy timeout makes a second
    writer wait for the first one's commit instead of failing with "database is locked".
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()
