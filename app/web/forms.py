"""Form pieces shared by every area: QBO-safe names, money, currencies, choices."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from wtforms import DateField, DecimalField, Field, Form, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, StopValidation, ValidationError

from app.extensions import db
from app.money import format_exchange_rate, format_rate, largest, places_of, round_cents

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
        if isinstance(value, Decimal) and value.is_finite() and places_of(value) > self.places:
            raise ValidationError(f"At most {self.places} decimal places.")


class Exists:
    """A select's id must still name a row of ``model`` (selects skip choice validation)."""

    def __init__(self, model: type, message: str = "That choice no longer exists.") -> None:
        self.model, self.message = model, message

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and db.session.get(self.model, field.data) is None:
            raise ValidationError(self.message)


class MoneyField(DecimalField):
    """The one number input: Decimal from the text (never float), finite, shown safely."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type = "DecimalField"  # templates render it as the field it refines

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the text; blank is no value; anything but a finite number is refused."""
        if not valuelist:
            return
        text = str(valuelist[0] or "").strip()
        self.data = None
        if not text:
            return
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            raise ValueError("Enter a number, such as 12.50.")
        self.data = number

    def pre_validate(self, form: Form) -> None:
        """Text that is not a number gets that one message, not a range message as well."""
        if self.process_errors:
            raise StopValidation()

    def _value(self) -> str:
        # A record saved before the bounds existed may hold anything: show it, never fail.
        if self.raw_data:
            return str(self.raw_data[0])
        if not isinstance(self.data, Decimal):
            return "" if self.data is None else str(self.data)
        if not self.data.is_finite() or places_of(self.data) > (self.places or 0):
            return str(self.data)
        return format_rate(self.data) if (self.places or 0) > 2 else str(round_cents(self.data))


def flag_stored_numbers(form: Form) -> None:
    """On an edit page, put a message beside each stored number its field would refuse now.

    Such a number was saved before the bounds existed; the page still opens and says what to fix.
    """
    for field in form:
        if not (isinstance(field, MoneyField) and isinstance(field.data, Decimal)):
            continue
        for check in field.validators:
            if not isinstance(check, NumberRange | Places):
                continue
            try:
                check(form, field)
            except ValidationError as exc:
                field.errors = [*field.errors, f"The stored {field.data} cannot be kept: "
                                f"{exc.args[0]}"]
                break


def _number(value: Decimal) -> str:
    return f"{value:,f}"


def decimal_field(label: str, places: int, maximum: str, required: bool = True,
                  minimum: str = "0", message: str | None = None,
                  field_class: type[MoneyField] = MoneyField) -> MoneyField:
    """A number input with its bounds and decimal places (see ``money_field`` for columns)."""
    from wtforms.validators import InputRequired

    low, high = Decimal(minimum), Decimal(maximum)
    first = InputRequired(message="Required.") if required else Optional()
    message = message or f"Between {_number(low)} and {_number(high)}."
    return field_class(label, places=places, validators=[
        first, NumberRange(min=low, max=high, message=message), Places(places)])


def money_field(label: str, column: Any, required: bool = False, minimum: str = "0",
                maximum: str | None = None, message: str | None = None,
                field_class: type[MoneyField] = MoneyField) -> MoneyField:
    """A money or quantity input whose bounds and decimal places are its column's."""
    kind = column.expression.type
    places = int(kind.scale)
    limit = largest(int(kind.precision), places)
    high = min(limit, Decimal(maximum)) if maximum is not None else limit
    return decimal_field(label, places, str(high), required=required, minimum=minimum,
                         message=message, field_class=field_class)


class CalendarDateField(DateField):
    """A date that says so when the text is not a day of the calendar."""

    data: Any  # what the field holds once processed (None when empty)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type = "DateField"  # templates render it as the field it refines

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse YYYY-MM-DD; an impossible date gets its own message."""
        if valuelist and not "".join(map(str, valuelist)).strip():
            # A browser posts an untouched date input as "": no date, for the validators to
            # accept (optional) or refuse (required), not an unreadable one.
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Not a date on the calendar: use YYYY-MM-DD, e.g. "
                             "2026-02-28.") from None

    def pre_validate(self, form: Form) -> None:
        """An unreadable date gets that one message, not "Required." as well."""
        if self.process_errors:
            raise StopValidation()


def date_field(label: str, required: bool = True) -> CalendarDateField:
    """A date input; blank is refused when required, an impossible date always."""
    from wtforms.validators import DataRequired

    # DataRequired, not InputRequired: a blank or all-space input leaves no date behind.
    first = DataRequired(message="Required.") if required else Optional()
    return CalendarDateField(label, validators=[first])


class IdSelectField(SelectField):
    """A select of row ids whose posted value may be anything: not a row, a clear message."""

    data: Any  # what the field holds once processed (None when empty)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type = "SelectField"  # templates render it as the field it refines

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Coerce to an id; text that cannot be one is refused like a missing row."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("That choice does not exist.") from None

    def pre_validate(self, form: Form) -> None:
        """A value that is not an id gets that one message."""
        if self.process_errors:
            raise StopValidation()


def name_distance(distance: Field, rate: Field) -> None:
    """Name a mileage form's distance and rate fields in the company's unit (miles or km)."""
    from app.permissions import company_settings

    unit = company_settings().distance_unit
    distance.label.text, rate.label.text = unit.label, unit.rate_label


def company_country() -> str | None:
    """The firm's country as an ISO-3 code ("USA", "CAN", "GBR", "AUS"), None when unknown.

    The connected QuickBooks company's CompanyInfo.Country says it; without a connection (or
    a country) the home currency says it: USD the United States, CAD Canada, and so on.
    """
    from app.countries import firm_country
    from app.permissions import company_settings
    from app.qbo.connection import current_connection

    connection = current_connection(db.session)
    if connection is not None and (connection.country or connection.home_currency):
        return firm_country(connection.country, connection.home_currency)
    return firm_country(None, company_settings().home_currency)


def name_address(region: Field, postal_code: Field) -> None:
    """Name an address form's region and postal code fields as the firm's country does."""
    from app.countries import address_words

    words = address_words(company_country())
    region.label.text, postal_code.label.text = words.region, words.postal_code


def name_field(label: str, max: int = 100, required: bool = True) -> StringField:
    """A trimmed text field that follows QBO's name rules."""
    from wtforms.validators import DataRequired

    first = DataRequired(message="Required.") if required else Optional()
    return StringField(label, filters=[strip_filter], validators=[first, QBOName(max)])


def id_select(label: str, model: type, required: bool = False) -> IdSelectField:
    """A select of row ids of ``model``, blank meaning none, checked to exist."""
    from wtforms.validators import DataRequired

    first = DataRequired(message="Required.") if required else Optional()
    return IdSelectField(label, coerce=optional_int, validate_choice=False,
                         validators=[first, Exists(model)])


def home_currency() -> str:
    """The firm's home currency (Admin -> Settings), the default of every new record."""
    from app.models import CompanySettings

    return db.session.scalar(select(CompanySettings.home_currency).limit(1)) or "USD"


def currency_field(label: str = "Currency") -> SelectField:
    """ISO 4217 currency code; new records default to the current home currency."""
    return SelectField(label, choices=[(c, c) for c in CURRENCIES], default=home_currency)


class ExchangeRateField(MoneyField):
    """An exchange rate shown as entered: 1.0825, not 1.08250000."""

    def _value(self) -> str:
        if not self.raw_data and isinstance(self.data, Decimal) and self.data.is_finite():
            return format_exchange_rate(self.data)
        return super()._value()


def exchange_rate_field(label: str, column: Any) -> MoneyField:
    """An optional, positive exchange rate with its column's bounds."""
    return money_field(label, column, minimum="0.00000001", field_class=ExchangeRateField)


MAX_ID = 2**31 - 1  # an INTEGER primary key on every database


def optional_int(value: Any) -> int | None:
    """Coerce a select value to an id, '' meaning none; anything else raises ValueError."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError("not an id")
    return number


def model_choices(model: type[Any], label: Callable[[Any], str] = str,
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


__all__ = ["CURRENCIES", "CalendarDateField", "Exists", "IdSelectField", "MoneyField", "Places",
           "QBOName", "Length", "currency_field", "date_field", "decimal_field",
           "flag_stored_numbers", "id_select",
           "MAX_ID", "model_choices", "money_field", "name_distance", "name_field",
           "optional_int", "parse_decimal",
           "strip_filter"]


def party_name_clash(field: Field, entity_type: str, record_id: int | None) -> bool:
    """Flag ``field`` when another client, organization or associate already has its name.

    QBO keeps display names unique across customers, vendors and employees, so such a record
    could never be copied; the comparison is ``app.sync.names.name_key``, as everywhere.
    """
    from app.sync.names import same_name_parties

    others = same_name_parties(db.session, field.data, exclude=(entity_type, record_id))
    if not others:
        return False
    kind, _local_id, name = others[0]
    field.errors = [*field.errors, f"The {kind} “{name}” already has this name. QuickBooks "
                    "keeps names unique across customers, vendors and employees, so choose "
                    "another (for example add a city or “(vendor)”)."]
    return True
