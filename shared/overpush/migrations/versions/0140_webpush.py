"""Web Push: the VAPID key pair and device push subscriptions

Revision ID: 0140
Revises: 0130
Create Date: 2026-11-30 10:00:00.000000

Reserved in the chain so that work on several features can land in any order with one head;
the feature fills in upgrade() and downgrade().
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0140'
down_revision = '0130'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
