"""visit: index (helper_id, checked_in_at): a helper's month of visits without reading the whole year

Revision ID: scale17_visit_helper_month
Revises: ux_printjob_cancelled
Create Date: 2026-11-30 01:45:00
"""
from alembic import op

revision = 'scale17_visit_helper_month'
down_revision = 'ux_printjob_cancelled'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_helper_id_checked_in_at", ["helper_id", "checked_in_at"], unique=False)


def downgrade():
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_helper_id_checked_in_at")
