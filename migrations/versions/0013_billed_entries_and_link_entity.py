"""invoice lines remember their entries; links remember their QBO entity

Revision ID: 4e8b2c6d1a37
Revises: 4b8e2d6f1a37
Create Date: 2026-11-30 01:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '4e8b2c6d1a37'
down_revision = '4b8e2d6f1a37'
branch_labels = None
depends_on = None

ENTRIES = (('hours_entry_id', 'hours_entries'), ('expense_entry_id', 'expense_entries'),
           ('mileage_entry_id', 'mileage_entries'))


def upgrade() -> None:
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        for column, table in ENTRIES:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_invoice_lines_{column}'), [column],
                                  unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_invoice_lines_{column}_{table}'),
                                        table, [column], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('qbo_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qbo_entity', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('qbo_links', schema=None) as batch_op:
        batch_op.drop_column('qbo_entity')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        for column, table in reversed(ENTRIES):
            batch_op.drop_constraint(batch_op.f(f'fk_invoice_lines_{column}_{table}'),
                                     type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_invoice_lines_{column}'))
            batch_op.drop_column(column)
