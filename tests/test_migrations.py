"""Migrations: one head, upgrade and downgrade both work, models match the schema."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from app import database
from app.config import normalize_database_url
from app.extensions import db
from app.models.base import on_database


def _urls() -> list[str]:
    urls = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        urls.append("postgresql")
    return urls


@pytest.fixture(params=_urls())
def empty_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of each kind available (a private schema on PostgreSQL)."""
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'migrations.sqlite3'}"
        return
    base = normalize_database_url(os.environ["TEST_DATABASE_URL"])
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3Dmigration_check"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
    engine.dispose()


def test_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(database.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_files_sort_in_chain_order() -> None:
    """Listing migrations/versions shows them in the order they run: NNNN_slug.py, numbered."""
    script = ScriptDirectory.from_config(database.alembic_config("sqlite://"))
    chain = [Path(rev.path).name for rev in reversed(list(script.walk_revisions()))]
    assert chain == sorted(chain)
    assert all(re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", name) for name in chain), chain
    numbers = [int(name[:4]) for name in chain]
    assert numbers == list(range(1, len(chain) + 1))


def test_upgrade_matches_models_and_downgrades_to_empty(empty_database: str) -> None:
    import app.models  # noqa: F401

    database.upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        # Items made for one database only (PostgreSQL's trigram indexes) are compared there.
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": on_database(conn.dialect.name)})
        assert compare_metadata(context, db.metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert {"associates", "clients", "invoices", "purchase_orders"} <= tables
    database.downgrade(empty_database, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_stored_fix_addresses_become_fix_codes_and_back(empty_database: str) -> None:
    """0015: addresses stored in sync_events.fix_url become a code and the record concerned."""
    script = ScriptDirectory.from_config(database.alembic_config("sqlite://"))
    before = script.get_revision("0015").down_revision
    assert isinstance(before, str)
    database.upgrade(empty_database, before)
    stored = {1: "/admin/qbo/settings/mappings", 2: "/admin/qbo/settings/mappings#tax-codes",
              3: "/admin/qbo/settings/defaults", 4: "/admin/qbo/settings/rates",
              5: "/admin/qbo/match/client/7", 6: "/invoices/12#number", 7: "/invoices/12",
              8: "/my/expenses/3", 9: "/lists/billing-codes/5", 10: "/admin/associates/4",
              11: "/somewhere/else", 12: None}
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        for event_id, url in stored.items():
            conn.execute(text("INSERT INTO sync_events (id, action, outcome, resolved, "
                              "created_at, fix_url) VALUES (:id, 'plan', 'failed', false, "
                              "CURRENT_TIMESTAMP, :url)"), {"id": event_id, "url": url})
    database.upgrade(empty_database, "0015")
    with engine.connect() as conn:
        rows = {row[0]: tuple(row[1:]) for row in conn.execute(text(
            "SELECT id, fix_code, fix_entity_type, fix_local_id FROM sync_events"))}
        assert "fix_url" not in {c["name"] for c in inspect(conn).get_columns("sync_events")}
    assert rows == {1: ("map_list", None, None), 2: ("map_list", "tax_code", None),
                    3: ("set_defaults", None, None), 4: ("add_exchange_rate", None, None),
                    5: ("link_existing", "client", 7), 6: ("renumber_invoice", "invoice", 12),
                    7: ("edit_record", "invoice", 12), 8: ("edit_record", "expense", 3),
                    9: ("edit_record", "billing_code", 5), 10: ("edit_record", "associate", 4),
                    11: (None, None, None), 12: (None, None, None)}
    database.downgrade(empty_database, before)
    with engine.connect() as conn:
        back = dict(conn.execute(text("SELECT id, fix_url FROM sync_events")).tuples().all())
    assert back == {**stored, 11: None}
    engine.dispose()
