"""Notices, sign-ups and polls in the groups (#20): the items, the groups each is posted in, and residents'
answers (收到, sign-up lines, votes).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.String(length=128), nullable=False),
        sa.Column("origin_chat", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.String(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("window_until", sa.DateTime(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(), nullable=True),
        sa.Column("list_at", sa.DateTime(), nullable=True),
        sa.Column("report_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "number", name="uq_board_items_kind_number"),
    )
    for name in ("created_at", "deadline_at", "list_at", "report_at"):
        op.create_index(f"ix_board_items_{name}", "board_items", [name])
    op.create_table(
        "board_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("chat_topic", sa.String(), nullable=False),
        sa.Column("post_key", sa.String(length=191), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_board_groups_item_id", "board_groups", ["item_id"])
    op.create_index("ix_board_groups_chat", "board_groups", ["chat_id", "item_id"])
    op.create_table(
        "board_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("person_name", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("purge_after", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "person_id", name="uq_board_entries_item_person"),
    )
    op.create_index("ix_board_entries_item_id", "board_entries", ["item_id"])
    op.create_index("ix_board_entries_purge_after", "board_entries", ["purge_after"])


def downgrade() -> None:
    op.drop_index("ix_board_entries_purge_after", table_name="board_entries")
    op.drop_index("ix_board_entries_item_id", table_name="board_entries")
    op.drop_table("board_entries")
    op.drop_index("ix_board_groups_chat", table_name="board_groups")
    op.drop_index("ix_board_groups_item_id", table_name="board_groups")
    op.drop_table("board_groups")
    for name in ("report_at", "list_at", "deadline_at", "created_at"):
        op.drop_index(f"ix_board_items_{name}", table_name="board_items")
    op.drop_table("board_items")
