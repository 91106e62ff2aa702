"""Every table, one module per aggregate, re-exported so Alembic sees them all."""

from __future__ import annotations

from app.models.billing import (
    EntryStatus,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    MileageEntry,
)
from app.models.catalog import (
    Account,
    AccountType,
    BillingCode,
    BillingCodeKind,
    OrganizationCategory,
    PaymentMethod,
    PaymentTerm,
    TaxCode,
    TxnClass,
)
from app.models.clients import Client
from app.models.organizations import Contact, Organization
from app.models.people import Associate, PermissionLevel
from app.models.purchasing import POLine, POStatus, PurchaseOrder
from app.models.qbo import (
    ConnectionStatus,
    LinkOrigin,
    LinkState,
    QboConnection,
    QboLink,
    QboObject,
    QboPreference,
)
from app.models.rates import ExchangeRate
from app.models.settings import CompanySettings, DistanceUnit, Integration
from app.models.sync import EventOutcome, Fix, FixCode, RunKind, RunStatus, SyncEvent, SyncRun

__all__ = [
    "Account",
    "AccountType",
    "Associate",
    "BillingCode",
    "BillingCodeKind",
    "Client",
    "CompanySettings",
    "DistanceUnit",
    "ConnectionStatus",
    "Contact",
    "EntryStatus",
    "EventOutcome",
    "Fix",
    "FixCode",
    "ExchangeRate",
    "ExpenseEntry",
    "HoursEntry",
    "Integration",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "LineKind",
    "LinkOrigin",
    "LinkState",
    "MileageEntry",
    "Organization",
    "OrganizationCategory",
    "POLine",
    "POStatus",
    "PaymentMethod",
    "PaymentTerm",
    "PermissionLevel",
    "PurchaseOrder",
    "QboConnection",
    "QboLink",
    "QboObject",
    "QboPreference",
    "RunKind",
    "RunStatus",
    "SyncEvent",
    "SyncRun",
    "TaxCode",
    "TxnClass",
]
