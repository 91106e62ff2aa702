"""Purchase-order and purchase-order-line forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.models import Account, BillingCode, Organization, POLine, POStatus
from app.web.forms import (
    CURRENCIES,
    date_field,
    id_select,
    model_choices,
    money_field,
    strip_filter,
)
from app.web.lines import RowForm


class PurchaseOrderForm(FlaskForm):
    """A purchase order's header."""

    organization_id = id_select("Organization", Organization, required=True)
    number = StringField("PO number", filters=[strip_filter],
                         validators=[DataRequired(message="Required."), Length(max=21)])
    order_date = date_field("Order date")
    currency = SelectField("Currency", choices=[(c, c) for c in CURRENCIES])
    status = SelectField("Status", coerce=POStatus,
                         choices=[(s.value, s.value.capitalize()) for s in POStatus])
    memo = TextAreaField("Memo", validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: Any, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id.choices = model_choices(Organization,
                                                     blank="— choose an organization —")
        if new:
            self.currency.choices = [("", "— organization's currency —"),
                                     *self.currency.choices]


class POLineForm(RowForm):
    """One line: a billing code or an expense account, never both."""

    ORDER = ("billing_code_id", "account_id", "description", "quantity", "unit_cost")
    HINTS = {"billing_code_id": "Or an account, not both."}
    billing_code_id = id_select("Billing code", BillingCode)
    account_id = id_select("Account", Account)
    description = StringField("Description", filters=[strip_filter],
                              validators=[Optional(), Length(max=4000)])
    quantity = money_field("Quantity", POLine.quantity, required=True, minimum="0.01")
    unit_cost = money_field("Unit cost", POLine.unit_cost, required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.billing_code_id.choices = model_choices(BillingCode)
        self.account_id.choices = model_choices(Account)

    def validate(self, extra_validators: Any = None) -> bool:
        """Exactly one of billing code and account."""
        ok = super().validate(extra_validators)
        chosen = [f for f in (self.billing_code_id, self.account_id) if f.data is not None]
        if len(chosen) != 1 and not self.billing_code_id.errors and not self.account_id.errors:
            message = ("Choose a billing code or an account, not both." if chosen
                       else "Choose a billing code or an account.")
            self.billing_code_id.errors.append(message)
            return False
        return ok
