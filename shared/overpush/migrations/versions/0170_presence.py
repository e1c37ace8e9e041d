"""Presence: which api instance holds which device's WebSocket

Revision ID: 0170
Revises: 0160
Create Date: 2026-11-30 14:00:00.000000

Two new tables, empty at first: each api process registers itself and its connections as
they log in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0170'
down_revision = '0160'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_instances',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_instances_expires_at'), ['expires_at'],
                              unique=False)

    op.create_table('device_presence',
    sa.Column('device', sa.String(length=40), nullable=False),
    sa.Column('instance', sa.String(length=32), nullable=False),
    sa.Column('conn', sa.String(length=32), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('previous', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('device')
    )
    with op.batch_alter_table('device_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_presence_instance'), ['instance'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('device_presence')
    op.drop_table('api_instances')
