"""spot check: household satisfaction

Revision ID: assess_15a
Revises: evapi_visit_evidence
"""
import sqlalchemy as sa
from alembic import op

revision = 'assess_15a'
down_revision = 'evapi_visit_evidence'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('spot_check_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_note', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('spot_check_item', schema=None) as batch_op:
        batch_op.drop_column('satisfaction_note')
        batch_op.drop_column('satisfaction')
