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


def downgrade() -> None:
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_next_level_at'))
        batch_op.drop_column('next_level_at')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('escalation_levels')
        batch_op.drop_column('escalation_id')
    op.drop_table('escalation_policies')
    op.drop_table('heartbeats')
