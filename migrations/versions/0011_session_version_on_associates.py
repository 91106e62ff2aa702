"""session version on associates

Revision ID: 9a063ab432cb
Revises: 3c7b1e5a9d20
Create Date: 2026-11-30 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '9a063ab432cb'
down_revision = '3c7b1e5a9d20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('associates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('associates', schema=None) as batch_op:
        batch_op.drop_column('session_version')
