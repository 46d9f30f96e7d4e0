"""a visit's reason (原因说明), the household's signature, the unit's setting

Revision ID: evui_reason_signature
Revises: auth_login_limits
Create Date: 2026-11-29 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'evui_reason_signature'
down_revision = 'auth_login_limits'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_signature', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('visit_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('storage_key', sa.String(length=80), nullable=True),
    sa.Column('thumb_key', sa.String(length=80), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_signature_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_signature')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_visit_signature_client_uuid')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_visit_signature_visit_id'))
    )


def downgrade():
    op.drop_table('visit_signature')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('require_signature')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('reason')
