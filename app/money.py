"""Money arithmetic the way QuickBooks Online does it: Decimal, half-up to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to two decimals."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: object, unit_price: object) -> Decimal:
    """Amount = round(Qty x UnitPrice, 2), as QBO checks it (fault 6070 otherwise)."""
    return round_cents(to_decimal(quantity) * to_decimal(unit_price))


def format_money(value: object, currency: str | None = None) -> str:
    """Format an amount for display, e.g. ``1,234.50 USD``."""
    text = f"{round_cents(to_decimal(value)):,.2f}"
    return f"{text} {currency}" if currency else text


def format_rate(value: object) -> str:
    """A rate or quantity without exponent notation, at least two decimals (0.655, 150.00)."""
    number = to_decimal(value).normalize()
    if number.as_tuple().exponent > -2:  # type: ignore[operator]
        number = number.quantize(CENT)
    return f"{number:f}"


def format_exchange_rate(value: object) -> str:
    """An exchange rate as entered, without trailing zeros or exponent (1.0825, 0.74, 2)."""
    number = to_decimal(value).normalize()
    return f"{number:f}"


def format_percent(value: object) -> str:
    """A tax rate in percent without trailing zeros or exponent: 10%, 9.975%, 0%."""
    number = to_decimal(value).normalize()
    return f"{number:f}%"
