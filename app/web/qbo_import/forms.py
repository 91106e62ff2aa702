"""Forms of the import, follow-ups and match pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app.models import Associate, BillingCode, OrganizationCategory
from app.web.forms import id_select, money_field, strip_filter

STEP_CHOICES = [
    ("lists", "Step 1: chart of accounts, items, payment methods, terms, classes, tax codes"),
    ("parties", "Step 2: clients, organizations and associates"),
    ("clients", "Clients only"),
    ("organizations", "Organizations only"),
    ("associates", "Associates only"),
]


class StartImportForm(FlaskForm):
    """Which import step to run."""

    step = SelectField("Import", choices=STEP_CHOICES, validators=[DataRequired()])


class LoginForm(FlaskForm):
    """Username and first password of an imported associate (Company Owner only)."""

    username = StringField(
        "Username", filters=[strip_filter],
        validators=[DataRequired(message="Required."), Length(min=2, max=64),
                    Regexp(r"^[A-Za-z0-9_.@-]+$", message="Letters, digits and _ . @ - only.")],
    )
    password = PasswordField("Password", validators=[DataRequired(message="Required."),
                                                     Length(min=8, max=256)])
    password_confirm = PasswordField(
        "Repeat password", validators=[EqualTo("password", message="Passwords differ.")])


class RatesForm(FlaskForm):
    """An associate's hourly (billing) and cost rates."""

    hourly_rate = money_field("Hourly rate", Associate.hourly_rate, required=True)
    cost_rate = money_field("Cost rate", Associate.cost_rate)


class DefaultRateForm(FlaskForm):
    """A billing code's default rate."""

    default_rate = money_field("Default rate", BillingCode.default_rate, required=True)


class ReferenceForm(FlaskForm):
    """A client's "Referred By" and "Act as Reference"."""

    referred_by = StringField("Referred by", filters=[strip_filter],
                              validators=[Optional(), Length(max=200)])
    act_as_reference = RadioField("Act as reference", choices=[("", "Not asked yet"),
                                                               ("yes", "Yes"), ("no", "No")],
                                  default="", validate_choice=True)


class CategoryForm(FlaskForm):
    """A vendor organization's category (blank = uncategorized, which is allowed)."""

    category_id = id_select("Category", OrganizationCategory)


class LinkForm(FlaskForm):
    """The QBO record to link to."""

    qbo_id = HiddenField("QuickBooks record", validators=[DataRequired(), Length(max=32),
                                                          Regexp(r"^[0-9A-Za-z]+$")])


class AttentionLinkForm(FlaskForm):
    """The local record an import question is answered with."""

    local_id = HiddenField("Local record", validators=[DataRequired(), Regexp(r"^\d+$")])
