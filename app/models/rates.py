"""Exchange rates kept in Ledgerhub for foreign-currency transactions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.base import Currency, TimestampMixin


class ExchangeRate(TimestampMixin, Model):
    """QBO's convention: ``rate`` home-currency units buy one unit of ``currency``."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "home_currency", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[Currency]
    home_currency: Mapped[Currency]
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    as_of: Mapped[date] = mapped_column(Date, index=True)

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate.normalize():f} {self.home_currency} ({self.as_of})"
