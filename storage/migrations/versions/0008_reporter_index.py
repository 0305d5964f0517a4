"""A resident asking how their report is going: their tickets are found by reporter, with an index.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_reporters_reporter", "ticket_reporters", ["reporter_id", "ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_reporters_reporter", table_name="ticket_reporters")
