"""Entity catalogue: which QBO entities exist here and how each kind of write is checked."""

from __future__ import annotations

from .. import schema

NAME_LISTS = ("Account", "Item", "PaymentMethod", "Term", "Class", "Customer", "Vendor", "Employee")
TRANSACTIONS = ("Invoice", "TimeActivity", "Purchase", "PurchaseOrder", "Bill", "BillPayment")
READ_ONLY = ("TaxCode", "TaxRate")
SINGLETONS = ("CompanyInfo", "Preferences")
# Read and set through GET/POST /exchangerate (qbo_emulator.exchange), queried like the rest.
EXCHANGE_RATE = "ExchangeRate"
# Every other entity of Intuit's XSD: read, query, CDC, and create/update with XSD validation.
GENERIC = tuple(
    sorted(
        schema.entity_names()
        - set(NAME_LISTS + TRANSACTIONS + READ_ONLY + SINGLETONS + (EXCHANGE_RATE,))
    )
)
ENTITIES = NAME_LISTS + TRANSACTIONS + READ_ONLY + SINGLETONS + (EXCHANGE_RATE,) + GENERIC

# URL segment (always lower-case in QBO) -> entity name, for entities with /<entity>/<id> routes.
BY_PATH = {name.lower(): name for name in NAME_LISTS + TRANSACTIONS + READ_ONLY + GENERIC}
VOIDABLE = frozenset({"Invoice", "BillPayment"})
CDC_UNSUPPORTED = frozenset({"TimeActivity", "TaxCode", "TaxRate"})

# Fields the service computes; values sent by a client are dropped before the rules run.
COMMON_READ_ONLY = ("MetaData", "domain", "status", "sparse", "Id", "SyncToken")
READ_ONLY_FIELDS: dict[str, tuple[str, ...]] = {
    "Customer": ("Balance", "BalanceWithJobs", "FullyQualifiedName", "Level", "Job"),
    "Vendor": ("Balance",),
    "Account": (
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
        "FullyQualifiedName",
        "SubAccount",
        "Classification",
    ),
    "Item": ("FullyQualifiedName", "Level", "SubItem"),
    "Class": ("FullyQualifiedName", "SubClass"),
    "Invoice": ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance"),
    "Bill": ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance"),
    "Purchase": ("TotalAmt", "HomeTotalAmt"),
    "PurchaseOrder": ("TotalAmt", "HomeTotalAmt", "LinkedTxn"),
    "BillPayment": ("HomeTotalAmt",),
}
