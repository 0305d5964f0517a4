"""A group's recent tickets of one category by an index of their own: what every report that might join one
asks (storage/repos/tickets.py `_in_chat`, handlers/resident/joining.py).

SQLite, without statistics, searched `ix_tickets_category` and read every ticket of the category ever
reported in any group: at 100,000 tickets in 500 groups (a district's year, five categories) 6.1 ms a
report, against 0.05 ms with (chat_id, category, created_at) (bench/join_at_scale.py). PostgreSQL's planner, which keeps
statistics, had `ix_tickets_chat_id` to use; the new index serves it as well.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_chat_category_created", "tickets", ["chat_id", "category", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_chat_category_created", table_name="tickets")
