"""distance unit setting

Revision ID: 4b8e2d6f1a37
Revises: 9a063ab432cb
Create Date: 2026-11-30 01:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '4b8e2d6f1a37'
down_revision = '9a063ab432cb'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('distance_unit', sa.Enum('mi', 'km', name='distanceunit',
                                                               native_enum=False, length=2),
                                      server_default='mi', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.drop_column('distance_unit')
