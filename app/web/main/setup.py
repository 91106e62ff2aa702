"""First use: the next QuickBooks set-up step the dashboard shows until the first copy."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from app.database import DbSession
from app.models import CompanySettings, ConnectionStatus, Integration, RunKind, RunStatus, SyncRun
from app.qbo.connection import current_connection
from app.sync import mappings, sales_tax
from app.sync.registry import MAPPED_LISTS

STEPS = 4
_IMPORTED = (RunStatus.SUCCEEDED, RunStatus.WARNING, RunStatus.PARTIAL)


@dataclass(frozen=True)
class SetupStep:
    """One step of the QuickBooks set-up: where it stands and where it is done."""

    number: int
    title: str
    text: str
    url: str
    action: str


def _unmapped(session: DbSession, realm_id: str, automated_tax: bool) -> int:
    """Active list rows Ledgerhub cannot create in QuickBooks and nobody has mapped yet."""
    count = 0
    for kind in MAPPED_LISTS.values():
        if kind.creatable or (automated_tax and kind.entity_type == "tax_code"):
            continue
        rows = mappings.rows_with_links(session, realm_id, kind.entity_type)
        count += sum(1 for _, link in rows if link is None or not link.qbo_id)
    return count


def next_step(session: DbSession) -> SetupStep | None:
    """Connect, import, map, readiness; None once records have been copied (live)."""
    if CompanySettings.load().integration != Integration.QBO:
        return None
    connection = current_connection(session)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return SetupStep(1, "Connect to QuickBooks", "Ledgerhub copies records to the "
                         "QuickBooks Online company you connect.", url_for("qbo.connect_page"),
                         "Connect to QuickBooks")
    realm = connection.realm_id
    runs = select(SyncRun.id).where(SyncRun.realm_id == realm).limit(1)
    if session.scalar(runs.where(SyncRun.kind == RunKind.IMPORT,
                                 SyncRun.status.in_(_IMPORTED))) is None:
        return SetupStep(2, "Import from QuickBooks", "Bring in the company's lists, "
                         "customers, vendors and employees, so nothing is created twice.",
                         url_for("qbo_import.index"), "Go to the import")
    automated = sales_tax.model_of(connection) == sales_tax.AUTOMATED
    unmapped = _unmapped(session, realm, automated)
    if unmapped:
        entries = "entry needs" if unmapped == 1 else "entries need"
        return SetupStep(3, "Map your lists", f"{unmapped} tax code, account or payment "
                         f"method {entries} a QuickBooks counterpart.",
                         url_for("qbo_mappings.mappings"), "Open the mappings")
    copied = runs.where(SyncRun.kind == RunKind.PUSH, SyncRun.dry_run.is_(False),
                        SyncRun.created_count + SyncRun.updated_count > 0)
    if session.scalar(copied) is None:
        return SetupStep(4, "Check go-live readiness", "Readiness lists anything QuickBooks "
                         "would refuse, each with a Fix link. Then copy your first records "
                         "with Add QBO.", url_for("qbo_mappings.readiness"), "Open readiness")
    return None
