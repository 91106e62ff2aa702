"""Clients (QBO customers) and inquiries."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import QBO_NAME_STORED, Currency, TimestampMixin, search_indexes
from app.models.catalog import PaymentTerm, TaxCode


class AddressMixin:
    """A postal address, as QBO's BillAddr holds it."""

    address_line1: Mapped[str | None] = mapped_column(String(500))
    address_line2: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(30))
    country: Mapped[str | None] = mapped_column(String(255))

    @property
    def address_lines(self) -> list[str]:
        """The non-empty parts of the address, one display line each."""
        city_line = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        parts = (self.address_line1, self.address_line2, city_line, self.country)
        return [p for p in parts if p]


class Client(TimestampMixin, AddressMixin, Model):
    """A client of the firm: a company or a person who is invoiced."""

    __tablename__ = "clients"
    # The listing sorts by e-mail too; the id breaks ties so pages never overlap.
    __table_args__ = (Index("ix_clients_email_id", "email", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(QBO_NAME_STORED), index=True)
    is_company: Mapped[bool] = mapped_column(Boolean, default=True)
    is_inquiry: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    currency: Mapped[Currency] = mapped_column(default="USD")
    payment_term_id: Mapped[int | None] = mapped_column(ForeignKey("payment_terms.id"))
    tax_code_id: Mapped[int | None] = mapped_column(ForeignKey("tax_codes.id"))
    referred_by: Mapped[str | None] = mapped_column(String(200))
    act_as_reference: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    payment_term: Mapped[PaymentTerm | None] = relationship()
    tax_code: Mapped[TaxCode | None] = relationship()

    def __str__(self) -> str:
        return self.name


search_indexes(Client.__table__, "name", "email", "contact_name", "phone")
