"""Forms for the associate's own entries."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.models import BillingCode, Client
from app.web.forms import model_choices, money_field, optional_int, strip_filter


class _EntryForm(FlaskForm):
    client_id = SelectField("Client", coerce=optional_int, validate_choice=False)
    description = StringField("Description", filters=[strip_filter],
                              validators=[Optional(), Length(max=4000)])
    billable = BooleanField("Billable", default=True)

    ORDER: tuple[str, ...] = ()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.client_id.choices = model_choices(Client)

    def ordered_fields(self) -> list:
        """Fields in display order: the kind's own first, then client, description, billable."""
        names = [*self.ORDER, "client_id", "description", "billable"]
        return [self[name] for name in names]


class HoursForm(_EntryForm):
    """Hours worked."""

    ORDER = ("work_date", "billing_code_id", "hours", "rate")
    work_date = DateField("Date", validators=[DataRequired()])
    billing_code_id = SelectField("Billing code", coerce=optional_int, validate_choice=False)
    hours = money_field("Hours", required=True)
    rate = money_field("Hourly rate", places=2)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.billing_code_id.choices = model_choices(BillingCode)
        self.hours.validators.append(NumberRange(min=0.01, max=24, message="Between 0.01 and 24."))


class ExpenseForm(_EntryForm):
    """An expense paid by the associate."""

    ORDER = ("expense_date", "billing_code_id", "amount")
    expense_date = DateField("Date", validators=[DataRequired()])
    billing_code_id = SelectField("Billing code", coerce=optional_int, validate_choice=False)
    amount = money_field("Amount", required=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.billing_code_id.choices = model_choices(BillingCode)


class MileageForm(_EntryForm):
    """Business miles driven."""

    ORDER = ("trip_date", "miles", "rate_per_mile")
    trip_date = DateField("Date", validators=[DataRequired()])
    miles = money_field("Miles", required=True)
    rate_per_mile = money_field("Rate per mile", required=True, places=4)
