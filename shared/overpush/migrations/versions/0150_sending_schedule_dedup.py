"""Sending: scheduled messages, dedup keys, device of a login secret

Revision ID: 0150
Revises: 0140
Create Date: 2026-11-30 10:00:00.000000

Reserved in the chain so that work on several features can land in any order with one head;
the feature fills in upgrade() and downgrade().
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0150'
down_revision = '0140'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
