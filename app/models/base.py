"""Column helpers and mixins shared by every aggregate."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    Connection,
    DateTime,
    Enum,
    FromClause,
    Index,
    MetaData,
    Numeric,
    String,
    Table,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


def enum_column(cls: type[enum.Enum], length: int = 20) -> Enum:
    """An enum stored as its values in a VARCHAR (portable, no database enum type)."""
    return Enum(cls, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


# QBO names are at most 100 characters (31 for terms and payment methods); an inactive record
# comes back from QBO with " (deleted)" appended, and is stored as it arrives.
QBO_NAME_STORED = 110
QBO_SHORT_NAME_STORED = 41

Money = Annotated[Decimal, mapped_column(Numeric(12, 2))]
Hours = Annotated[Decimal, mapped_column(Numeric(6, 2))]
Rate = Annotated[Decimal, mapped_column(Numeric(12, 4))]
Currency = Annotated[str, mapped_column(String(3))]


class TimestampMixin:
    """Created / updated timestamps, set by the database session."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


# Marks a schema item that exists on one database only (``info``), for Alembic's comparison.
ONLY_ON = "only_on"
TRIGRAM_WITH = {"gin_pending_list_limit": 64}


def search_indexes(table: FromClause, *names: str) -> None:
    """Trigram indexes on PostgreSQL for a listing's substring search (``?q=``).

    The search is ``column ILIKE '%text%'`` there, which no ordinary index serves; a GIN index
    with pg_trgm's operator class does, for text of three characters or more. They exist on
    PostgreSQL only: SQLite has no such index, and its search reads the rows.

    New rows wait in a GIN index's pending list, which every search reads through, until it is
    full or vacuumed; the smallest list (64 kB) keeps that read short between vacuums.
    """
    assert isinstance(table, Table)  # a mapped class's __table__
    for name in names:
        Index(f"ix_{table.name}_{name}_trgm", table.c[name], postgresql_using="gin",
              postgresql_ops={name: "gin_trgm_ops"}, postgresql_with=TRIGRAM_WITH,
              info={ONLY_ON: "postgresql"}).ddl_if(dialect="postgresql")


def on_database(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object``: leaves out schema items made for other databases only."""

    def include_object(item: Any, _name: str | None, _type: str, _reflected: bool,
                       _compare_to: Any) -> bool:
        return getattr(item, "info", {}).get(ONLY_ON, dialect) == dialect

    return include_object


def _create_trigram_extension(metadata: MetaData, connection: Connection, **_: Any) -> None:
    """pg_trgm before the tables (a trusted extension: the database's owner may create it)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))


event.listen(db.metadata, "before_create", _create_trigram_extension)
