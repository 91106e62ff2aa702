"""Column helpers and mixins shared by every aggregate."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import DateTime, Enum, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column


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
