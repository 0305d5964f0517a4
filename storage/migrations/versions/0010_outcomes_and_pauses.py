"""The 12345 hotline's ways of working (#21): a ticket's outcome (已解决 / 部分解决 / 无法解决) and its pause
(/挂起: since when, and when it resumes by itself), and the time to a result of `ladder_preset: beijing_12345`.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("outcome_note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("paused_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resume_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("result_due_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("result_due_at")
        batch.drop_column("resume_at")
        batch.drop_column("paused_at")
        batch.drop_column("outcome_note")
        batch.drop_column("outcome")
