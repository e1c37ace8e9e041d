"""Sending: heartbeats, escalation policies, delivery status

Revision ID: 0160
Revises: 0150
Create Date: 2026-11-30 10:00:00.000000

Reserved in the chain so that work on several features can land in any order with one head;
the feature fills in upgrade() and downgrade().
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0160'
down_revision = '0150'
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('heartbeats',
    sa.Column('id', ID, nullable=False),
    sa.Column('key', sa.String(length=30), nullable=False),
    sa.Column('app_id', ID, nullable=False),
    sa.Column('user', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('grace', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('retry', sa.Integer(), nullable=True),
    sa.Column('expire', sa.Integer(), nullable=True),
    sa.Column('sound', sa.String(length=20), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_ping_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('down_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('alerts', sa.Integer(), nullable=False),
    sa.Column('alert_receipt', sa.String(length=30), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heartbeats_app_id'), ['app_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_heartbeats_due_at'), ['due_at'], unique=False)
        batch_op.create_index('ix_heartbeats_app_id_name', ['app_id', 'name'], unique=False)

    op.create_table('escalation_policies',
    sa.Column('id', ID, nullable=False),
    sa.Column('app_id', ID, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('levels', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('escalation_policies', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_escalation_policies_app_id'), ['app_id'], unique=False
        )

    # Existing receipts have no escalation: every new column is NULL for them.
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalation_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('escalation_levels', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('next_level_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_receipts_next_level_at'), ['next_level_at'], unique=False
        )

    op.create_table('device_statuses',
    sa.Column('message_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('device_id', ID, nullable=False),
    sa.Column('app_id', ID, nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('device_name', sa.String(length=25), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('callback', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'device_id')
    )
    with op.batch_alter_table('device_statuses', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_device_statuses_queued_at'), ['queued_at'], unique=False)
        batch_op.create_index('ix_device_statuses_app_id_request_id',
                              ['app_id', 'request_id'], unique=False)

    op.create_table('status_callbacks',
    sa.Column('id', ID, nullable=False),
    sa.Column('app_id', ID, nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_callbacks_app_id'), ['app_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_status_callbacks_next_attempt_at'), ['next_attempt_at'], unique=False)

    # Messages and applications of the first round get NULLs: no status callback, and a
    # signing secret made the first time the application's page or a callback needs one.
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_callback', sa.Text(), nullable=True))
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('status_secret_old', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('status_secret_rotated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_column('status_secret_rotated_at')
        batch_op.drop_column('status_secret_old')
        batch_op.drop_column('status_secret')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('status_callback')
    op.drop_table('status_callbacks')
    op.drop_table('device_statuses')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_next_level_at'))
        batch_op.drop_column('next_level_at')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('escalation_levels')
        batch_op.drop_column('escalation_id')
    op.drop_table('escalation_policies')
    op.drop_table('heartbeats')
