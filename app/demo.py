"""The demo company that ``make run`` seeds on first start."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

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


def seed_demo_company() -> bool:
    """Create the demo data when no associate exists yet; True when something was created."""
    if db.session.scalar(select(func.count(Associate.id))):
        return False
    settings = CompanySettings.load()
    settings.company_name = "Brightline Consulting"
    D = Decimal  # noqa: N806 - short alias keeps the tables below readable

    owner = _person("owner", "demo-owner", "Olivia", "Owner", permission=PermissionLevel.OWNER,
                    hourly_rate=D("200.00"), cost_rate=D("0"))
    admin = _person("qboadmin", "demo-admin", "Quinn", "Bookkeeper", is_qbo_admin=True,
                    hourly_rate=D("95.00"), cost_rate=D("55.00"))
    alex = _person("alex", "demo-associate", "Alex", "Rivera", hourly_rate=D("125.00"),
                   cost_rate=D("70.00"))
    sam = Associate(first_name="Sam", last_name="O'Connor", display_name="Sam O'Connor",
                    email="sam@example.com", hourly_rate=D("110.00"))
    db.session.add_all([owner, admin, alex, sam])

    net30 = PaymentTerm(name="Net 30", due_days=30)
    net15 = PaymentTerm(name="Net 15", due_days=15)
    receipt = PaymentTerm(name="Due on receipt", due_days=0)
    consulting = BillingCode(code="Consulting", description="Consulting services",
                             kind=BillingCodeKind.HOURLY, default_rate=D("150.00"))
    training = BillingCode(code="Training", description="On-site training",
                           kind=BillingCodeKind.HOURLY, default_rate=D("120.00"), taxable=True)
    travel = BillingCode(code="Travel expense", description="Reimbursable travel",
                         kind=BillingCodeKind.EXPENSE)
    mileage_code = BillingCode(code="Mileage", description="Business mileage",
                               kind=BillingCodeKind.MILEAGE, default_rate=D("0.70"))
    tax = TaxCode(code="TAX", name="Sales tax", rate_percent=D("8.25"))
    non = TaxCode(code="NON", name="Non-taxable", rate_percent=D("0"), taxable=False)
    db.session.add_all([net30, net15, receipt, consulting, training, travel, mileage_code, tax,
                        non, TxnClass(name="Advisory"), TxnClass(name="Implementation"),
                        PaymentMethod(name="Check"), PaymentMethod(name="Credit Card"),
                        PaymentMethod(name="ACH")])
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
    subs = OrganizationCategory(name="Subcontractor")
    supplier = OrganizationCategory(name="Supplier")
    db.session.add_all([subs, supplier])

    clients = [
        Client(name="Acme Manufacturing", contact_name="Dana Lee", email="ap@acme.example",
               phone="555-0101", address_line1="1 Industrial Way", city="Springfield",
               region="IL", postal_code="62701", country="USA", payment_term=net30,
               tax_code=tax, referred_by="Chamber of Commerce", act_as_reference=True),
        Client(name="Bayview Dental", contact_name="Dr. Priya Shah", email="office@bayview.example",
               phone="555-0102", payment_term=net15, tax_code=non),
        Client(name="O'Brien & Daughters", contact_name="Maeve O'Brien",
               email="maeve@obrien.example", payment_term=net30),
        Client(name="Café Zürich", email="hallo@cafe-zurich.example", currency="USD",
               is_company=True),
        Client(name="Jordan Kim", is_company=False, is_inquiry=True, email="jordan@example.com"),
    ]
    db.session.add_all(clients)
    orgs = [
        Organization(name="Northwind Staffing", category=subs, email="billing@northwind.example",
                     payment_term=net30, contacts=[Contact(name="Lee Park", title="Billing",
                                                           email="lee@northwind.example")]),
        Organization(name="Office Depot Supply", category=supplier, payment_term=receipt),
        Organization(name="Freelance Design Co"),
    ]
    db.session.add_all(orgs)
    db.session.flush()

    today = date.today()
    invoice = Invoice(number="1001", client=clients[0], issue_date=today - timedelta(days=7),
                      due_date=today + timedelta(days=23), payment_term=net30, tax_code=tax,
                      currency="USD")
    invoice.lines = [
        InvoiceLine(position=1, kind=LineKind.HOURLY, associate=alex, billing_code=consulting,
                    service_date=today - timedelta(days=10), hours=D("7.5"), rate=D("150.00"),
                    description="Process review"),
        InvoiceLine(position=2, kind=LineKind.HOURLY, associate=alex, billing_code=training,
                    service_date=today - timedelta(days=9), hours=D("3.25"), rate=D("120.00"),
                    taxable=True, description="Staff training"),
        InvoiceLine(position=3, kind=LineKind.EXPENSE, billing_code=travel,
                    expense_amount=D("86.40"), description="Train tickets"),
        InvoiceLine(position=4, kind=LineKind.MILEAGE, associate=alex, billing_code=mileage_code,
                    miles=D("42.0"), rate=D("0.70"), service_date=today - timedelta(days=9)),
    ]
    db.session.add(invoice)
    for offset, hours, client in ((1, "6.00", clients[0]), (2, "4.50", clients[1]),
                                  (3, "2.25", clients[2])):
        db.session.add(HoursEntry(associate=alex, client=client, billing_code=consulting,
                                  work_date=today - timedelta(days=offset), hours=D(hours),
                                  rate=alex.hourly_rate, description="Client work"))
    db.session.add(ExpenseEntry(associate=alex, client=clients[0], billing_code=travel,
                                expense_date=today - timedelta(days=2), amount=D("23.75"),
                                description="Parking"))
    db.session.add(MileageEntry(associate=alex, client=clients[1], trip_date=today,
                                miles=D("18.4"), rate_per_mile=D("0.70"),
                                description="Site visit", status=EntryStatus.SUBMITTED))
    po = PurchaseOrder(number="PO-1001", organization=orgs[0], order_date=today, currency="USD")
    po.lines = [POLine(position=1, billing_code=consulting, description="Contract developer",
                       quantity=D("40"), unit_cost=D("85.00"))]
    db.session.add(po)
    db.session.commit()
    return True
