"""Security of accounts: 2FA replay memory, session expiry, secret revocation, normalised e-mail

Revision ID: 0110
Revises: 0100
Create Date: 2026-11-30 10:00:00.000000

Reserved in the chain so that work on several features can land in any order with one head;
the feature fills in upgrade() and downgrade().
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0110'
down_revision = '0100'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
