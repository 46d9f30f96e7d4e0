"""village year-end assessment; helpers' quarterly on-site assessment with satisfaction

Revision ID: assess15_village_onsite
Revises: assess15_county
"""
import sqlalchemy as sa
from alembic import op

revision = 'assess15_village_onsite'
down_revision = 'assess15_county'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'village_year_end',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('village_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('score', sa.Double(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['village_id'], ['village.id'], name=op.f('fk_village_year_end_village_id_village')),
        sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_village_year_end_entered_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_village_year_end')),
        sa.UniqueConstraint('village_id', 'year', name='uq_village_year_end'),
    )
    with op.batch_alter_table('village_year_end', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_village_year_end_village_id'), ['village_id'], unique=False)
    op.create_table(
        'onsite_assessment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('helper_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.String(length=7), nullable=False),
        sa.Column('result', sa.String(length=8), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('satisfaction', sa.String(length=8), nullable=True),
        sa.Column('satisfaction_note', sa.Text(), nullable=True),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_onsite_assessment_unit_id_unit')),
        sa.ForeignKeyConstraint(['helper_id'], ['user.id'], name=op.f('fk_onsite_assessment_helper_id_user')),
        sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_onsite_assessment_entered_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onsite_assessment')),
        sa.UniqueConstraint('helper_id', 'quarter', name='uq_onsite_helper_quarter'),
    )
    with op.batch_alter_table('onsite_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onsite_assessment_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onsite_assessment_helper_id'), ['helper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onsite_assessment_quarter'), ['quarter'], unique=False)


def downgrade():
    op.drop_table('onsite_assessment')
    op.drop_table('village_year_end')
