"""Invoice and invoice-line forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    ValidationError,
)

from app.extensions import db
from app.models import (
    Associate,
    BillingCode,
    Client,
    Invoice,
    InvoiceLine,
    LineKind,
    PaymentTerm,
    TaxCode,
    TxnClass,
)
from app.sync.tax import TAX_CALCULATIONS
from app.web.forms import (
    CURRENCIES,
    CalendarDateField,
    date_field,
    exchange_rate_field,
    id_select,
    model_choices,
    money_field,
    name_distance,
    strip_filter,
)
from app.web.lines import RowForm


class InvoiceForm(FlaskForm):
    """An invoice's header."""

    client_id = id_select("Client", Client, required=True)
    number = StringField("Invoice number", filters=[strip_filter],
                         validators=[DataRequired(message="Required."), Length(max=21)])
    issue_date = date_field("Issue date")
    due_date = date_field("Due date", required=False)
    payment_term_id = id_select("Terms", PaymentTerm)
    class_id = id_select("Class", TxnClass)
    tax_code_id = id_select("Tax code", TaxCode)
    currency = SelectField("Currency", choices=[(c, c) for c in CURRENCIES])
    exchange_rate = exchange_rate_field("Exchange rate", Invoice.exchange_rate)
    tax_calculation = SelectField("Amounts are", choices=list(TAX_CALCULATIONS.items()))
    memo = TextAreaField("Memo", validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: Any, new: bool = False, global_tax: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if global_tax is None:  # a US company (or none connected): QBO has no such choice
            del self.tax_calculation
        elif not self.tax_calculation.data:
            self.tax_calculation.data = global_tax
        default = "— client's default —" if new else "— none —"
        self.client_id.choices = model_choices(Client, blank="— choose a client —")
        self.payment_term_id.choices = model_choices(PaymentTerm, blank=default)
        self.class_id.choices = model_choices(TxnClass)
        self.tax_code_id.choices = model_choices(TaxCode, blank=default)
        if new:
            self.currency.choices = [("", "— client's currency —"), *self.currency.choices]

    def validate_due_date(self, field: CalendarDateField) -> None:
        """A due date cannot come before the issue date."""
        if field.data and self.issue_date.data and field.data < self.issue_date.data:
            raise ValidationError("The due date cannot be before the issue date.")


class LineForm(RowForm):
    """Fields every line kind shares; subclasses add their own and list the display order."""

    KIND: LineKind
    CODE_BLANK = "— none —"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "associate_id" in self:
            self["associate_id"].choices = model_choices(Associate, lambda a: a.display_name)
        if "billing_code_id" in self:
            self["billing_code_id"].choices = model_choices(BillingCode, blank=self.CODE_BLANK)

    def apply(self, row: InvoiceLine) -> None:
        """Copy the fields onto the line, and its kind."""
        row.kind = self.KIND
        super().apply(row)


class HourlyLineForm(LineForm):
    """Hours billed at an hourly rate."""

    KIND = LineKind.HOURLY
    ORDER = ("associate_id", "service_date", "billing_code_id", "description", "hours", "rate")
    HINTS = {"rate": "Blank: the billing code's or associate's rate."}
    associate_id = id_select("Associate", Associate)
    service_date = date_field("Date", required=False)
    billing_code_id = id_select("Billing code", BillingCode)
    description = StringField("Description", filters=[strip_filter],
                              validators=[Optional(), Length(max=4000)])
    hours = money_field("Hours", InvoiceLine.hours, required=True, minimum="0.01")
    rate = money_field("Rate", InvoiceLine.rate)

    def default_rate(self) -> Decimal | None:
        """The billing code's default rate, else the associate's hourly rate."""
        code = db.session.get(BillingCode, self.billing_code_id.data or 0)
        if code is not None and code.default_rate is not None:
            return code.default_rate
        associate = db.session.get(Associate, self.associate_id.data or 0)
        return associate.hourly_rate if associate is not None else None

    def validate(self, extra_validators: Any = None) -> bool:
        """Without a rate, the billing code or the associate must provide one."""
        ok = super().validate(extra_validators)
        if ok and self.rate.data is None and self.default_rate() is None:
            self.rate.errors.append("Required: neither the billing code nor the associate has "
                                    "a default rate.")
            return False
        return ok

    def apply(self, row: InvoiceLine) -> None:
        """Copy the fields; the rate defaults, and taxability follows the billing code."""
        rate = self.rate.data if self.rate.data is not None else self.default_rate()
        super().apply(row)
        row.rate = rate
        code = db.session.get(BillingCode, row.billing_code_id or 0)
        row.taxable = bool(code is not None and code.taxable)


class ExpenseLineForm(LineForm):
    """An expense passed on to the client."""

    KIND = LineKind.EXPENSE
    ORDER = ("billing_code_id", "description", "expense_amount", "billable", "taxable")
    billing_code_id = id_select("Billing code", BillingCode)
    description = StringField("Description", filters=[strip_filter],
                              validators=[Optional(), Length(max=4000)])
    expense_amount = money_field("Amount", InvoiceLine.expense_amount, required=True)
    billable = BooleanField("Billable", default=True)
    taxable = BooleanField("Taxable")


class MileageLineForm(LineForm):
    """Miles driven at a rate per mile."""

    KIND = LineKind.MILEAGE
    ORDER = ("associate_id", "service_date", "billing_code_id", "description", "miles", "rate")
    associate_id = id_select("Associate", Associate)
    service_date = date_field("Date", required=False)
    billing_code_id = id_select("Billing code", BillingCode)
    CODE_BLANK = "— the mileage item in the QuickBooks defaults —"
    description = StringField("Description", filters=[strip_filter],
                              validators=[Optional(), Length(max=4000)])
    miles = money_field("Miles", InvoiceLine.miles, required=True, minimum="0.01")
    rate = money_field("Rate per mile", InvoiceLine.rate, required=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        name_distance(self.miles, self.rate)


LINE_FORMS: dict[LineKind, type[LineForm]] = {
    LineKind.HOURLY: HourlyLineForm,
    LineKind.EXPENSE: ExpenseLineForm,
    LineKind.MILEAGE: MileageLineForm,
}
