"""The QuickBooks connection and the links between local records and QBO objects."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import Currency, TimestampMixin


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ConnectionStatus(enum.StrEnum):
    """Where a QuickBooks connection stands."""

    CONNECTED = "connected"
    PENDING_CONFIRMATION = "pending"  # another company than the existing links: admin confirms
    NEEDS_RECONNECT = "reconnect"  # the refresh token was refused (invalid_grant)


class QboConnection(TimestampMixin, db.Model):
    """OAuth tokens (encrypted) and what QBO told us about the company."""

    __tablename__ = "qbo_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(32), unique=True)
    environment: Mapped[str] = mapped_column(String(20))
    status: Mapped[ConnectionStatus] = mapped_column(_enum(ConnectionStatus))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_count: Mapped[int] = mapped_column(Integer, default=0)
    company_name: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(10))
    home_currency: Mapped[Currency | None]
    multicurrency_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("associates.id",
                                                                   ondelete="SET NULL"))
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LinkState(enum.StrEnum):
    """The life of a link between a local record and a QBO object."""

    PENDING = "pending"  # a write was sent (or is about to be) and its outcome is not known
    SYNCED = "synced"
    FAILED = "failed"


class QboLink(TimestampMixin, db.Model):
    """One local record's counterpart in one QBO company (links never cross realms)."""

    __tablename__ = "qbo_links"
    __table_args__ = (UniqueConstraint("realm_id", "entity_type", "local_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(32), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    local_id: Mapped[int] = mapped_column(Integer)
    qbo_id: Mapped[str | None] = mapped_column(String(32))
    sync_token: Mapped[str | None] = mapped_column(String(32))
    pushed_hash: Mapped[str | None] = mapped_column(String(64))
    pending_request_id: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[LinkState] = mapped_column(_enum(LinkState), default=LinkState.PENDING)
    last_error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
