"""receipts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:26:07.144215
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('receipts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('receipt', sa.String(length=30), nullable=False),
    sa.Column('app_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('retry', sa.Integer(), nullable=False),
    sa.Column('expire', sa.Integer(), nullable=False),
    sa.Column('callback', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=30), nullable=True),
    sa.Column('acknowledged_by_device', sa.String(length=25), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('called_back_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('receipt')
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_app_id'), ['app_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index('ix_receipts_next_attempt_at', ['next_attempt_at'], unique=False)

    op.create_table('receipt_callbacks',
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt_id')
    )
    with op.batch_alter_table('receipt_callbacks', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_receipt_callbacks_next_attempt_at'), ['next_attempt_at'], unique=False
        )

    op.create_table('receipt_messages',
    sa.Column('message_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id')
    )
    with op.batch_alter_table('receipt_messages', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_receipt_messages_receipt_id'), ['receipt_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_receipt_messages_user_id'), ['user_id'], unique=False)

    op.create_table('receipt_tags',
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.Column('app_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt_id', 'tag')
    )
    with op.batch_alter_table('receipt_tags', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_tags_app_id_tag', ['app_id', 'tag'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('receipt_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_tags_app_id_tag')

    op.drop_table('receipt_tags')
    with op.batch_alter_table('receipt_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_messages_user_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_messages_receipt_id'))

    op.drop_table('receipt_messages')
    with op.batch_alter_table('receipt_callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_callbacks_next_attempt_at'))

    op.drop_table('receipt_callbacks')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_receipts_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_receipts_closed_at'))
        batch_op.drop_index(batch_op.f('ix_receipts_app_id'))

    op.drop_table('receipts')
