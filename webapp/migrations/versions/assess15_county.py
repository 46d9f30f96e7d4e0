"""county level above townships; pairing changes waiting for the county

Revision ID: assess15_county
Revises: jsdead_geofence_nullable
"""
import sqlalchemy as sa
from alembic import op

revision = 'assess15_county'
down_revision = 'jsdead_geofence_nullable'
branch_labels = None
depends_on = None


ROLES = ("helper", "team_member", "first_secretary", "office_admin")
COUNTY_ROLES = ROLES + ("county_admin",)
STATUSES = ("pending", "approved", "rejected")
# the CHECK constraints this step sets, over vocab_check_constraints' (tests/test_vocab.py reads both)
CHECKS = (("user", "role", COUNTY_ROLES), ("pairing_change", "status", STATUSES))


def _role_check(values: tuple[str, ...]) -> None:
    """Replace user.role's CHECK (vocab_check_constraints) with one over these roles."""
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_role'), f"role IN ({', '.join(repr(v) for v in values)})")


def upgrade():
    _role_check(COUNTY_ROLES)
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_unit_parent_id_unit'), 'unit', ['parent_id'], ['id'])
    op.create_table(
        'pairing_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('from_helper_id', sa.Integer(), nullable=True),
        sa.Column('to_helper_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_pairing_change_unit_id_unit')),
        sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_pairing_change_household_id_household')),
        sa.ForeignKeyConstraint(['from_helper_id'], ['user.id'], name=op.f('fk_pairing_change_from_helper_id_user')),
        sa.ForeignKeyConstraint(['to_helper_id'], ['user.id'], name=op.f('fk_pairing_change_to_helper_id_user')),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_pairing_change_proposed_by_id_user')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_pairing_change_decided_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing_change')),
        sa.CheckConstraint(f"status IN ({', '.join(repr(v) for v in STATUSES)})", name=op.f('ck_pairing_change_status')),
    )
    with op.batch_alter_table('pairing_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairing_change_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_change_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_change_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('pairing_change')
    _role_check(ROLES)
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_unit_parent_id_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))
        batch_op.drop_column('parent_id')
