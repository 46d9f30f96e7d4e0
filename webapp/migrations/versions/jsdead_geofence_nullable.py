"""unit.geofence_m and village.geofence_m nullable: not set means the configured default

VISIT_GEOFENCE_M (unit, visits) and VILLAGE_GEOFENCE_M (village, check-ins) only took effect where
the column was empty, and it never was (NOT NULL, default 300 / 2000). Rows holding exactly the old
default are set to NULL: the model default and the village form's pre-filled 2000 wrote that value
without anyone choosing it, and NULL keeps today's radius (the configured defaults are the same
numbers) while letting a changed setting apply. Any other value was chosen and stays.

Revision ID: jsdead_geofence_nullable
Revises: vocab_check_constraints
Create Date: 2026-11-29 22:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'jsdead_geofence_nullable'
down_revision = 'vocab_check_constraints'
branch_labels = None
depends_on = None

OLD_DEFAULTS = {'unit': 300, 'village': 2000}


def upgrade():
    for table, old in OLD_DEFAULTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('geofence_m', existing_type=sa.Integer(), nullable=True)
        op.execute(sa.text(f'UPDATE {table} SET geofence_m = NULL WHERE geofence_m = :old').bindparams(old=old))


def downgrade():
    for table, old in OLD_DEFAULTS.items():
        op.execute(sa.text(f'UPDATE {table} SET geofence_m = :old WHERE geofence_m IS NULL').bindparams(old=old))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('geofence_m', existing_type=sa.Integer(), nullable=False)
