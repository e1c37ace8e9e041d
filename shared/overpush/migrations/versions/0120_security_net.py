"""Security of the network edge: outbox set-aside rows, glance limits, device caps

Revision ID: 0120
Revises: 0110
Create Date: 2026-11-30 10:00:00.000000

Reserved in the chain so that work on several features can land in any order with one head;
the feature fills in upgrade() and downgrade().
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0120'
down_revision = '0110'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Outbox rows whose publish fails are set aside on their own schedule (issue 14 item 18).
    # Existing rows start with no failure, due at once.
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
