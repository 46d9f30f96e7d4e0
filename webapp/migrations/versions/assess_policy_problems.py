"""measures opened from policy answers

Revision ID: assess_15c
Revises: assess_15b
"""
import sqlalchemy as sa
from alembic import op

revision = 'assess_15c'
down_revision = 'assess_15b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('source_ref', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('source_visit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_measure_source_visit_id_visit'), 'visit', ['source_visit_id'], ['id'])


def downgrade():
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_measure_source_visit_id_visit'), type_='foreignkey')
        batch_op.drop_column('source_visit_id')
        batch_op.drop_column('source_ref')
        batch_op.drop_column('source')
