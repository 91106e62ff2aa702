"""listing indexes

Revision ID: 0516d603a5d5
Revises: 4e8b2c6d1a37
Create Date: 2026-11-30 01:55:00
"""

from __future__ import annotations

from alembic import op

revision = '0516d603a5d5'
down_revision = '4e8b2c6d1a37'
branch_labels = None
depends_on = None

ENTRY_DATES = (('hours_entries', 'work_date'), ('expense_entries', 'expense_date'),
               ('mileage_entries', 'trip_date'))


def upgrade() -> None:
    op.create_index(op.f('ix_invoices_issue_date'), 'invoices', ['issue_date'], unique=False)
    for table, column in ENTRY_DATES:
        op.create_index(f'ix_{table}_associate_id_{column}', table, ['associate_id', column],
                        unique=False)


def downgrade() -> None:
    for table, column in ENTRY_DATES:
        op.drop_index(f'ix_{table}_associate_id_{column}', table_name=table)
    op.drop_index(op.f('ix_invoices_issue_date'), table_name='invoices')
