"""The demo company that ``make run`` seeds on first start."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    CompanySettings,
    Contact,
    EntryStatus,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    InvoiceLine,
    LineKind,
    MileageEntry,
    Organization,
    OrganizationCategory,
    PaymentMethod,
    PaymentTerm,
    PermissionLevel,
    POLine,
    PurchaseOrder,
    TaxCode,
    TxnClass,
)

DEMO_LOGINS = [
    ("owner", "demo-owner", "Company Owner"),
    ("qboadmin", "demo-admin", "QBO Admin"),
    ("alex", "demo-associate", "Associate"),
]


def _person(username: str, password: str, first: str, last: str, **kw: object) -> Associate:
    person = Associate(username=username, first_name=first, last_name=last,
                       display_name=f"{first} {last}", email=f"{username}@example.com", **kw)
    person.set_password(password)
    return person


D = Decimal  # short alias keeps the tables below readable


def seed_demo_company() -> bool:
    """Create the demo data when no associate exists yet; True when something was created."""
    if db.session.scalar(select(func.count(Associate.id))):
        return False
    CompanySettings.load().company_name = "Brightline Consulting"
    people = _people()
    lists = _lists()
    _accounts()
    clients, orgs = _clients(lists), _organizations(lists)
    db.session.flush()
    _invoice(clients[0], people["alex"], lists)
    _entries(clients, people["alex"], lists)
    _purchase_order(orgs[0], lists["consulting"])
    db.session.commit()
    return True


def _people() -> dict[str, Associate]:
    """The three demo logins and an associate without one."""
    people = {
        "owner": _person("owner", "demo-owner", "Olivia", "Owner",
                         permission=PermissionLevel.OWNER, hourly_rate=D("200.00"),
                         cost_rate=D("0")),
        "qboadmin": _person("qboadmin", "demo-admin", "Quinn", "Bookkeeper", is_qbo_admin=True,
                            hourly_rate=D("95.00"), cost_rate=D("55.00")),
        "alex": _person("alex", "demo-associate", "Alex", "Rivera", hourly_rate=D("125.00"),
                        cost_rate=D("70.00")),
        "sam": Associate(first_name="Sam", last_name="O'Connor", display_name="Sam O'Connor",
                         email="sam@example.com", hourly_rate=D("110.00")),
    }
    db.session.add_all(people.values())
    return people


def _lists() -> dict[str, Any]:
    """Terms, billing codes, tax codes, classes, payment methods and vendor categories."""
    lists: dict[str, Any] = {
        "net30": PaymentTerm(name="Net 30", due_days=30),
        "net15": PaymentTerm(name="Net 15", due_days=15),
        "receipt": PaymentTerm(name="Due on receipt", due_days=0),
        "consulting": BillingCode(code="Consulting", description="Consulting services",
                                  kind=BillingCodeKind.HOURLY, default_rate=D("150.00")),
        "training": BillingCode(code="Training", description="On-site training",
                                kind=BillingCodeKind.HOURLY, default_rate=D("120.00"),
                                taxable=True),
        "travel": BillingCode(code="Travel expense", description="Reimbursable travel",
                              kind=BillingCodeKind.EXPENSE),
        "mileage": BillingCode(code="Mileage", description="Business mileage",
                               kind=BillingCodeKind.MILEAGE, default_rate=D("0.70")),
        "tax": TaxCode(code="TAX", name="Sales tax", rate_percent=D("8.25")),
        "non": TaxCode(code="NON", name="Non-taxable", rate_percent=D("0"), taxable=False),
        "subcontractor": OrganizationCategory(name="Subcontractor"),
        "supplier": OrganizationCategory(name="Supplier"),
    }
    db.session.add_all(lists.values())
    db.session.add_all([TxnClass(name="Advisory"), TxnClass(name="Implementation"),
                        PaymentMethod(name="Check"), PaymentMethod(name="Credit Card"),
                        PaymentMethod(name="ACH")])
    return lists


def _accounts() -> None:
    db.session.add_all([
        Account(name="Checking", number="1000", account_type=AccountType.BANK),
        Account(name="Company Visa", number="2100", account_type=AccountType.CREDIT_CARD),
        Account(name="Accounts Receivable", number="1200",
                account_type=AccountType.ACCOUNTS_RECEIVABLE),
        Account(name="Accounts Payable", number="2000",
                account_type=AccountType.ACCOUNTS_PAYABLE),
        Account(name="Consulting Income", number="4000", account_type=AccountType.INCOME),
        Account(name="Travel", number="6200", account_type=AccountType.EXPENSE),
        Account(name="Subcontractors", number="5100",
                account_type=AccountType.COST_OF_GOODS_SOLD),
    ])


def _clients(lists: dict[str, Any]) -> list[Client]:
    clients = [
        Client(name="Acme Manufacturing", contact_name="Dana Lee", email="ap@acme.example",
               phone="555-0101", address_line1="1 Industrial Way", city="Springfield",
               region="IL", postal_code="62701", country="USA", payment_term=lists["net30"],
               tax_code=lists["tax"], referred_by="Chamber of Commerce", act_as_reference=True),
        Client(name="Bayview Dental", contact_name="Dr. Priya Shah", email="office@bayview.example",
               phone="555-0102", payment_term=lists["net15"], tax_code=lists["non"]),
        Client(name="O'Brien & Daughters", contact_name="Maeve O'Brien",
               email="maeve@obrien.example", payment_term=lists["net30"]),
        Client(name="Café Zürich", email="hallo@cafe-zurich.example", currency="USD",
               is_company=True),
        Client(name="Jordan Kim", is_company=False, is_inquiry=True, email="jordan@example.com"),
    ]
    db.session.add_all(clients)
    return clients


def _organizations(lists: dict[str, Any]) -> list[Organization]:
    orgs = [
        Organization(name="Northwind Staffing", category=lists["subcontractor"],
                     email="billing@northwind.example", payment_term=lists["net30"],
                     contacts=[Contact(name="Lee Park", title="Billing",
                                       email="lee@northwind.example")]),
        Organization(name="Office Depot Supply", category=lists["supplier"],
                     payment_term=lists["receipt"]),
        Organization(name="Freelance Design Co"),
    ]
    db.session.add_all(orgs)
    return orgs


def _invoice(client: Client, alex: Associate, lists: dict[str, Any]) -> None:
    """A draft invoice with a line of each kind."""
    today = date.today()
    invoice = Invoice(number="1001", client=client, issue_date=today - timedelta(days=7),
                      due_date=today + timedelta(days=23), payment_term=lists["net30"],
                      tax_code=lists["tax"], currency="USD")
    invoice.lines = [
        InvoiceLine(position=1, kind=LineKind.HOURLY, associate=alex,
                    billing_code=lists["consulting"], service_date=today - timedelta(days=10),
                    hours=D("7.5"), rate=D("150.00"), description="Process review"),
        InvoiceLine(position=2, kind=LineKind.HOURLY, associate=alex,
                    billing_code=lists["training"], service_date=today - timedelta(days=9),
                    hours=D("3.25"), rate=D("120.00"), taxable=True,
                    description="Staff training"),
        InvoiceLine(position=3, kind=LineKind.EXPENSE, billing_code=lists["travel"],
                    expense_amount=D("86.40"), description="Train tickets"),
        InvoiceLine(position=4, kind=LineKind.MILEAGE, associate=alex,
                    billing_code=lists["mileage"], miles=D("42.0"), rate=D("0.70"),
                    service_date=today - timedelta(days=9)),
    ]
    db.session.add(invoice)


def _entries(clients: list[Client], alex: Associate, lists: dict[str, Any]) -> None:
    """Open hours, an expense and a mileage trip, ready to be invoiced."""
    today = date.today()
    for offset, hours, client in ((1, "6.00", clients[0]), (2, "4.50", clients[1]),
                                  (3, "2.25", clients[2])):
        db.session.add(HoursEntry(associate=alex, client=client, billing_code=lists["consulting"],
                                  work_date=today - timedelta(days=offset), hours=D(hours),
                                  rate=alex.hourly_rate, description="Client work"))
    db.session.add(ExpenseEntry(associate=alex, client=clients[0], billing_code=lists["travel"],
                                expense_date=today - timedelta(days=2), amount=D("23.75"),
                                description="Parking"))
    db.session.add(MileageEntry(associate=alex, client=clients[1], trip_date=today,
                                miles=D("18.4"), rate_per_mile=D("0.70"),
                                description="Site visit", status=EntryStatus.SUBMITTED))


def _purchase_order(organization: Organization, code: BillingCode) -> None:
    po = PurchaseOrder(number="PO-1001", organization=organization, order_date=date.today(),
                       currency="USD")
    po.lines = [POLine(position=1, billing_code=code, description="Contract developer",
                       quantity=D("40"), unit_cost=D("85.00"))]
    db.session.add(po)
