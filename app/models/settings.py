"""Company-wide settings: one row."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db
from app.models.base import Currency, TimestampMixin, enum_column


class Integration(enum.StrEnum):
    """Which accounting system Ledgerhub integrates with."""

    NONE = "none"
    QBO = "qbo"


class DistanceUnit(enum.StrEnum):
    """The unit mileage is claimed in: miles in the US, kilometres in Canada and most places."""

    MILES = "mi"
    KILOMETRES = "km"

    @property
    def label(self) -> str:
        """The quantity's name in a form or column: Miles, Kilometres."""
        return "Miles" if self is DistanceUnit.MILES else "Kilometres"

    @property
    def rate_label(self) -> str:
        """The rate's name: Rate per mile, Rate per km."""
        return "Rate per mile" if self is DistanceUnit.MILES else "Rate per km"


class CompanySettings(TimestampMixin, Model):
    """The firm's settings (Admin -> Settings)."""

    __tablename__ = "company_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(100), default="My Company")
    home_currency: Mapped[Currency] = mapped_column(default="USD")
    integration: Mapped[Integration] = mapped_column(
        enum_column(Integration, length=10),
        default=Integration.NONE,
    )
    associates_self_push: Mapped[bool] = mapped_column(Boolean, default=False)
    # Mileage quantities (MileageEntry.miles, InvoiceLine.miles) are counted in this unit.
    distance_unit: Mapped[DistanceUnit] = mapped_column(
        enum_column(DistanceUnit, length=2), default=DistanceUnit.MILES,
        server_default=DistanceUnit.MILES.value)

    @property
    def qbo_enabled(self) -> bool:
        """True when the owner chose to integrate with QuickBooks Online."""
        return self.integration == Integration.QBO

    @classmethod
    def load(cls) -> CompanySettings:
        """The settings row, created with defaults on first use."""
        row = db.session.scalars(select(cls).limit(1)).first()
        if row is None:
            row = cls()
            db.session.add(row)
            db.session.flush()
        return row
