"""Settings and associate forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import Email, EqualTo, Length, Optional, Regexp

from app.models import Associate, DistanceUnit, Integration, PermissionLevel
from app.web.forms import currency_field, money_field, name_field, strip_filter


class BasicSettingsForm(FlaskForm):
    """Section 1) Basic Settings."""

    company_name = name_field("Company name")
    home_currency = currency_field("Home currency")
    integration = RadioField(
        "Should Ledgerhub integrate with QuickBooks?",
        choices=[(Integration.NONE.value, "None"), (Integration.QBO.value, "QBO")],
    )
    associates_self_push = BooleanField(
        "Associates may copy their own time and expenses to QBO"
    )
    distance_unit = SelectField(
        "Mileage is claimed in",
        choices=[(unit.value, unit.label) for unit in DistanceUnit],
    )


class AssociateForm(FlaskForm):
    """An associate's profile; permission fields are shown to owners only."""

    first_name = StringField("First name", filters=[strip_filter],
                             validators=[Optional(), Length(max=100)])
    last_name = StringField("Last name", filters=[strip_filter],
                            validators=[Optional(), Length(max=100)])
    display_name = name_field("Display name")
    email = EmailField("Email", filters=[strip_filter],
                       validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    phone = StringField("Phone", filters=[strip_filter], validators=[Optional(), Length(max=30)])
    username = StringField(
        "Username", filters=[strip_filter],
        validators=[Optional(), Length(min=2, max=64),
                    Regexp(r"^[A-Za-z0-9_.@-]+$", message="Letters, digits and _ . @ - only.")],
    )
    password = PasswordField("New password", validators=[Optional(), Length(min=8, max=256)])
    password_confirm = PasswordField(
        "Repeat new password", validators=[EqualTo("password", message="Passwords differ.")]
    )
    hourly_rate = money_field("Hourly rate", Associate.hourly_rate)
    cost_rate = money_field("Cost rate", Associate.cost_rate)
    # A new associate is an associate unless the owner deliberately picks otherwise.
    permission = SelectField("Permission level",
                             choices=[(p.value, p.label) for p in PermissionLevel],
                             default=PermissionLevel.ASSOCIATE.value)
    is_qbo_admin = BooleanField("QBO Admin")
    active = BooleanField("Active", default=True)
