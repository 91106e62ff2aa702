"""Invoices and their lines, and the associates' hours, expenses and mileage."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.database import DbSession
from app.extensions import Model
from app.models.base import (
    Currency,
    Hours,
    Money,
    Rate,
    TimestampMixin,
    enum_column,
    search_indexes,
)
from app.models.catalog import BillingCode, PaymentTerm, TaxCode, TxnClass
from app.models.clients import Client
from app.models.people import Associate
from app.money import ZERO, line_amount

if TYPE_CHECKING:
    from app.sync.tax import Totals


class InvoiceStatus(enum.StrEnum):
    """An invoice is edited as a draft and final once issued."""

    DRAFT = "draft"
    FINAL = "final"


class LineKind(enum.StrEnum):
    """The three kinds of invoice line."""

    HOURLY = "hourly"
    EXPENSE = "expense"
    MILEAGE = "mileage"


class Invoice(TimestampMixin, Model):
    """An invoice to a client."""

    __tablename__ = "invoices"
    # The listing sorts by due date and status too; the id breaks ties so pages never overlap.
    __table_args__ = (Index("ix_invoices_due_date_id", "due_date", "id"),
                      Index("ix_invoices_status_id", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(21), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    # The listing's default order (newest first): an index keeps its pages fast with years of
    # invoices.
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_term_id: Mapped[int | None] = mapped_column(ForeignKey("payment_terms.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))
    tax_code_id: Mapped[int | None] = mapped_column(ForeignKey("tax_codes.id"))
    currency: Mapped[Currency] = mapped_column(default="USD")
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_column(InvoiceStatus), default=InvoiceStatus.DRAFT
    )
    memo: Mapped[str | None] = mapped_column(Text)
    # How line amounts relate to tax outside the US (QBO's GlobalTaxCalculation, chosen per
    # invoice): "TaxExcluded" (tax added on top) or "TaxInclusive" (tax included in the
    # amounts). None: no such choice - the US model, tax added on the taxable subtotal.
    tax_calculation: Mapped[str | None] = mapped_column(String(20))
    # QuickBooks' own tax and total, written back after a copy (tax setting "qbo"); cleared
    # whenever the lines or the tax code change, until the next copy.
    qbo_tax: Mapped[Money | None]
    qbo_total: Mapped[Money | None]
    # QuickBooks' HomeTotalAmt of a foreign-currency invoice after the last copy.
    qbo_home_total: Mapped[Money | None]

    client: Mapped[Client] = relationship()
    payment_term: Mapped[PaymentTerm | None] = relationship()
    txn_class: Mapped[TxnClass | None] = relationship()
    tax_code: Mapped[TaxCode | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )

    @property
    def subtotal(self) -> Decimal:
        """Sum of the line amounts."""
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def taxable_subtotal(self) -> Decimal:
        """Sum of the taxable line amounts."""
        return sum((line.amount for line in self.lines if line.taxable), ZERO)

    @property
    def tax(self) -> Decimal:
        """QuickBooks' tax when written back, else the taxable subtotal at the tax code's rate."""
        if self.qbo_tax is not None:
            return self.qbo_tax
        return self.estimated_tax

    @property
    def prices_include_tax(self) -> bool:
        """True when the line amounts already include tax (tax-inclusive pricing)."""
        return self.tax_calculation == "TaxInclusive"

    @property
    def estimated_totals(self) -> Totals:
        """Subtotal, tax and total by Ledgerhub's own arithmetic, at the local tax code's rate."""
        from app.sync.tax import invoice_totals  # the one tax arithmetic; imports models

        return invoice_totals(self, us=self.tax_calculation is None,
                              global_tax=self.tax_calculation or "TaxExcluded")

    @property
    def estimated_tax(self) -> Decimal:
        """Tax at the invoice's tax code as Ledgerhub computes it before QuickBooks does."""
        return self.estimated_totals.tax

    @property
    def total(self) -> Decimal:
        """QuickBooks' total if written back, else the subtotal (plus tax unless included)."""
        if self.qbo_total is not None:
            return self.qbo_total
        if self.prices_include_tax:
            return self.subtotal
        return self.subtotal + self.tax


class InvoiceLine(Model):
    """One line of an invoice: hours, an expense or mileage."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind))
    associate_id: Mapped[int | None] = mapped_column(ForeignKey("associates.id"))
    service_date: Mapped[date | None] = mapped_column(Date)
    billing_code_id: Mapped[int | None] = mapped_column(ForeignKey("billing_codes.id"))
    description: Mapped[str | None] = mapped_column(String(4000))
    hours: Mapped[Hours | None]
    rate: Mapped[Rate | None]
    expense_amount: Mapped[Money | None]
    miles: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    taxable: Mapped[bool] = mapped_column(Boolean, default=False)
    # The My History entry a line was billed from ("Add lines from open entries"): its copy
    # in QuickBooks must stop being billable once this invoice is copied.
    hours_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("hours_entries.id", ondelete="SET NULL"), index=True)
    expense_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("expense_entries.id", ondelete="SET NULL"), index=True)
    mileage_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("mileage_entries.id", ondelete="SET NULL"), index=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    associate: Mapped[Associate | None] = relationship()
    billing_code: Mapped[BillingCode | None] = relationship()
    hours_entry: Mapped[HoursEntry | None] = relationship()

    @property
    def quantity(self) -> Decimal:
        """Hours, miles, or 1 for an expense."""
        if self.kind == LineKind.HOURLY:
            return self.hours or ZERO
        if self.kind == LineKind.MILEAGE:
            return self.miles or ZERO
        return Decimal(1)

    @property
    def unit_price(self) -> Decimal:
        """Hourly rate, rate per mile, or the expense amount."""
        if self.kind == LineKind.EXPENSE:
            return self.expense_amount or ZERO
        return self.rate or ZERO

    @property
    def amount(self) -> Decimal:
        """round(quantity x unit price, 2)."""
        return line_amount(self.quantity, self.unit_price)


class EntryStatus(enum.StrEnum):
    """Where an hours, expense or mileage entry stands."""

    OPEN = "open"
    SUBMITTED = "submitted"
    INVOICED = "invoiced"


class _EntryMixin(TimestampMixin):
    """Columns shared by every My History entry."""

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str | None] = mapped_column(String(4000))
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus), default=EntryStatus.OPEN)


class HoursEntry(_EntryMixin, Model):
    """Hours an associate worked, optionally for a client."""

    __tablename__ = "hours_entries"
    # My History lists one associate's entries by date or by status: each order in one index
    # with the associate, so a page (first or deep) reads the index in order instead of sorting
    # every entry.
    __table_args__ = (
        Index("ix_hours_entries_associate_id_work_date", "associate_id", "work_date"),
        Index("ix_hours_entries_associate_id_status_id", "associate_id", "status", "id"))

    associate_id: Mapped[int] = mapped_column(ForeignKey("associates.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    billing_code_id: Mapped[int | None] = mapped_column(ForeignKey("billing_codes.id"))
    work_date: Mapped[date] = mapped_column(Date, index=True)
    hours: Mapped[Hours]
    rate: Mapped[Rate | None]

    associate: Mapped[Associate] = relationship()
    client: Mapped[Client | None] = relationship()
    billing_code: Mapped[BillingCode | None] = relationship()

    @property
    def entry_date(self) -> date:
        """The date the listing filters and sorts on."""
        return self.work_date

    @property
    def amount(self) -> Decimal:
        """Hours times rate."""
        return line_amount(self.hours, self.rate or ZERO)


class ExpenseEntry(_EntryMixin, Model):
    """An expense an associate paid."""

    __tablename__ = "expense_entries"
    # My History lists one associate's entries by date or by status: each order in one index
    # with the associate, so a page (first or deep) reads the index in order instead of sorting
    # every entry.
    __table_args__ = (
        Index("ix_expense_entries_associate_id_expense_date", "associate_id", "expense_date"),
        Index("ix_expense_entries_associate_id_status_id", "associate_id", "status", "id"))

    associate_id: Mapped[int] = mapped_column(ForeignKey("associates.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    billing_code_id: Mapped[int | None] = mapped_column(ForeignKey("billing_codes.id"))
    expense_date: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Money]

    associate: Mapped[Associate] = relationship()
    client: Mapped[Client | None] = relationship()
    billing_code: Mapped[BillingCode | None] = relationship()

    @property
    def entry_date(self) -> date:
        """The date the listing filters and sorts on."""
        return self.expense_date


class MileageEntry(_EntryMixin, Model):
    """Miles an associate drove on business."""

    __tablename__ = "mileage_entries"
    # My History lists one associate's entries by date or by status: each order in one index
    # with the associate, so a page (first or deep) reads the index in order instead of sorting
    # every entry.
    __table_args__ = (
        Index("ix_mileage_entries_associate_id_trip_date", "associate_id", "trip_date"),
        Index("ix_mileage_entries_associate_id_status_id", "associate_id", "status", "id"))

    associate_id: Mapped[int] = mapped_column(ForeignKey("associates.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    trip_date: Mapped[date] = mapped_column(Date, index=True)
    miles: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    rate_per_mile: Mapped[Rate]

    associate: Mapped[Associate] = relationship()
    client: Mapped[Client | None] = relationship()

    @property
    def entry_date(self) -> date:
        """The date the listing filters and sorts on."""
        return self.trip_date

    @property
    def amount(self) -> Decimal:
        """Miles times rate per mile."""
        return line_amount(self.miles, self.rate_per_mile)


_WRITTEN_BACK = ("qbo_tax", "qbo_total", "qbo_home_total")
_TAX_INPUTS = {"tax_code_id", "tax_calculation", "currency", "exchange_rate"}


@event.listens_for(Session, "before_flush")
def _forget_written_back_tax(session: DbSession, _context: object, _instances: object) -> None:
    """QuickBooks' tax no longer applies once the lines or the tax code change."""
    touched: set[Invoice] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, InvoiceLine) and (obj in session.deleted or obj in session.new
                                             or session.is_modified(obj)):
            if obj.invoice is not None:
                touched.add(obj.invoice)
        elif isinstance(obj, Invoice) and obj in session.dirty:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _TAX_INPUTS):
                touched.add(obj)
    for invoice in touched:
        state = inspect(invoice)
        if any(state.attrs[name].history.added for name in _WRITTEN_BACK):
            continue  # a copy is writing QuickBooks' figures right now
        for name in _WRITTEN_BACK:
            if getattr(invoice, name) is not None:
                setattr(invoice, name, None)


search_indexes(Invoice.__table__, "number")
for _entries in (HoursEntry, ExpenseEntry, MileageEntry):
    search_indexes(_entries.__table__, "description")
