"""phones: push tokens, device disabling, alert settings, push retries

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-27 00:24:31.744292
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Rebuilding the table on SQLite must keep AUTOINCREMENT: ids are never reused.
    with op.batch_alter_table('deliveries', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(
            sa.Column('push_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('push_retry_at', TS, nullable=True))
        batch_op.create_index(
            batch_op.f('ix_deliveries_push_retry_at'), ['push_retry_at'], unique=False)

    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('push_token', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('encryption_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column(
            'always_use_default_sound', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('disabled_at', TS, nullable=True))
        batch_op.add_column(sa.Column('disabled_reason', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('disabled_notified_at', TS, nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_start', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_end', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column(
            'timezone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column(
            'default_sound', sa.String(length=40), server_default='pushover', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        for column in ('default_sound', 'timezone', 'quiet_end', 'quiet_start'):
            batch_op.drop_column(column)

    with op.batch_alter_table('devices', schema=None) as batch_op:
        for column in ('disabled_notified_at', 'disabled_reason', 'disabled_at',
                       'always_use_default_sound', 'encryption_key', 'push_token'):
            batch_op.drop_column(column)

    # Rebuilding the table on SQLite must keep AUTOINCREMENT: ids are never reused.
    with op.batch_alter_table('deliveries', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_push_retry_at'))
        batch_op.drop_column('push_retry_at')
        batch_op.drop_column('push_attempts')
