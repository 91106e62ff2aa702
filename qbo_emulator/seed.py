"""New companies: the built-in lists every QBO company has, plus an optional sandbox-like sample."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import operations
from .entities.common import WriteContext
from .jsonutil import iso, now
from .store import Company, Store

HOME_CURRENCY = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "AU": "AUD",
    "NZ": "NZD",
    "IN": "INR",
    "FR": "EUR",
    "DE": "EUR",
    "IE": "EUR",
}

# CompanyInfo carries ISO 3166-1 alpha-3 codes since October 2025 (qbo-api-notes "CompanyInfo");
# companies are created with either form and kept as alpha-2 inside the emulator.
ISO3 = {
    "US": "USA",
    "CA": "CAN",
    "GB": "GBR",
    "AU": "AUS",
    "NZ": "NZL",
    "IN": "IND",
    "FR": "FRA",
    "DE": "DEU",
    "IE": "IRL",
}
ISO2 = {three: two for two, three in ISO3.items()}


def country_code(code: str) -> str:
    """The alpha-2 code of a country given as alpha-2 or alpha-3 ("USA" -> "US")."""
    text = code.strip().upper()
    return ISO2.get(text, text)


ACCOUNTS = [
    ("Checking", "Bank", "Checking"),
    ("Savings", "Bank", "Savings"),
    ("Mastercard", "Credit Card", "CreditCard"),
    ("Visa", "Credit Card", "CreditCard"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Prepaid Expenses", "Other Current Asset", "PrepaidExpenses"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Cost of Labor", "Cost of Goods Sold", "CostOfLaborCos"),
    ("Advertising", "Expense", "AdvertisingPromotional"),
    ("Travel", "Expense", "Travel"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Legal & Professional Fees", "Expense", "LegalProfessionalFees"),
    ("Automobile", "Expense", "Auto"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"),
]
TERMS = [("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)]
PAYMENT_METHODS = [
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Direct Debit", "NON_CREDIT_CARD"),
]

CUSTOMERS = [
    "Amy's Bird Sanctuary",
    "Bill's Windsurf Shop",
    "Cool Cars",
    "Diego Rodriguez",
    "Dukes Basketball Camp",
    "Dylan Sollfrank",
    "Freeman Sporting Goods",
    "Geeta Kalapatapu",
    "Gevelber Photography",
    "Jeff's Jalopies",
    "John Melton",
    "Kate Whelan",
    "Kookies by Kathy",
    "Mark Cho",
    "Paulsen Medical Supplies",
    "Pye's Cakes",
    "Rago Travel Agency",
    "Red Rock Diner",
    "Rondonuwu Fruit and Vegi",
    "Shara Barnett",
    "Sonnenschein Family Store",
    "Sushi by Katsuyuki",
    "Travis Waldron",
    "Video Games by Dan",
    "Wedding Planning by Whitney",
    "Weiskopf Consulting",
    "Zoë Müller GmbH",
    "Café Ñandú",
    "Søren O'Connor & Sons",
    "東京デザイン株式会社",
]
JOBS = [
    ("Freeman Sporting Goods", "0969 Ocean View Road"),
    ("Freeman Sporting Goods", "55 Twin Lane"),
    ("Shara Barnett", "Barnett Design"),
]
VENDORS = [
    "Brosnahan Insurance Agency",
    "Cal Telephone",
    "Chin's Gas and Oil",
    "Cigna Health Care",
    "Computers by Jenni",
    "Diego's Road Warrior Bodyshop",
    "EDD",
    "Ellis Equipment Rental",
    "Fidelity",
    "Hall Properties",
    "Hicks Hardware",
    "Lee Advertising",
    "Mahoney Mugs",
    "Met Life Dental",
    "National Eye Care",
    "Norton Lumber and Building Materials",
    "PG&E",
    "Robertson & Associates",
    "Squeaky Kleen Car Wash",
    "Tim Philip Masonry",
    "Tony Rondonuwu",
    "United States Treasury",
    "Åsa Ekström Consulting",
]
EMPLOYEES = [("Emily", "Platt"), ("John", "Johnson"), ("Renée", "O'Neil"), ("Tomás", "Álvarez")]
ITEMS = [
    ("Design", Decimal("75")),
    ("Gardening", Decimal("25")),
    ("Hours", Decimal("0")),
    ("Installation", Decimal("50")),
    ("Maintenance & Repair", Decimal("65")),
    ("Pest Control", Decimal("35")),
    ("Trimming", Decimal("35")),
    ("Consulting", Decimal("150")),
    ("Concrete", Decimal("0")),
    ("Lighting", Decimal("0")),
]
CLASSES = ["Consulting", "Landscaping", "Maintenance", "Remote"]


def create_company(
    store: Store,
    name: str = "Sandbox Company_US_1",
    country: str = "US",
    seed: str = "sample",
    multicurrency: bool = False,
    home_currency: str | None = None,
) -> Company:
    """Create a company with QBO's built-in lists; `seed="sample"` adds sandbox-like records."""
    with store.lock:
        company = store.new_company(name, country)
        moment = now()
        home = home_currency or HOME_CURRENCY.get(country, "USD")
        _singletons(store, company, moment, home, multicurrency)
        _tax(store, company, moment)
        ctx = WriteContext(store, company, moment)
        for account_name, kind, sub in ACCOUNTS:
            operations.save(
                ctx, "Account", {"Name": account_name, "AccountType": kind, "AccountSubType": sub}
            )
        for term_name, days in TERMS:
            operations.save(ctx, "Term", {"Name": term_name, "DueDays": days})
        for method, kind in PAYMENT_METHODS:
            operations.save(ctx, "PaymentMethod", {"Name": method, "Type": kind})
        income = _account_id(company, "Services")
        operations.save(
            ctx,
            "Item",
            {"Name": "Services", "Type": "Service", "IncomeAccountRef": {"value": income}},
        )
        if seed == "sample":
            _sample(ctx, income)
        return company


def _account_id(company: Company, name: str) -> str:
    found = company.find_name("Account", name)
    assert found is not None
    return found[1]


def _sample(ctx: WriteContext, income: str) -> None:
    expense = _account_id(ctx.company, "Cost of Labor")
    for display in CUSTOMERS:
        operations.save(
            ctx,
            "Customer",
            {
                "DisplayName": display,
                "CompanyName": display,
                "PrimaryEmailAddr": {"Address": _email(display)},
            },
        )
    for parent, job in JOBS:
        parent_id = ctx.company.find_name("Customer", parent)
        assert parent_id is not None
        operations.save(
            ctx,
            "Customer",
            {"DisplayName": job, "ParentRef": {"value": parent_id[1]}, "BillWithParent": True},
        )
    for display in VENDORS:
        operations.save(ctx, "Vendor", {"DisplayName": display, "CompanyName": display})
    for given, family in EMPLOYEES:
        operations.save(ctx, "Employee", {"GivenName": given, "FamilyName": family})
    for item, price in ITEMS:
        operations.save(
            ctx,
            "Item",
            {
                "Name": item,
                "Type": "Service",
                "UnitPrice": price,
                "IncomeAccountRef": {"value": income},
                "ExpenseAccountRef": {"value": expense},
            },
        )
    for class_name in CLASSES:
        operations.save(ctx, "Class", {"Name": class_name})


def _email(name: str) -> str:
    local = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "contact"
    return f"{local[:20]}@example.com"


def _meta(moment: Any) -> dict[str, Any]:
    stamp = iso(moment)
    return {
        "Id": "1",
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }


def _singletons(store: Store, company: Company, moment: Any, home: str, multi: bool) -> None:
    prefs = {
        **_meta(moment),
        "AccountingInfoPrefs": {
            "TrackDepartments": False,
            "ClassTrackingPerTxn": True,
            "ClassTrackingPerTxnLine": True,
            "CustomerTerminology": "Customers",
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False,
            "AllowDiscount": True,
            "AllowShipping": False,
            "AllowDeposit": False,
        },
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True, "TrackingByCustomer": True},
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": True,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
        },
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": company.us},
        "CurrencyPrefs": {"MultiCurrencyEnabled": multi, "HomeCurrency": {"value": home}},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "WarnDuplicateDocNum", "Value": "false"},
                {"Name": "WarnDuplicateBillNum", "Value": "false"},
            ]
        },
    }
    store.put(company, "Preferences", prefs)
    info = {
        **_meta(moment),
        "CompanyName": company.name,
        "LegalName": company.name,
        "CompanyAddr": {
            "Id": "1",
            "Line1": "123 Sierra Way",
            "City": "San Pablo",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "87999",
            "Country": ISO3.get(company.country, company.country),
        },
        "Country": ISO3.get(company.country, company.country),
        "Email": {"Address": "noreply@example.com"},
        "CompanyStartDate": moment.date().isoformat(),
        "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Professional services"},
        ],
    }
    store.put(company, "CompanyInfo", info)


def _tax(store: Store, company: Company, moment: Any) -> None:
    stamp = {"CreateTime": iso(moment), "LastUpdatedTime": iso(moment)}

    def put(entity: str, obj_id: str, body: dict[str, Any]) -> None:
        store.put(
            company,
            entity,
            {
                "Id": obj_id,
                "SyncToken": "0",
                "domain": "QBO",
                "sparse": False,
                "Active": True,
                "MetaData": stamp,
                **body,
            },
        )

    def rates(*ids: str) -> dict[str, Any]:
        return {
            "TaxRateDetail": [
                {"TaxRateRef": {"value": i}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
                for i in ids
            ]
        }

    if company.us:
        put(
            "TaxRate",
            "1",
            {
                "Name": "Texas State",
                "Description": "Sales Tax",
                "RateValue": Decimal("8.25"),
                "AgencyRef": {"value": "1"},
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
            },
        )
        put(
            "TaxCode",
            "TAX",
            {"Name": "TAX", "Description": "TAX", "Taxable": True, "TaxGroup": False},
        )
        put(
            "TaxCode",
            "NON",
            {"Name": "NON", "Description": "NON", "Taxable": False, "TaxGroup": False},
        )
        put(
            "TaxCode",
            "2",
            {
                "Name": "Texas",
                "Description": "Texas state sales tax",
                "Taxable": True,
                "TaxGroup": True,
                "SalesTaxRateList": rates("1"),
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            },
        )
        return
    put(
        "TaxRate",
        "1",
        {
            "Name": "GST (sales)",
            "RateValue": Decimal("10"),
            "AgencyRef": {"value": "1"},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        },
    )
    put(
        "TaxRate",
        "2",
        {
            "Name": "GST (purchases)",
            "RateValue": Decimal("10"),
            "AgencyRef": {"value": "1"},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        },
    )
    put(
        "TaxRate",
        "3",
        {
            "Name": "Zero-rated",
            "RateValue": Decimal("0"),
            "AgencyRef": {"value": "1"},
            "SpecialTaxType": "ZERO_RATE",
            "DisplayType": "ReadOnly",
        },
    )
    put(
        "TaxCode",
        "3",
        {
            "Name": "GST",
            "Description": "GST 10%",
            "Taxable": True,
            "TaxGroup": False,
            "SalesTaxRateList": rates("1"),
            "PurchaseTaxRateList": rates("2"),
        },
    )
    put(
        "TaxCode",
        "4",
        {
            "Name": "Zero-rated",
            "Description": "GST free",
            "Taxable": True,
            "TaxGroup": False,
            "SalesTaxRateList": rates("3"),
            "PurchaseTaxRateList": rates("3"),
        },
    )
