"""invoice tax calculation and home total

Revision ID: 7c41d2a9e5b3
Revises: 7a3c5e9d2b14
Create Date: 2026-11-30 00:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '7c41d2a9e5b3'
down_revision = '7a3c5e9d2b14'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_calculation', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('qbo_home_total', sa.Numeric(precision=12, scale=2),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('qbo_home_total')
        batch_op.drop_column('tax_calculation')
