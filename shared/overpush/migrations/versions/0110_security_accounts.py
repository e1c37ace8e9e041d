"""Security of accounts: 2FA replay memory, session expiry, secret revocation, normalised e-mail

Revision ID: 0110
Revises: 0100
Create Date: 2026-11-30 10:00:00.000000

Every change is a plain ADD COLUMN (nullable, no default) or a new index, so SQLite never
rebuilds a table. Rows the new rules forbid are handled here:

- accounts whose addresses differ only by case: one keeps the address as its identity (the
  confirmed one, else the oldest); the others keep their row and data but no identity key,
  so nobody can log in to them by address (UPGRADING.md says how to find them);
- application URLs with a scheme other than http or https are removed (set to NULL).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0110'
down_revision = '0100'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def email_key(email: str) -> str:
    """As overpush.accounts.email_key (kept here: a migration must not change with the code)."""
    return email.strip().lower()


def _keeper(rows: list[Any]) -> Any:
    """Of several accounts with one address: the confirmed one (the first confirmed), else
    the oldest. An unconfirmed duplicate is what a squatter leaves."""
    confirmed = [r for r in rows if r.email_confirmed_at is not None]
    return min(confirmed or rows, key=lambda r: (r.email_confirmed_at or r.created_at, r.id))


def _fill_email_keys(conn: sa.engine.Connection) -> None:
    users = sa.table('users', sa.column('id'), sa.column('email'), sa.column('email_key'),
                     sa.column('created_at'), sa.column('email_confirmed_at'))
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(sa.select(users.c.id, users.c.email, users.c.created_at,
                                      users.c.email_confirmed_at)):
        groups[email_key(row.email)].append(row)
    for key, rows in groups.items():
        keep = _keeper(rows)
        conn.execute(users.update().where(users.c.id == keep.id).values(email_key=key))


def _drop_unsafe_urls(conn: sa.engine.Connection) -> None:
    apps = sa.table('apps', sa.column('id'), sa.column('url'))
    for row in conn.execute(sa.select(apps.c.id, apps.c.url).where(apps.c.url.is_not(None))):
        scheme = row.url.strip().split(':', 1)[0].lower() if ':' in row.url else ''
        if scheme not in ('http', 'https'):
            conn.execute(apps.update().where(apps.c.id == row.id).values(url=None))


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('client_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', BigId, nullable=True))
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True),
                                      nullable=True))
    conn = op.get_bind()
    _fill_email_keys(conn)
    _drop_unsafe_urls(conn)
    op.create_index('ix_users_email_key', 'users', ['email_key'], unique=True)
    op.create_index('ix_client_sessions_device_id', 'client_sessions', ['device_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_client_sessions_device_id', table_name='client_sessions')
    op.drop_index('ix_users_email_key', table_name='users')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('client_sessions', schema=None) as batch_op:
        batch_op.drop_column('device_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('email_key')
