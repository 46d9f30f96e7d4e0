"""visit evidence: flag details, verification, photo hash bands, amendments

Revision ID: evapi_visit_evidence
Revises: 020f208503fd
Create Date: 2026-11-29 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'evapi_visit_evidence'
down_revision = '020f208503fd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_details', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verify_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_visit_verified_by_id_user'), 'user', ['verified_by_id'], ['id'])
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phash', sa.String(length=16), nullable=True))

    op.create_table('photo_hash_band',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('band_no', sa.SmallInteger(), nullable=False),
    sa.Column('band_value', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.SmallInteger(), nullable=False),
    sa.Column('phash', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_photo_hash_band_photo_id_photo')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_photo_hash_band_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_hash_band'))
    )
    with op.batch_alter_table('photo_hash_band', schema=None) as batch_op:
        batch_op.create_index('ix_photo_hash_band_lookup', ['unit_id', 'band_no', 'band_value', 'phash', 'photo_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_hash_band_photo_id'), ['photo_id'], unique=False)

    op.create_table('visit_amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notes_before', sa.Text(), nullable=False),
    sa.Column('notes_after', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_visit_amendment_author_id_user')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_amendment_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_amendment')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_visit_amendment_client_uuid'))
    )
    with op.batch_alter_table('visit_amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_amendment_visit_id'), ['visit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('visit_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_amendment_visit_id'))
    op.drop_table('visit_amendment')
    with op.batch_alter_table('photo_hash_band', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_hash_band_photo_id'))
        batch_op.drop_index('ix_photo_hash_band_lookup')
    op.drop_table('photo_hash_band')
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_column('phash')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_verified_by_id_user'), type_='foreignkey')
        batch_op.drop_column('verify_note')
        batch_op.drop_column('verified_by_id')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('flag_details')
