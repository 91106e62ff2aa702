"""When the QuickBooks authorization must be renewed (Intuit's 5-year hard end).

Intuit ends every authorization five years after the admin first gave it, however often the
refresh token rolls (token answers carry ``x_refresh_token_hard_expires_in``). The app shows
that date and warns ahead of it, so an admin reconnects before syncs stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.models import QboConnection
from app.models.base import utcnow
from app.models.people import as_utc

WARNING_PERIOD = timedelta(days=30)


@dataclass(frozen=True)
class Renewal:
    """The hard end of a connection and how close it is."""

    due_at: datetime
    days_left: int  # whole days, rounded up; 0 once the end has passed

    @property
    def warn(self) -> bool:
        """True within the warning period (and after the end)."""
        return self.days_left <= WARNING_PERIOD.days

    @property
    def expired(self) -> bool:
        """True once the authorization has ended."""
        return self.days_left == 0


def renewal(connection: QboConnection | None, now: datetime | None = None) -> Renewal | None:
    """The renewal date of a connection, or None when QuickBooks has not told us one."""
    if connection is None or connection.hard_expires_at is None:
        return None
    due = as_utc(connection.hard_expires_at)
    seconds = (due - (now or utcnow())).total_seconds()
    return Renewal(due_at=due, days_left=max(0, math.ceil(seconds / 86400)))
