"""The day's sends are counted against `account_limits.messages_per_day` (#18) at every drain and tick: an
index on (state, sent_at) keeps that count a range scan while the outbox grows (2,000 rows a day).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_sent", "outbox", ["state", "sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_sent", table_name="outbox")
