"""search and sort indexes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:45:00

Listing sorts get an index each, with the id that breaks ties (clients by e-mail, invoices by
due date or status, an associate's entries by status, the sync log's failures). On PostgreSQL
the listings' substring searches (ILIKE) get trigram GIN indexes (pg_trgm, a trusted
extension that the database's owner may create), each with the smallest pending list (new
rows wait there, and every search reads it, until it is full or vacuumed). SQLite has none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SORTS = (
    ('ix_clients_email_id', 'clients', ['email', 'id']),
    ('ix_invoices_due_date_id', 'invoices', ['due_date', 'id']),
    ('ix_invoices_status_id', 'invoices', ['status', 'id']),
    ('ix_hours_entries_associate_id_status_id', 'hours_entries', ['associate_id', 'status', 'id']),
    ('ix_expense_entries_associate_id_status_id', 'expense_entries',
     ['associate_id', 'status', 'id']),
    ('ix_mileage_entries_associate_id_status_id', 'mileage_entries',
     ['associate_id', 'status', 'id']),
    ('ix_sync_events_outcome_id', 'sync_events', ['outcome', 'id']),
)
SEARCHES = (
    ('clients', ('name', 'email', 'contact_name', 'phone')),
    ('organizations', ('name', 'email', 'phone')),
    ('invoices', ('number',)),
    ('purchase_orders', ('number',)),
    ('hours_entries', ('description',)),
    ('expense_entries', ('description',)),
    ('mileage_entries', ('description',)),
    ('sync_events', ('label', 'message', 'qbo_id')),
)


def _trigram_indexes() -> list[tuple[str, str, str]]:
    return [(f'ix_{table}_{column}_trgm', table, column)
            for table, columns in SEARCHES for column in columns]


def upgrade() -> None:
    for name, table, columns in SORTS:
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    # The operator class is named with the extension's schema, which need not be on the path.
    schema = op.get_bind().scalar(sa.text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"))
    for name, table, column in _trigram_indexes():
        op.create_index(name, table, [column], unique=False, postgresql_using='gin',
                        postgresql_ops={column: f'{schema}.gin_trgm_ops'},
                        postgresql_with={'gin_pending_list_limit': 64})


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, table, _column in reversed(_trigram_indexes()):
            op.drop_index(name, table_name=table)
    for name, table, _columns in reversed(SORTS):
        op.drop_index(name, table_name=table)
