"""Forms for the lists: billing codes, terms, classes, tax codes, methods, accounts, categories."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.models import AccountType, BillingCode, BillingCodeKind, TaxCode
from app.web.forms import money_field, name_field, strip_filter


def _active() -> BooleanField:
    return BooleanField("Active", default=True)


class BillingCodeForm(FlaskForm):
    """A billing code (a QBO Item)."""

    code = name_field("Code")
    kind = SelectField("Used for", coerce=BillingCodeKind,
                       choices=[(k.value, k.label) for k in BillingCodeKind])
    description = TextAreaField("Description", validators=[Optional(), Length(max=4000)])
    default_rate = money_field("Default rate", BillingCode.default_rate)
    taxable = BooleanField("Taxable")
    active = _active()


class PaymentTermForm(FlaskForm):
    """Payment terms such as Net 30."""

    name = name_field("Name", max=31)
    due_days = IntegerField("Due in (days)", default=30,
                            validators=[InputRequired(message="Required."),
                                        NumberRange(min=0, max=999)])
    active = _active()


class TxnClassForm(FlaskForm):
    """A class."""

    name = name_field("Name")
    active = _active()


class TaxCodeForm(FlaskForm):
    """A sales tax code and its rate."""

    code = name_field("Code")
    name = name_field("Name")
    rate_percent = money_field("Rate (%)", TaxCode.rate_percent, required=True, maximum="100")
    taxable = BooleanField("Taxable", default=True)
    active = _active()


class PaymentMethodForm(FlaskForm):
    """A payment method."""

    name = name_field("Name", max=31)
    active = _active()


class AccountForm(FlaskForm):
    """A chart-of-accounts account."""

    name = name_field("Name")
    number = StringField("Number", filters=[strip_filter], validators=[Optional(),
                                                                      Length(max=20)])
    account_type = SelectField("Type", coerce=AccountType,
                               choices=[(t.value, t.value) for t in AccountType])
    active = _active()


class OrganizationCategoryForm(FlaskForm):
    """A category of organizations."""

    name = name_field("Name")
