"""Team invitations and team-owned delivery groups

Revision ID: 0130
Revises: 0120
Create Date: 2026-11-30 10:00:00.000000

Invitations a person accepts before joining a team (existing memberships stay as they are),
the name a team gives a member, team-owned delivery groups and each team's auto-updating group.
Schema only: a team's auto group is made when first needed, so no first-round row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0130'
down_revision = '0120'
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('team_invitations',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('team_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('administrator', sa.Boolean(), nullable=False),
    sa.Column('group_id', ID, nullable=True),
    sa.Column('new_account', sa.Boolean(), nullable=False),
    sa.Column('choose_password', sa.Boolean(), nullable=False),
    sa.Column('instant', sa.Boolean(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'user_id'),
    sa.UniqueConstraint('token_digest')
    )
    op.create_index(op.f('ix_team_invitations_team_id'), 'team_invitations', ['team_id'],
                    unique=False)
    op.create_index(op.f('ix_team_invitations_user_id'), 'team_invitations', ['user_id'],
                    unique=False)
    # Plain ADD COLUMNs (nullable, or a constant default): SQLite does them without
    # rebuilding the tables.
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', ID, nullable=True))
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), server_default='',
                                      nullable=False))
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', ID, nullable=True))
    op.create_index(op.f('ix_groups_team_id'), 'groups', ['team_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_groups_team_id'), table_name='groups')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('team_id')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_column('name')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('group_id')
    op.drop_index(op.f('ix_team_invitations_user_id'), table_name='team_invitations')
    op.drop_index(op.f('ix_team_invitations_team_id'), table_name='team_invitations')
    op.drop_table('team_invitations')
