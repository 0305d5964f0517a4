"""The web overview over 100,000 tickets: covering indexes for a period's tickets and for point events.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NEW = (
    (
        "ix_tickets_created_cover",
        "tickets",
        ["created_at", "community_id", "grid_id", "holder_id", "category", "state"],
    ),
    (
        "ix_tickets_resolved_cover",
        "tickets",
        ["resolved_at", "community_id", "grid_id", "holder_id", "state", "rating", "overdue_at"],
    ),
    ("ix_events_ticket_action_cover", "events", ["ticket_id", "action", "id", "actor_id"]),
    ("ix_events_action_at_cover", "events", ["action", "at", "ticket_id", "actor_id"]),
)
# the same leading columns as the new event indexes, which serve every query these did
OLD = (
    ("ix_events_ticket_action", "events", ["ticket_id", "action"]),
    ("ix_events_action_at", "events", ["action", "at"]),
)


def upgrade() -> None:
    for name, table, columns in NEW:
        op.create_index(name, table, columns)
    for name, table, _ in OLD:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in OLD:
        op.create_index(name, table, columns)
    for name, table, _ in reversed(NEW):
        op.drop_index(name, table_name=table)
