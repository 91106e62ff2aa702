"""Form pieces shared by every area: QBO-safe names, money, currencies, choices."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from wtforms import DecimalField, Field, Form, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from app.extensions import db
from app.money import format_exchange_rate

_FORBIDDEN = re.compile(r"[:\t\n\r]")
CURRENCIES = ["USD", "CAD", "EUR", "GBP", "AUD", "NZD", "INR", "JPY", "CHF", "MXN", "ZAR", "SGD"]


def strip_filter(value: Any) -> Any:
    """Trim surrounding whitespace from text input."""
    return value.strip() if isinstance(value, str) else value


class QBOName:
    """QuickBooks name rules at entry time: no ':' tab or newline, at most ``max`` characters."""

    def __init__(self, max: int = 100) -> None:
        self.max = max

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        if _FORBIDDEN.search(value):
            raise ValidationError("Names cannot contain a colon, tab or line break (QuickBooks "
                                  "refuses them).")
        if len(value) > self.max:
            raise ValidationError(f"At most {self.max} characters (QuickBooks' limit).")
        if '"' in value and self.max == 31:
            raise ValidationError("Names cannot contain double quotes.")


class Places:
    """At most ``places`` decimal places, so the column stores exactly what was typed."""

    def __init__(self, places: int = 2) -> None:
        self.places = places

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if isinstance(value, Decimal) and value.is_finite():
            exponent = value.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > self.places:
                raise ValidationError(f"At most {self.places} decimal places.")


class Exists:
    """A select's id must still name a row of ``model`` (selects skip choice validation)."""

    def __init__(self, model: type, message: str = "That choice no longer exists.") -> None:
        self.model, self.message = model, message

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and db.session.get(self.model, field.data) is None:
            raise ValidationError(self.message)


def name_field(label: str, max: int = 100, required: bool = True) -> StringField:
    """A trimmed text field that follows QBO's name rules."""
    from wtforms.validators import DataRequired

    first = DataRequired(message="Required.") if required else Optional()
    return StringField(label, filters=[strip_filter], validators=[first, QBOName(max)])


def money_field(label: str, required: bool = False, places: int = 2) -> DecimalField:
    """A Decimal field that never goes through float."""
    from wtforms.validators import InputRequired

    first = InputRequired(message="Required.") if required else Optional()
    return DecimalField(label, places=places, validators=[first, NumberRange(min=0)])


def id_select(label: str, model: type, required: bool = False) -> SelectField:
    """A select of row ids of ``model``, blank meaning none, checked to exist."""
    from wtforms.validators import DataRequired

    first = DataRequired(message="Required.") if required else Optional()
    return SelectField(label, coerce=optional_int, validate_choice=False,
                       validators=[first, Exists(model)])


def decimal_field(label: str, places: int, maximum: str, required: bool = True,
                  minimum: str = "0") -> DecimalField:
    """A Decimal input that fits its Numeric column exactly (places and magnitude)."""
    from wtforms.validators import InputRequired

    first = InputRequired(message="Required.") if required else Optional()
    return DecimalField(label, places=places, validators=[
        first, NumberRange(min=Decimal(minimum), max=Decimal(maximum)), Places(places)])


def home_currency() -> str:
    """The firm's home currency (Admin -> Settings), the default of every new record."""
    from app.models import CompanySettings

    return db.session.scalar(select(CompanySettings.home_currency).limit(1)) or "USD"


def currency_field(label: str = "Currency") -> SelectField:
    """ISO 4217 currency code; new records default to the current home currency."""
    return SelectField(label, choices=[(c, c) for c in CURRENCIES], default=home_currency)


def exchange_rate_field(label: str) -> DecimalField:
    """An optional exchange rate: Numeric(18, 8), positive, shown without trailing zeros."""
    return ExchangeRateField(label, validators=[
        Optional(), NumberRange(min=Decimal("0.00000001"), max=Decimal("9999999999")),
        Places(8)])


class ExchangeRateField(DecimalField):
    """An exchange rate shown as entered: 1.0825, not 1.08250000."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_exchange_rate(self.data) if self.data is not None else ""


def optional_int(value: Any) -> int | None:
    """Coerce a select value to an id, '' meaning none."""
    if value in (None, "", "None"):
        return None
    return int(value)


def model_choices(model: type, label: Callable[[Any], str] = str,
                  active_only: bool = True, blank: str | None = "— none —") -> list[tuple]:
    """Choices for a select bound to a model's rows."""
    stmt = select(model)
    if active_only and hasattr(model, "active"):
        stmt = stmt.where(model.active.is_(True))
    order = getattr(model, "name", None) or getattr(model, "code", None) or model.id
    rows = db.session.scalars(stmt.order_by(order)).all()
    choices = [(row.id, label(row)) for row in rows]
    return ([("", blank)] if blank is not None else []) + choices


def parse_decimal(text: str | None) -> Decimal | None:
    """Parse user text as Decimal, None when empty or invalid."""
    if not text:
        return None
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None


__all__ = ["CURRENCIES", "Exists", "Places", "QBOName", "Length", "currency_field",
           "decimal_field", "id_select", "model_choices", "money_field", "name_field",
           "optional_int", "parse_decimal", "strip_filter"]
