"""Web Push: the VAPID key pair and device push subscriptions

Revision ID: 0140
Revises: 0130
Create Date: 2026-11-30 10:00:00.000000

The key pair every replica signs Web Pushes with (one row, made on first start). A desktop's
push subscription is its devices.push_token (the platform table's Web Push channel); before this
revision a desktop's push_token meant nothing and was never used, so any left over is cleared:
it would otherwise be taken for a subscription.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0140'
down_revision = '0130'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vapid_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("UPDATE devices SET push_token = NULL WHERE os = 'O'")


def downgrade() -> None:
    # Subscriptions mean nothing to the older code: drop them with the key they were made for.
    op.execute("UPDATE devices SET push_token = NULL WHERE os = 'O'")
    op.drop_table("vapid_keys")
