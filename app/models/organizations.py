"""Vendor organizations (QBO vendors) and their contacts."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import QBO_NAME_STORED, Currency, TimestampMixin, search_indexes
from app.models.catalog import OrganizationCategory, PaymentTerm
from app.models.clients import AddressMixin


class Organization(TimestampMixin, AddressMixin, Model):
    """A vendor organization the firm buys from or subcontracts to."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(QBO_NAME_STORED), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("organization_categories.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    currency: Mapped[Currency] = mapped_column(default="USD")
    payment_term_id: Mapped[int | None] = mapped_column(ForeignKey("payment_terms.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    category: Mapped[OrganizationCategory | None] = relationship()
    payment_term: Mapped[PaymentTerm | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Contact.name"
    )

    def __str__(self) -> str:
        return self.name


class Contact(Model):
    """A person at a vendor organization."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))

    organization: Mapped[Organization] = relationship(back_populates="contacts")


search_indexes(Organization.__table__, "name", "email", "phone")
