"""visit: index of the visits confirmed fake; measure: index of the policy problems (partial indexes:
a township's ranking probes its 1,000 helpers for these few rows without reading all the others)

Revision ID: rank17_partial_indexes
Revises: scale17_visit_helper_month
Create Date: 2026-11-30 02:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'rank17_partial_indexes'
down_revision = 'scale17_visit_helper_month'
branch_labels = None
depends_on = None

FAKE = sa.text("fake_confirmed_at IS NOT NULL")
POLICY = sa.text("source = 'policy'")


def upgrade():
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_fake_confirmed", ["helper_id", "checked_in_at"], unique=False,
                              postgresql_where=FAKE, sqlite_where=FAKE)
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.create_index("ix_measure_policy", ["household_id"], unique=False,
                              postgresql_where=POLICY, sqlite_where=POLICY)


def downgrade():
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_policy")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_fake_confirmed")
