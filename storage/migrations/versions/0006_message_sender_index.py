"""The flood check counts a sender's messages of the last minute: an index for it.

Without it every incoming message scanned the whole messages table (bench/pipeline_replay.py).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_sender_received", "messages", ["sender_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_sender_received", table_name="messages")
