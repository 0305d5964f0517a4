"""Digests and points: indexes for one community's tickets in a period and for event rows by action.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_tickets_community_created", "tickets", ["community_id", "created_at"]),
    ("ix_tickets_community_resolved", "tickets", ["community_id", "resolved_at"]),
    ("ix_tickets_state_community", "tickets", ["state", "community_id"]),
    ("ix_events_ticket_action", "events", ["ticket_id", "action"]),
    ("ix_events_action_at", "events", ["action", "at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
