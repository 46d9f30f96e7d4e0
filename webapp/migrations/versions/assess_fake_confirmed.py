"""弄虚作假 confirmed on a visit (reviewer) or a spot check

Revision ID: assess_15b
Revises: assess_15a
"""
import sqlalchemy as sa
from alembic import op

revision = 'assess_15b'
down_revision = 'assess_15a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fake_confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('fake_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('fake_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_visit_fake_confirmed_by_id_user'), 'user',
                                    ['fake_confirmed_by_id'], ['id'])
    with op.batch_alter_table('spot_check_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fake', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('spot_check_item', schema=None) as batch_op:
        batch_op.drop_column('fake')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_fake_confirmed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('fake_note')
        batch_op.drop_column('fake_confirmed_at')
        batch_op.drop_column('fake_confirmed_by_id')
