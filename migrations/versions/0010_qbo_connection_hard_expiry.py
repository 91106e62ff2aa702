"""QBO connection: the 5-year hard end of the authorization

Revision ID: 3c7b1e5a9d20
Revises: 7c41d2a9e5b3
Create Date: 2026-11-30 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '3c7b1e5a9d20'
down_revision = '7c41d2a9e5b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('qbo_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hard_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('qbo_connections', schema=None) as batch_op:
        batch_op.drop_column('hard_expires_at')
