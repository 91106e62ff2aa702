"""Schema management through Alembic, usable from the CLI, the run command and tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from app.config import BASE_DIR, normalize_database_url


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
