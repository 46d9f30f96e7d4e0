"""visit: indexes for the office home's counts: (household_id, checked_in_at, review_status) and the
partial index of the flagged visits not verified yet (待核实)

Revision ID: glance16_visit_office_counts
Revises: rank17_partial_indexes
Create Date: 2026-11-30 02:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'glance16_visit_office_counts'
down_revision = 'rank17_partial_indexes'
branch_labels = None
depends_on = None

# as in models/visit.py (UNVERIFIED_WHERE), fixed here: the migration keeps what it created
UNVERIFIED_WHERE = {
    "postgresql": "(coalesce(json_array_length(CASE WHEN json_typeof(flags) = 'array' THEN flags END), 0) > 0) "
                  "AND verified_at IS NULL",
    "sqlite": "(coalesce(json_array_length(flags), 0) > 0) = 1 AND verified_at IS NULL",
}


def upgrade():
    op.create_index("ix_visit_household_month", "visit", ["household_id", "checked_in_at", "review_status"],
                    unique=False)
    op.create_index("ix_visit_unverified", "visit", ["household_id"], unique=False,
                    postgresql_where=sa.text(UNVERIFIED_WHERE["postgresql"]),
                    sqlite_where=sa.text(UNVERIFIED_WHERE["sqlite"]))


def downgrade():
    op.drop_index("ix_visit_unverified", table_name="visit")
    op.drop_index("ix_visit_household_month", table_name="visit")
