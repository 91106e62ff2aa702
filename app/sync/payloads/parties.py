"""Clients, organizations and associates as QBO customers, vendors and employees."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.models import Associate, Client, Fix, Organization
from app.sync.entities import Key, NotSendable, Refs, clip


def _address(record: Any) -> dict[str, str] | None:
    parts = {"Line1": record.address_line1, "Line2": record.address_line2, "City": record.city,
             "CountrySubDivisionCode": record.region, "PostalCode": record.postal_code,
             "Country": record.country}
    parts = {k: v for k, v in parts.items() if v}
    return parts or None


def _contact(body: dict[str, Any], email: str | None, phone: str | None) -> None:
    if email:
        body["PrimaryEmailAddr"] = {"Address": email}
    if phone:
        body["PrimaryPhone"] = {"FreeFormNumber": phone}


def _split_name(name: str) -> tuple[str, str]:
    given, _, family = name.strip().partition(" ")
    return given[:100], family[:100]


def _party(body: dict[str, Any], record: Client | Organization, refs: Refs,
           term_key: str) -> dict[str, Any]:
    """What customers and vendors share: contact, address, notes, terms, currency."""
    _contact(body, record.email, record.phone)
    if (addr := _address(record)) is not None:
        body["BillAddr"] = addr
    if record.notes:
        body["Notes"] = clip(record.notes, 2000)
    if record.payment_term_id:
        body[term_key] = refs.ref("payment_term", record.payment_term_id)
    body.update(refs.currency(record.currency, None))
    return body


def customer(c: Client, refs: Refs) -> dict[str, Any]:
    """Client -> Customer."""
    body: dict[str, Any] = {"DisplayName": c.name, "Active": c.active}
    if c.is_company:
        body["CompanyName"] = c.name
    else:
        body["GivenName"], body["FamilyName"] = _split_name(c.name)
    return _party(body, c, refs, "SalesTermRef")


def vendor(o: Organization, refs: Refs) -> dict[str, Any]:
    """Organization -> Vendor."""
    body: dict[str, Any] = {"DisplayName": o.name, "CompanyName": o.name, "Active": o.active}
    return _party(body, o, refs, "TermRef")


def employee(a: Associate, refs: Refs) -> dict[str, Any]:
    """Associate -> Employee (QBO needs a given or family name)."""
    given, family = a.first_name, a.last_name
    if not (given or family):
        given, family = _split_name(a.display_name)
    body: dict[str, Any] = {"DisplayName": a.display_name, "Active": a.active}
    if given:
        body["GivenName"] = given
    if family:
        body["FamilyName"] = family
    _contact(body, a.email, a.phone)
    if a.hourly_rate is not None:
        body["BillRate"] = a.hourly_rate
    if a.cost_rate is not None:
        body["CostRate"] = a.cost_rate
    return body


VENDOR_SUFFIX = " (expenses)"


def associate_vendor_name(a: Associate) -> str:
    """The associate's vendor record's DisplayName: unlike their Employee's, as QBO requires."""
    return a.display_name[:500 - len(VENDOR_SUFFIX)] + VENDOR_SUFFIX


def associate_vendor(a: Associate, refs: Refs) -> dict[str, Any]:
    """Associate -> Vendor that expenses and mileage owed to them are payable to."""
    given, family = a.first_name, a.last_name
    if not (given or family):
        given, family = _split_name(a.display_name)
    body: dict[str, Any] = {"DisplayName": associate_vendor_name(a), "Active": a.active,
                            "PrintOnCheckName": a.display_name[:110]}
    if given:
        body["GivenName"] = given
    if family:
        body["FamilyName"] = family
    _contact(body, a.email, a.phone)
    return body


def term_dep(record: Any) -> Iterable[Key]:
    """A party's payment term."""
    if record.payment_term_id:
        yield ("payment_term", record.payment_term_id)


def client_ready(c: Client) -> None:
    """An inquiry is not copied until it is converted to a customer."""
    if c.is_inquiry:
        raise NotSendable(f"{c.name} is an inquiry, not a customer yet: convert it to a "
                          "customer on its page, then copy it.", fix=Fix.edit("client", c.id),
                          code="inquiry")
