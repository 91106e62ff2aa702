"""Forms for the associate's own entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional, ValidationError

from app.extensions import db
from app.models import BillingCode, Client, ExpenseEntry, HoursEntry, MileageEntry
from app.web.forms import (
    date_field,
    id_select,
    model_choices,
    money_field,
    name_distance,
    strip_filter,
)

DAY_HOURS = Decimal(24)


class _EntryForm(FlaskForm):
    client_id = id_select("Client", Client)
    description = StringField("Description", filters=[strip_filter],
                              validators=[Optional(), Length(max=4000)])
    billable = BooleanField("Billable", default=True)

    ORDER: tuple[str, ...] = ()

    def __init__(self, *args: Any, owner_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner_id = owner_id
        self.entry_id = getattr(kwargs.get("obj"), "id", None)
        self.client_id.choices = model_choices(Client)

    def ordered_fields(self) -> list:
        """Fields in display order: the kind's own first, then client, description, billable."""
        names = [*self.ORDER, "client_id", "description", "billable"]
        return [self[name] for name in names]


class HoursForm(_EntryForm):
    """Hours worked."""

    ORDER = ("work_date", "billing_code_id", "hours", "rate")
    work_date = date_field("Date")
    billing_code_id = id_select("Billing code", BillingCode)
    hours = money_field("Hours", HoursEntry.hours, required=True, minimum="0.01",
                        maximum="24")
    rate = money_field("Hourly rate", HoursEntry.rate)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.billing_code_id.choices = model_choices(BillingCode)

    def validate_hours(self, field: Any) -> None:
        """With the associate's other entries that day, no more than 24 hours."""
        day = self.work_date.data
        if self.owner_id is None or not isinstance(day, date) or field.data is None:
            return
        others = select(func.coalesce(func.sum(HoursEntry.hours), 0)).where(
            HoursEntry.associate_id == self.owner_id, HoursEntry.work_date == day)
        if self.entry_id is not None:
            others = others.where(HoursEntry.id != self.entry_id)
        booked = Decimal(str(db.session.scalar(others) or 0))
        if booked + field.data > DAY_HOURS:
            raise ValidationError(
                f"{booked:.2f} hours are already recorded on {day.isoformat()}: with these "
                f"{field.data:.2f} the day would have more than 24.")


class ExpenseForm(_EntryForm):
    """An expense paid by the associate."""

    ORDER = ("expense_date", "billing_code_id", "amount")
    expense_date = date_field("Date")
    billing_code_id = id_select("Billing code", BillingCode)
    amount = money_field("Amount", ExpenseEntry.amount, required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.billing_code_id.choices = model_choices(BillingCode)


class MileageForm(_EntryForm):
    """Business miles driven."""

    ORDER = ("trip_date", "miles", "rate_per_mile")
    trip_date = date_field("Date")
    miles = money_field("Miles", MileageEntry.miles, required=True, minimum="0.01")
    rate_per_mile = money_field("Rate per mile", MileageEntry.rate_per_mile, required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_distance(self.miles, self.rate_per_mile)
