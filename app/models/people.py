"""Associates: the firm's people, who are also the application's users."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import overload

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import Model
from app.models.base import QBO_NAME_STORED, Money, TimestampMixin, enum_column, utcnow


class PermissionLevel(enum.StrEnum):
    """What an associate may do in Ledgerhub."""

    OWNER = "owner"
    ASSOCIATE = "associate"

    @property
    def label(self) -> str:
        """Human label shown in forms and listings."""
        return {"owner": "Company Owner", "associate": "Associate"}[self.value]


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: treat them as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Associate(TimestampMixin, UserMixin, Model):
    """A person of the firm; with a username and password, also a login."""

    __tablename__ = "associates"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    display_name: Mapped[str] = mapped_column(String(QBO_NAME_STORED), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    hourly_rate: Mapped[Money | None]
    cost_rate: Mapped[Money | None]
    permission: Mapped[PermissionLevel] = mapped_column(
        enum_column(PermissionLevel, length=16),
        default=PermissionLevel.ASSOCIATE,
    )
    is_qbo_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session and remember cookie (see get_id): bumping it ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<Associate {self.id} {self.display_name!r}>"

    # Flask-Login: an associate without credentials or inactive cannot hold a session.
    @property
    def is_active(self) -> bool:
        """Only active associates with a password can be logged in."""
        return bool(self.active and self.password_hash)

    def get_id(self) -> str:
        """Flask-Login: the id and session version kept in the session and remember cookie."""
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """End every session and remember cookie of this associate (at the next request)."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_owner(self) -> bool:
        """True for a Company Owner."""
        return self.permission == PermissionLevel.OWNER

    @property
    def full_name(self) -> str:
        """Given and family name, falling back to the display name."""
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.display_name

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash; a new password ends every session and clears a lock."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.end_sessions()
        self.unlock()

    def check_password(self, password: str) -> bool:
        """Compare a password with the stored hash."""
        return self.password_hash is not None and check_password_hash(self.password_hash,
                                                                      password)

    def is_locked(self, now: datetime | None = None) -> bool:
        """True while a lock-out after repeated failed logins is in force."""
        until = as_utc(self.locked_until)
        return until is not None and until > (now or utcnow())

    def record_failed_login(self, max_failures: int, lockout: timedelta) -> None:
        """Count a failed login; lock the account once the limit is reached."""
        self.failed_logins = (self.failed_logins or 0) + 1
        if self.failed_logins >= max_failures:
            self.locked_until = utcnow() + lockout
            self.failed_logins = 0

    def unlock(self) -> None:
        """Lift a lock-out and forget earlier failed logins."""
        self.failed_logins = 0
        self.locked_until = None

    def record_successful_login(self) -> None:
        """Reset the failure counter after a good login."""
        self.unlock()


