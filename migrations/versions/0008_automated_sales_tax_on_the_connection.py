"""automated sales tax on the connection

Revision ID: 7a3c5e9d2b14
Revises: 5d1e7a3c9b20
Create Date: 2026-11-30 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '7a3c5e9d2b14'
down_revision = '5d1e7a3c9b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('qbo_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('automated_sales_tax', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('qbo_connections', schema=None) as batch_op:
        batch_op.drop_column('automated_sales_tax')
