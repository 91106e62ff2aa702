"""Organization and contact forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.models import OrganizationCategory, PaymentTerm
from app.web.forms import (
    currency_field,
    id_select,
    model_choices,
    name_address,
    name_field,
    strip_filter,
)
from app.web.lines import RowForm


def _text(label: str, max: int) -> StringField:
    return StringField(label, filters=[strip_filter], validators=[Optional(), Length(max=max)])


def _email() -> EmailField:
    return EmailField("Email", filters=[strip_filter],
                      validators=[Optional(), Email(check_deliverability=False), Length(max=254)])


class OrganizationForm(FlaskForm):
    """Everything the Organization Manager edits."""

    name = name_field("Organization name")
    category_id = id_select("Category", OrganizationCategory)
    email = _email()
    phone = _text("Phone", 30)
    address_line1 = _text("Address", 500)
    address_line2 = _text("Address line 2", 500)
    city = _text("City", 255)
    region = _text("Region", 255)
    postal_code = _text("Postal code", 30)
    country = _text("Country", 255)
    currency = currency_field()
    payment_term_id = id_select("Payment terms", PaymentTerm)
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)])
    active = BooleanField("Active", default=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category_id.choices = model_choices(OrganizationCategory, blank="— uncategorized —")
        self.payment_term_id.choices = model_choices(PaymentTerm)
        name_address(self.region, self.postal_code)


class ContactForm(RowForm):
    """A person at an organization."""

    ORDER = ("name", "title", "email", "phone")
    WIDTHS = {"name": 3, "email": 3}

    name = StringField("Name", filters=[strip_filter],
                       validators=[DataRequired(message="Required."), Length(max=200)])
    title = _text("Title", 100)
    email = _email()
    phone = _text("Phone", 30)
