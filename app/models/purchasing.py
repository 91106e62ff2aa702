"""Purchase orders to vendor organizations."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import Currency, Money, TimestampMixin, enum_column, search_indexes
from app.models.catalog import Account, BillingCode
from app.models.organizations import Organization
from app.money import ZERO, line_amount


class POStatus(enum.StrEnum):
    """Open until received and billed."""

    OPEN = "open"
    CLOSED = "closed"


class PurchaseOrder(TimestampMixin, Model):
    """A purchase order to a vendor organization."""

    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(21), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    order_date: Mapped[date] = mapped_column(Date)
    status: Mapped[POStatus] = mapped_column(
        enum_column(POStatus, length=10),
        default=POStatus.OPEN,
    )
    currency: Mapped[Currency] = mapped_column(default="USD")
    memo: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    lines: Mapped[list[POLine]] = relationship(
        back_populates="purchase_order", cascade="all, delete-orphan", order_by="POLine.position"
    )

    @property
    def total(self) -> Decimal:
        """Sum of the line amounts."""
        return sum((line.amount for line in self.lines), ZERO)


class POLine(Model):
    """A line of a purchase order: an item (billing code) or an expense account."""

    __tablename__ = "po_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    billing_code_id: Mapped[int | None] = mapped_column(ForeignKey("billing_codes.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    description: Mapped[str | None] = mapped_column(String(4000))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_cost: Mapped[Money]

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    billing_code: Mapped[BillingCode | None] = relationship()
    account: Mapped[Account | None] = relationship()

    @property
    def amount(self) -> Decimal:
        """round(quantity x unit cost, 2)."""
        return line_amount(self.quantity, self.unit_cost)


search_indexes(PurchaseOrder.__table__, "number")
