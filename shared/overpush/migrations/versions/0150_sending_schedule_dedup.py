"""Sending: scheduled messages, dedup keys, device of a login secret

Revision ID: 0150
Revises: 0140
Create Date: 2026-11-30 10:00:00.000000

Reserved in the chain so that work on several features can land in any order with one head;
the feature fills in upgrade() and downgrade().
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0150'
down_revision = '0140'
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
# Pushover's end-to-end encryption stores base64 ciphertext, longer than the plaintext limits.
_WIDENED = (('title', 250), ('url', 512), ('url_title', 100))


def upgrade() -> None:
    # --- sending: encrypted=1, scheduled messages, dedup keys (send-a) ---
    # Plain ADD COLUMNs (op.add_column, not batch mode): SQLite adds them without rebuilding
    # the tables; a rebuild of `messages` would drop it, and its deliveries with it (cascade).
    op.add_column('messages', sa.Column('encrypted', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('receipts', sa.Column('resolved_at', sa.DateTime(timezone=True),
                                        nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        # varchar(n) -> text is a catalogue change on PostgreSQL (no rewrite); SQLite never
        # enforced the lengths.
        for column, length in _WIDENED:
            op.alter_column('messages', column, type_=sa.Text(),
                            existing_type=sa.String(length=length), existing_nullable=True)
    op.create_table('scheduled_messages',
    sa.Column('id', _ID, nullable=False),
    sa.Column('public_id', sa.String(length=30), nullable=False),
    sa.Column('app_id', _ID, nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('receipt', sa.String(length=30), nullable=True),
    sa.Column('draft', sa.Text(), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    op.create_index('ix_scheduled_messages_app_id', 'scheduled_messages', ['app_id'])
    op.create_index('ix_scheduled_messages_due_at', 'scheduled_messages', ['due_at'])
    op.create_table('dedup_keys',
    sa.Column('id', _ID, nullable=False),
    sa.Column('app_id', _ID, nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('users', sa.Text(), nullable=False),
    sa.Column('dedup_key', sa.String(length=100), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('app_id', 'scope', 'dedup_key')
    )
    op.create_index('ix_dedup_keys_app_id_dedup_key', 'dedup_keys', ['app_id', 'dedup_key'])
    op.create_index('ix_dedup_keys_expires_at', 'dedup_keys', ['expires_at'])
    # --- end send-a ---


def downgrade() -> None:
    # --- send-a ---
    op.drop_table('dedup_keys')
    op.drop_table('scheduled_messages')
    if op.get_bind().dialect.name == 'postgresql':
        for column, length in _WIDENED:
            op.alter_column('messages', column, type_=sa.String(length=length),
                            existing_type=sa.Text(), existing_nullable=True)
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('encrypted')
    # --- end send-a ---
