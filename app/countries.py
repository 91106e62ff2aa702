"""The firm's country in the words its addresses use: State and ZIP code, Province, Postcode..."""

from __future__ import annotations

import re
from dataclasses import dataclass

# QuickBooks' CompanyInfo.Country is ISO-3 ("USA", "CAN"); people and older answers write
# ISO-2 codes or the name. Every form is read as the ISO-3 code.
_ALIASES = {
    "USA": ("US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA"),
    "CAN": ("CA", "CAN", "CANADA"),
    "GBR": ("GB", "GBR", "UK", "UNITED KINGDOM", "GREAT BRITAIN"),
    "AUS": ("AU", "AUS", "AUSTRALIA"),
}
_ISO3 = {alias: iso3 for iso3, aliases in _ALIASES.items() for alias in aliases}

# Without a QuickBooks connection the home currency is the best sign of the country.
CURRENCY_COUNTRY = {"USD": "USA", "CAD": "CAN", "GBP": "GBR", "AUD": "AUS"}


@dataclass(frozen=True)
class AddressWords:
    """What a country calls the subdivision and postal code lines of an address."""

    region: str
    postal_code: str


ADDRESS_WORDS = {
    "USA": AddressWords("State", "ZIP code"),
    "CAN": AddressWords("Province", "Postal code"),
    "GBR": AddressWords("County", "Postcode"),
    "AUS": AddressWords("State/territory", "Postcode"),
}
OTHER_ADDRESS_WORDS = AddressWords("Region", "Postal code")


def iso3(country: str | None) -> str | None:
    """The ISO-3 code of a country however it is written ("US", "usa", "Canada"); None if blank.

    A country this module does not know comes back upper-cased, as given.
    """
    text = " ".join((country or "").split()).upper()
    if not text:
        return None
    return _ISO3.get(text, text)


def address_words(country: str | None) -> AddressWords:
    """The address labels of a country; Region and Postal code where none is known."""
    return ADDRESS_WORDS.get(iso3(country) or "", OTHER_ADDRESS_WORDS)


# The US spells these its own way; Canada, the United Kingdom and Australia write the others.
_BRITISH_SPELLING = {"Check": "Cheque", "check": "cheque"}
_BRITISH_SPELLERS = ("CAN", "GBR", "AUS")


def spelled(text: str, country: str | None) -> str:
    """``text`` with "check" (the payment) written "cheque" where the country writes it so."""
    if iso3(country) not in _BRITISH_SPELLERS:
        return text
    return re.sub(r"\b(Check|check)\b", lambda m: _BRITISH_SPELLING[m.group(1)], text)


def firm_country(connected: str | None, home_currency: str | None) -> str | None:
    """The firm's country: QuickBooks' CompanyInfo.Country, else its home currency's country."""
    return iso3(connected) or CURRENCY_COUNTRY.get((home_currency or "").upper())
