"""New companies: the built-in lists every QBO company has, plus an optional sandbox-like sample."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import automated_tax, operations
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
# "UK" is not ISO but is how people (and some of Intuit's pages) name the United Kingdom.
ISO2 = {**{three: two for two, three in ISO3.items()}, "UK": "GB"}


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
SALES_TAX_MODELS = ("automated", "manual")


# Non-US tax lists as QuickBooks sets them up for a company of the country, with today's rates.
# Canada: Intuit's "Common sales tax codes" (quickbooks.intuit.com/community/Sales-tax/
# Common-sales-tax-codes/td-p/261780); its table predates the 2016 HST rise in NB, NL and PE
# (15%), Nova Scotia's 14% from 1 April 2025, and the PST cuts in SK (6%, 2017) and MB (7%, 2019).
# United Kingdom: Intuit's "VAT codes in QuickBooks Online" (20.0% S, 5.0% R, 0.0% Z, Exempt,
# No VAT). Australia: GST 10%, GST free, Out of scope.
# (rate name, percent, SpecialTaxType)
GLOBAL_RATES: dict[str, list[tuple[str, Decimal, str]]] = {
    "CA": [
        ("GST", Decimal("5"), "NONE"),
        ("HST ON", Decimal("13"), "NONE"),
        ("HST NB", Decimal("15"), "NONE"),
        ("HST NL", Decimal("15"), "NONE"),
        ("HST PE", Decimal("15"), "NONE"),
        ("HST NS", Decimal("14"), "NONE"),
        ("PST BC", Decimal("7"), "NONE"),
        ("PST MB", Decimal("7"), "NONE"),
        ("PST SK", Decimal("6"), "NONE"),
        ("QST", Decimal("9.975"), "NONE"),
        ("Zero-rated", Decimal("0"), "ZERO_RATE"),
        ("Exempt", Decimal("0"), "EXEMPT"),
    ],
    "GB": [
        ("20.0% S", Decimal("20"), "NONE"),
        ("5.0% R", Decimal("5"), "NONE"),
        ("0.0% Z", Decimal("0"), "ZERO_RATE"),
        ("Exempt", Decimal("0"), "EXEMPT"),
    ],
    "AU": [
        ("GST", Decimal("10"), "NONE"),
        ("GST free", Decimal("0"), "ZERO_RATE"),
    ],
}
NON_TAXABLE_RATES = {"Exempt"}
# (code name, description, rate names); a code without rates is out of scope.
GLOBAL_CODES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "CA": [
        ("GST", "GST 5%", ("GST",)),
        ("HST ON", "HST Ontario 13%", ("HST ON",)),
        ("HST NB", "HST New Brunswick 15%", ("HST NB",)),
        ("HST NL", "HST Newfoundland and Labrador 15%", ("HST NL",)),
        ("HST PE", "HST Prince Edward Island 15%", ("HST PE",)),
        ("HST NS", "HST Nova Scotia 14%", ("HST NS",)),
        ("GST/PST BC", "GST 5% + PST BC 7%", ("GST", "PST BC")),
        ("PST BC", "PST BC 7%", ("PST BC",)),
        ("GST/PST MB", "GST 5% + PST MB 7%", ("GST", "PST MB")),
        ("PST MB", "PST MB 7%", ("PST MB",)),
        ("GST/PST SK", "GST 5% + PST SK 6%", ("GST", "PST SK")),
        ("PST SK", "PST SK 6%", ("PST SK",)),
        ("GST/QST QC", "GST 5% + QST 9.975%", ("GST", "QST")),
        ("QST QC", "QST 9.975%", ("QST",)),
        ("Zero-rated", "Zero-rated 0%", ("Zero-rated",)),
        ("Exempt", "Tax-exempt", ("Exempt",)),
        ("Out of scope", "Nontaxable goods and services", ()),
    ],
    "GB": [
        ("20.0% S", "Standard rate VAT 20%", ("20.0% S",)),
        ("5.0% R", "Reduced rate VAT 5%", ("5.0% R",)),
        ("0.0% Z", "Zero rate VAT", ("0.0% Z",)),
        ("Exempt", "Exempt from VAT", ("Exempt",)),
        ("No VAT", "Outside the scope of VAT", ()),
    ],
    "AU": [
        ("GST", "GST 10%", ("GST",)),
        ("GST free", "GST-free sales", ("GST free",)),
        ("Out of scope", "Not reportable for GST", ()),
    ],
}
# Any other country: one 10% rate and a zero rate.
GENERIC_RATES = [("GST", Decimal("10"), "NONE"), ("Zero-rated", Decimal("0"), "ZERO_RATE")]
GENERIC_CODES = [("GST", "GST 10%", ("GST",)), ("Zero-rated", "GST free", ("Zero-rated",))]
# A company's address in its own country (CompanyAddr.Country is ISO-3 since October 2025).
ADDRESSES: dict[str, dict[str, str]] = {
    "US": {"Line1": "123 Sierra Way", "City": "San Pablo", "CountrySubDivisionCode": "CA",
           "PostalCode": "87999"},
    "CA": {"Line1": "100 King Street West", "City": "Toronto", "CountrySubDivisionCode": "ON",
           "PostalCode": "M5X 1A9", "Country": "CAN"},
    "GB": {"Line1": "10 Whitechapel High Street", "City": "London",
           "CountrySubDivisionCode": "England", "PostalCode": "E1 8QS", "Country": "GBR"},
    "AU": {"Line1": "1 Martin Place", "City": "Sydney", "CountrySubDivisionCode": "NSW",
           "PostalCode": "2000", "Country": "AUS"},
}


def create_company(
    store: Store,
    name: str = "Sandbox Company_US_1",
    country: str = "US",
    seed: str = "sample",
    multicurrency: bool = False,
    home_currency: str | None = None,
    sales_tax: str | None = None,
) -> Company:
    """Create a company with QBO's built-in lists; `seed="sample"` adds sandbox-like records.

    ``sales_tax`` ("automated" | "manual") applies to US companies, automated by default as
    every US company created since November 2017 is.
    """
    country = country_code(country)
    model = sales_tax_model(country, sales_tax)
    with store.lock:
        company = store.new_company(name, country)
        moment = now()
        home = home_currency or HOME_CURRENCY.get(country, "USD")
        _singletons(store, company, moment, home, multicurrency, model == "automated")
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


def sales_tax_model(country: str, wanted: str | None) -> str:
    """The sales tax model of a new company; ValueError for one QBO does not offer."""
    if wanted in (None, ""):
        return "automated" if country == "US" else "manual"
    if wanted not in SALES_TAX_MODELS:
        raise ValueError("sales_tax must be automated or manual")
    if wanted == "automated" and country != "US":
        raise ValueError("automated sales tax exists only for US companies")
    return str(wanted)


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


def _singletons(
    store: Store, company: Company, moment: Any, home: str, multi: bool, automated: bool
) -> None:
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
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": automated},
        "CurrencyPrefs": {"MultiCurrencyEnabled": multi, "HomeCurrency": {"value": home}},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "WarnDuplicateDocNum", "Value": "true"},
                {"Name": "WarnDuplicateBillNum", "Value": "false"},
            ]
        },
    }
    store.put(company, "Preferences", prefs)
    info = {
        **_meta(moment),
        "CompanyName": company.name,
        "LegalName": company.name,
        "CompanyAddr": {"Id": "1", **ADDRESSES.get(company.country, {"City": company.country}),
                        "Country": ISO3.get(company.country, company.country)},
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


def _tax_record(moment: Any, obj_id: str, body: dict[str, Any]) -> dict[str, Any]:
    stamp = {"CreateTime": iso(moment), "LastUpdatedTime": iso(moment)}
    return {
        "Id": obj_id,
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "Active": True,
        "MetaData": stamp,
        **body,
    }


def seed_state_rates(store: Store, company: Company) -> None:
    """The automated sales tax rate table, added where missing (also on a switch to it)."""
    moment = now()

    def put_missing(entity: str, obj_id: str, body: dict[str, Any]) -> None:
        if company.get(entity, obj_id) is None:
            store.put(company, entity, _tax_record(moment, obj_id, body))

    automated_tax.seed(put_missing)


def _tax(store: Store, company: Company, moment: Any) -> None:
    def put(entity: str, obj_id: str, body: dict[str, Any]) -> None:
        store.put(company, entity, _tax_record(moment, obj_id, body))

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
        if company.automated_tax:
            seed_state_rates(store, company)
        return
    rate_ids: dict[str, str] = {}
    for number, (name, percent, special) in enumerate(GLOBAL_RATES.get(company.country,
                                                                        GENERIC_RATES), 1):
        rate_ids[name] = str(number)
        put(
            "TaxRate",
            str(number),
            {
                "Name": name,
                "RateValue": percent,
                "AgencyRef": {"value": "1"},
                "SpecialTaxType": special,
                "DisplayType": "ReadOnly",
            },
        )
    codes = GLOBAL_CODES.get(company.country, GENERIC_CODES)
    for number, (name, description, rate_names) in enumerate(codes, 1):
        listed = rates(*(rate_ids[r] for r in rate_names))
        put(
            "TaxCode",
            str(number),
            {
                "Name": name,
                "Description": description,
                # QBO marks exempt and out-of-scope codes non-taxable; zero-rated is taxable.
                "Taxable": any(r not in NON_TAXABLE_RATES for r in rate_names),
                "TaxGroup": len(rate_names) > 1,
                "SalesTaxRateList": listed,
                "PurchaseTaxRateList": listed,
            },
        )
