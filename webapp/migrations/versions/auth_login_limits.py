"""login limits: one counter row per key instead of one row per failed login

Revision ID: auth_login_limits
Revises: assess_15c
Create Date: 2026-11-29 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'auth_login_limits'
down_revision = 'assess_15c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_limit',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_limit'))
    )
    with op.batch_alter_table('login_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_limit_window_start'), ['window_start'], unique=False)

    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_username'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_ip'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_at'))
    op.drop_table('login_attempt')


def downgrade():
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_username'), ['username'], unique=False)

    with op.batch_alter_table('login_limit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_limit_window_start'))
    op.drop_table('login_limit')
