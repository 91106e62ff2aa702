"""The QuickBooks connection and the links between local records and QBO objects."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.base import Currency, TimestampMixin, enum_column, utcnow


class ConnectionStatus(enum.StrEnum):
    """Where a QuickBooks connection stands."""

    CONNECTED = "connected"
    PENDING_CONFIRMATION = "pending"  # another company than the existing links: admin confirms
    NEEDS_RECONNECT = "reconnect"  # the refresh token was refused (invalid_grant)


class QboConnection(TimestampMixin, Model):
    """OAuth tokens (encrypted) and what QBO told us about the company."""

    __tablename__ = "qbo_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(32), unique=True)
    environment: Mapped[str] = mapped_column(String(20))
    status: Mapped[ConnectionStatus] = mapped_column(enum_column(ConnectionStatus))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the admin must reconnect whatever happens: 5 years after the first authorization.
    hard_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_count: Mapped[int] = mapped_column(Integer, default=0)
    company_name: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(10))
    home_currency: Mapped[Currency | None]
    multicurrency_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # US automated sales tax (Preferences.TaxPrefs.PartnerTaxEnabled), read at connect and
    # before every push: QBO then picks the rate from the customer's address.
    automated_sales_tax: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default=false())
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("associates.id",
                                                                   ondelete="SET NULL"))
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LinkState(enum.StrEnum):
    """The life of a link between a local record and a QBO object."""

    PENDING = "pending"  # a write was sent (or is about to be) and its outcome is not known
    SYNCED = "synced"
    FAILED = "failed"


class LinkOrigin(enum.StrEnum):
    """How a link came to be."""

    PUSHED = "pushed"  # Ledgerhub created the QBO object
    IMPORTED = "imported"  # the local record was created from the QBO object
    MATCHED = "matched"  # an existing pair was linked (automatically or by a person)
    MAPPED = "mapped"  # a list entry mapped to an existing QBO list entry


class QboLink(TimestampMixin, Model):
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
    state: Mapped[LinkState] = mapped_column(enum_column(LinkState), default=LinkState.PENDING)
    last_error: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[LinkOrigin] = mapped_column(enum_column(LinkOrigin), default=LinkOrigin.PUSHED,
                                               server_default=LinkOrigin.PUSHED.value)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The QBO entity it was created as, when a record type can become more than one (an
    # expense is a Purchase or a Bill); None: the entity type's usual one.
    qbo_entity: Mapped[str | None] = mapped_column(String(40))


class QboObject(Model):
    """A read-only copy of a QBO list row (accounts, items, terms, parties...) for one realm.

    Imports and refreshes keep it current; mapping dropdowns, matching, readiness checks and
    drift detection read it instead of asking QBO again.
    """

    __tablename__ = "qbo_objects"
    __table_args__ = (UniqueConstraint("realm_id", "entity", "qbo_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    qbo_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sync_token: Mapped[str | None] = mapped_column(String(32))
    subtype: Mapped[str | None] = mapped_column(String(100))  # AccountType, Item Type...
    currency: Mapped[str | None] = mapped_column(String(3))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    qbo_updated_at: Mapped[str | None] = mapped_column(String(40))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QboPreference(Model):
    """A per-company choice: default accounts and items (AR, AP, bank, mileage...), options."""

    __tablename__ = "qbo_preferences"
    __table_args__ = (UniqueConstraint("realm_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(String(255))
