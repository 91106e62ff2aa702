"""Money arithmetic the way QuickBooks Online does it: Decimal, half-up to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value: object) -> Decimal:
    """Convert a number or numeric string to Decimal without passing through float."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _exact(number: Decimal) -> Context:
    """A context precise enough to quantize ``number`` to 4 places, however large it is."""
    return Context(prec=max(28, number.adjusted() + 6), rounding=ROUND_HALF_UP)


def round_cents(value: object) -> Decimal:
    """Round half-up to two decimals (a non-finite value, which no valid record holds, as is)."""
    number = to_decimal(value)
    if not number.is_finite():
        return number
    return number.quantize(CENT, context=_exact(number))


def line_amount(quantity: object, unit_price: object) -> Decimal:
    """Amount = round(Qty x UnitPrice, 2), as QBO checks it (fault 6070 otherwise)."""
    quantity, unit_price = to_decimal(quantity), to_decimal(unit_price)
    if not (quantity.is_finite() and unit_price.is_finite()):
        return Decimal("NaN")  # only a damaged record gets here; its pages still show it
    digits = max(28, quantity.adjusted() + unit_price.adjusted() + 8)
    return round_cents(Context(prec=digits).multiply(quantity, unit_price))


def largest(precision: int, scale: int) -> Decimal:
    """The largest value a ``Numeric(precision, scale)`` column holds (9999.99 for 6, 2)."""
    return Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)


def places_of(value: Decimal) -> int:
    """How many decimal places a finite value really has (``1.50`` has one)."""
    exponent = value.normalize(_exact(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fits(value: Decimal, precision: int, scale: int) -> bool:
    """True when a ``Numeric(precision, scale)`` column stores ``value`` exactly."""
    return (value.is_finite() and abs(value) <= largest(precision, scale)
            and places_of(value) <= scale)


def format_money(value: object, currency: str | None = None) -> str:
    """Format an amount for display, e.g. ``1,234.50 USD``."""
    number = round_cents(to_decimal(value))
    # Past a trillion only a damaged record: shown as it is rather than as a page of digits.
    text = f"{number:,.2f}" if number.is_finite() and number.adjusted() < 15 else str(value)
    return f"{text} {currency}" if currency else text


def format_rate(value: object) -> str:
    """A rate or quantity without exponent notation, at least two decimals (0.655, 150.00)."""
    number = to_decimal(value)
    if not number.is_finite():
        return str(number)
    number = number.normalize(_exact(number))
    if number.as_tuple().exponent > -2:  # type: ignore[operator]
        number = number.quantize(CENT, context=_exact(number))
    return f"{number:f}"


def format_exchange_rate(value: object) -> str:
    """An exchange rate as entered, without trailing zeros or exponent (1.0825, 0.74, 2)."""
    number = to_decimal(value).normalize()
    return f"{number:f}"


def format_percent(value: object) -> str:
    """A tax rate in percent without trailing zeros or exponent: 10%, 9.975%, 0%."""
    number = to_decimal(value).normalize()
    return f"{number:f}%"
