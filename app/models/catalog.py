"""The lists that records refer to and that mappings connect to QBO."""

from __future__ import annotations

import enum
from decimal import Decimal

from sqlalchemy import Boolean, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.base import (
    QBO_NAME_STORED,
    QBO_SHORT_NAME_STORED,
    Money,
    TimestampMixin,
    enum_column,
)
from app.money import format_percent


class BillingCodeKind(enum.StrEnum):
    """Which kind of invoice line a billing code is used for."""

    HOURLY = "hourly"
    EXPENSE = "expense"
    MILEAGE = "mileage"

    @property
    def label(self) -> str:
        """The kind of line, as a form and the list name it: Hours, Expenses, Mileage."""
        return {"hourly": "Hours", "expense": "Expenses", "mileage": "Mileage"}[self.value]


class BillingCode(TimestampMixin, Model):
    """A billable service or cost (QBO: an Item)."""

    __tablename__ = "billing_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(QBO_NAME_STORED), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[BillingCodeKind] = mapped_column(enum_column(BillingCodeKind))
    default_rate: Mapped[Money | None]
    taxable: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.code


class PaymentTerm(TimestampMixin, Model):
    """Payment terms such as Net 30 (QBO: a Term)."""

    __tablename__ = "payment_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(QBO_SHORT_NAME_STORED), unique=True)
    due_days: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class TxnClass(TimestampMixin, Model):
    """A class for tracking income and expenses by segment (QBO: a Class)."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(QBO_NAME_STORED), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class TaxCode(TimestampMixin, Model):
    """A sales tax code with its rate in percent (QBO: a TaxCode and its TaxRate)."""

    __tablename__ = "tax_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(QBO_NAME_STORED), unique=True)
    name: Mapped[str] = mapped_column(String(QBO_NAME_STORED))
    rate_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal("0"))
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return f"{self.code} ({format_percent(self.rate_percent)})" if self.taxable else self.code


class PaymentMethod(TimestampMixin, Model):
    """How an expense was paid or a payment received (QBO: a PaymentMethod)."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(QBO_SHORT_NAME_STORED), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class AccountType(enum.StrEnum):
    """The account types Ledgerhub needs (QBO's AccountType values)."""

    BANK = "Bank"
    CREDIT_CARD = "Credit Card"
    ACCOUNTS_RECEIVABLE = "Accounts Receivable"
    ACCOUNTS_PAYABLE = "Accounts Payable"
    INCOME = "Income"
    EXPENSE = "Expense"
    COST_OF_GOODS_SOLD = "Cost of Goods Sold"
    OTHER_CURRENT_ASSET = "Other Current Asset"
    OTHER_EXPENSE = "Other Expense"
    OTHER_INCOME = "Other Income"


class Account(TimestampMixin, Model):
    """A general-ledger account of the chart of accounts."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(QBO_NAME_STORED), unique=True)
    number: Mapped[str | None] = mapped_column(String(20))
    account_type: Mapped[AccountType] = mapped_column(enum_column(AccountType))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return f"{self.number} {self.name}" if self.number else self.name


class OrganizationCategory(Model):
    """A grouping of vendor organizations (e.g. Subcontractor, Supplier)."""

    __tablename__ = "organization_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    def __str__(self) -> str:
        return self.name
