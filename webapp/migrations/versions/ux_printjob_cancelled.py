"""print jobs: status 'cancelled' (the office cancels a queued or running job)

Revision ID: ux_printjob_cancelled
Revises: assess15_village_onsite
Create Date: 2026-11-29 23:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'ux_printjob_cancelled'
down_revision = 'assess15_village_onsite'
branch_labels = None
depends_on = None

BEFORE = ("queued", "running", "done", "failed", "downloaded", "expired")
AFTER = BEFORE + ("cancelled",)
CHECKS = (("print_job", "status", AFTER),)  # tests/test_vocab.py: the vocabulary's current values


def _replace(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("print_job", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_print_job_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_print_job_status"),
                                         f"status IN ({', '.join(repr(v) for v in values)})")


def upgrade():
    _replace(AFTER)


def downgrade():
    # a cancelled job reads as failed in the older vocabulary
    job = sa.table("print_job", sa.column("status"), sa.column("error"))
    op.execute(job.update().where(job.c.status == "cancelled").values(status="failed", error="已取消"))
    _replace(BEFORE)
