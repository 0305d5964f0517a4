"""Likely requests (#16): messages held for the grid worker to register (/登记) or dismiss (/忽略).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "likely_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("chat_topic", sa.String(), nullable=False),
        sa.Column("grid_id", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("reporter_id", sa.String(length=128), nullable=False),
        sa.Column("reporter_name", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("notify_at", sa.DateTime(), nullable=True),
        sa.Column("lapse_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_likely_items_message_id", "likely_items", ["message_id"])
    op.create_index("ix_likely_items_worker_id", "likely_items", ["worker_id"])
    op.create_index("ix_likely_items_notify_at", "likely_items", ["notify_at"])
    op.create_index("ix_likely_items_lapse_at", "likely_items", ["lapse_at"])


def downgrade() -> None:
    for name in ("lapse_at", "notify_at", "worker_id", "message_id"):
        op.drop_index(f"ix_likely_items_{name}", table_name="likely_items")
    op.drop_table("likely_items")
