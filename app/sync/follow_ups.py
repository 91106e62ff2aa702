"""Post-import follow-ups: what QuickBooks could not provide, list by list.

Each list says which records are on it; a record leaves its list once the missing detail is
filled in. Logins and rates are the Company Owner's to change, as in the Associate Manager.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from app.database import DbSession
from app.models import Associate, BillingCode, BillingCodeKind, Client, Organization

__all__ = ["FOLLOW_UPS", "FollowUpList", "counts", "on_list", "set_category", "set_default_rate",
           "set_login", "set_rates", "set_reference"]


@dataclass(frozen=True)
class FollowUpList:
    """One follow-up list: which records, and how they are named and searched."""

    key: str
    title: str
    hint: str
    model: type[Any]  # a mapped class
    name_column: str
    where: Callable[[], list[Any]]
    search: tuple[str, ...]
    row_arg: str  # the record id's name in the list's row addresses
    owner_only: bool = False


def _logins() -> list[Any]:
    return [Associate.active.is_(True),
            or_(Associate.username.is_(None), Associate.password_hash.is_(None))]


def _rates() -> list[Any]:
    return [Associate.active.is_(True), Associate.hourly_rate.is_(None)]


def _codes() -> list[Any]:
    return [BillingCode.kind == BillingCodeKind.HOURLY, BillingCode.active.is_(True),
            or_(BillingCode.default_rate.is_(None), BillingCode.default_rate == 0)]


def _references() -> list[Any]:
    return [Client.active.is_(True), Client.is_inquiry.is_(False),
            or_(Client.referred_by.is_(None), Client.referred_by == "",
                Client.act_as_reference.is_(None))]


def _vendors() -> list[Any]:
    return [Organization.active.is_(True), Organization.category_id.is_(None)]


FOLLOW_UPS: dict[str, FollowUpList] = {f.key: f for f in (
    FollowUpList("logins", "Associates without a login",
                 "QuickBooks has no usernames or passwords: imported associates cannot log in "
                 "until the Company Owner sets them.", Associate, "display_name", _logins,
                 ("display_name", "email", "username"), "associate_id", owner_only=True),
    FollowUpList("rates", "Associates without an hourly rate",
                 "Hourly rates bill their time; fill them in before invoicing.", Associate,
                 "display_name", _rates, ("display_name", "email"), "associate_id",
                 owner_only=True),
    FollowUpList("codes", "Hourly billing codes without a rate",
                 "QuickBooks items without a price: set the default hourly rate.", BillingCode,
                 "code", _codes, ("code", "description"), "billing_code_id"),
    FollowUpList("references", "Clients without “Referred By” / “Act as Reference”",
                 "QuickBooks does not keep these; answer them here.", Client, "name",
                 _references, ("name", "email"), "client_id"),
    FollowUpList("vendors", "Uncategorized organizations",
                 "Vendors arrive without a category. That is allowed; categorize them when "
                 "useful.", Organization, "name", _vendors, ("name", "email"),
                 "organization_id"),
)}


def counts(session: DbSession) -> dict[str, int]:
    """How many records each follow-up list holds."""
    return {key: session.scalar(select(func.count(f.model.id)).where(*f.where())) or 0
            for key, f in FOLLOW_UPS.items()}


def on_list(session: DbSession, follow: FollowUpList, record_id: int) -> Any | None:
    """The record when it is (still) on the follow-up list, else None."""
    model = follow.model
    return session.scalars(select(model).where(model.id == record_id, *follow.where())).first()


def set_login(session: DbSession, associate: Associate, username: str, password: str) -> str | None:
    """Give an associate a username and first password; the reason when the name is taken."""
    taken = session.scalar(select(Associate.id).where(
        func.lower(Associate.username) == username.lower(), Associate.id != associate.id))
    if taken is not None:
        return "Another associate already has this username."
    associate.username = username
    associate.set_password(password)
    return None


def set_rates(associate: Associate, hourly_rate: Decimal, cost_rate: Decimal | None) -> None:
    """An associate's hourly (billing) and cost rates."""
    associate.hourly_rate = hourly_rate
    associate.cost_rate = cost_rate


def set_default_rate(code: BillingCode, default_rate: Decimal) -> None:
    """A billing code's default rate."""
    code.default_rate = default_rate


def set_reference(client: Client, referred_by: str | None, act_as_reference: bool | None) -> None:
    """A client's "Referred By" (blank = none) and "Act as Reference" (None = not asked)."""
    client.referred_by = referred_by or None
    client.act_as_reference = act_as_reference


def set_category(organization: Organization, category_id: int | None) -> None:
    """A vendor organization's category (None = uncategorized, which is allowed)."""
    organization.category_id = category_id
