"""Client form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional

from app.models import PaymentTerm, TaxCode
from app.web.forms import (
    currency_field,
    id_select,
    model_choices,
    name_address,
    name_field,
    strip_filter,
)


class ClientForm(FlaskForm):
    """Everything the Client Manager edits."""

    name = name_field("Company or person name")
    is_company = RadioField("Kind", choices=[("1", "Company"), ("0", "Person")],
                            default="1", validate_choice=False)
    is_inquiry = BooleanField("Inquiry (not yet a client)")
    contact_name = StringField("Contact", filters=[strip_filter], validators=[Optional(),
                                                                              Length(max=200)])
    email = EmailField("Email", filters=[strip_filter],
                       validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    phone = StringField("Phone", filters=[strip_filter], validators=[Optional(), Length(max=30)])
    address_line1 = StringField("Address", filters=[strip_filter],
                                validators=[Optional(), Length(max=500)])
    address_line2 = StringField("Address line 2", filters=[strip_filter],
                                validators=[Optional(), Length(max=500)])
    city = StringField("City", filters=[strip_filter], validators=[Optional(), Length(max=255)])
    region = StringField("Region", filters=[strip_filter],
                         validators=[Optional(), Length(max=255)])
    postal_code = StringField("Postal code", filters=[strip_filter],
                              validators=[Optional(), Length(max=30)])
    country = StringField("Country", filters=[strip_filter], validators=[Optional(),
                                                                        Length(max=255)])
    currency = currency_field()
    payment_term_id = id_select("Payment terms", PaymentTerm)
    tax_code_id = id_select("Tax code", TaxCode)
    referred_by = StringField("Referred By", filters=[strip_filter],
                              validators=[Optional(), Length(max=200)])
    act_as_reference = SelectField("Act as Reference",
                                   choices=[("", "Not asked yet"), ("1", "Yes"), ("0", "No")],
                                   default="")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)])
    active = BooleanField("Active", default=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.payment_term_id.choices = model_choices(PaymentTerm)
        self.tax_code_id.choices = model_choices(TaxCode)
        name_address(self.region, self.postal_code)
