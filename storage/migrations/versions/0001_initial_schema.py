"""Initial schema: the tables as they were before migrations existed (created by create_all).

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 09:45:09.578166
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=False),
        sa.Column("actor_name", sa.String(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_events_action"), "events", ["action"], unique=False)
    op.create_index(op.f("ix_events_at"), "events", ["at"], unique=False)
    op.create_index(op.f("ix_events_ticket_id"), "events", ["ticket_id"], unique=False)

    op.create_table(
        "groups",
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("grid_id", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.String(length=128), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("chat_topic", sa.String(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("sender_name", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("quoted_id", sa.String(), nullable=False),
        sa.Column("mentions", sa.String(), nullable=False),
        sa.Column("mentions_bot", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("purge_after", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id"),
    )
    op.create_index(op.f("ix_messages_chat_id"), "messages", ["chat_id"], unique=False)
    op.create_index(op.f("ix_messages_purge_after"), "messages", ["purge_after"], unique=False)
    op.create_index(op.f("ix_messages_ticket_id"), "messages", ["ticket_id"], unique=False)
    op.create_index("ix_messages_unprocessed", "messages", ["processed_at", "id"], unique=False)

    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "notices",
        sa.Column("key", sa.String(length=191), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mention_ids", sa.String(), nullable=False),
        sa.Column("image_path", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=191), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "not_before"], unique=False)

    op.create_table(
        "pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_pending_expires_at"), "pending", ["expires_at"], unique=False)
    op.create_index("ix_pending_lookup", "pending", ["chat_id", "person_id", "kind"], unique=False)

    op.create_table(
        "standins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("by_id", sa.String(length=128), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_standins_person_id"), "standins", ["person_id"], unique=False)

    op.create_table(
        "ticket_reporters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("chat_topic", sa.String(), nullable=False),
        sa.Column("reporter_id", sa.String(length=128), nullable=False),
        sa.Column("reporter_name", sa.String(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ticket_reporters_ticket_id"), "ticket_reporters", ["ticket_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("grid_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("chat_topic", sa.String(), nullable=False),
        sa.Column("reporter_id", sa.String(length=128), nullable=False),
        sa.Column("reporter_name", sa.String(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("source_message_id", sa.Integer(), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("level_since", sa.DateTime(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(), nullable=True),
        sa.Column("ack_due_at", sa.DateTime(), nullable=True),
        sa.Column("remind_at", sa.DateTime(), nullable=True),
        sa.Column("promise_at", sa.DateTime(), nullable=True),
        sa.Column("overdue_at", sa.DateTime(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(), nullable=True),
        sa.Column("rating", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_tickets_category"), "tickets", ["category"], unique=False)
    op.create_index(op.f("ix_tickets_chat_id"), "tickets", ["chat_id"], unique=False)
    op.create_index(op.f("ix_tickets_community_id"), "tickets", ["community_id"], unique=False)
    op.create_index(op.f("ix_tickets_created_at"), "tickets", ["created_at"], unique=False)
    op.create_index(op.f("ix_tickets_grid_id"), "tickets", ["grid_id"], unique=False)
    op.create_index(op.f("ix_tickets_holder_id"), "tickets", ["holder_id"], unique=False)
    op.create_index(op.f("ix_tickets_merged_into"), "tickets", ["merged_into"], unique=False)
    op.create_index(op.f("ix_tickets_next_due_at"), "tickets", ["next_due_at"], unique=False)
    op.create_index(op.f("ix_tickets_resolved_at"), "tickets", ["resolved_at"], unique=False)
    op.create_index(op.f("ix_tickets_state"), "tickets", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_state"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_resolved_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_next_due_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_merged_into"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_holder_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_grid_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_created_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_community_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_chat_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_category"), table_name="tickets")

    op.drop_table("tickets")
    op.drop_index(op.f("ix_ticket_reporters_ticket_id"), table_name="ticket_reporters")

    op.drop_table("ticket_reporters")
    op.drop_index(op.f("ix_standins_person_id"), table_name="standins")

    op.drop_table("standins")
    op.drop_index("ix_pending_lookup", table_name="pending")
    op.drop_index(op.f("ix_pending_expires_at"), table_name="pending")

    op.drop_table("pending")
    op.drop_index("ix_outbox_due", table_name="outbox")

    op.drop_table("outbox")
    op.drop_table("notices")
    op.drop_table("meta")
    op.drop_index("ix_messages_unprocessed", table_name="messages")
    op.drop_index(op.f("ix_messages_ticket_id"), table_name="messages")
    op.drop_index(op.f("ix_messages_purge_after"), table_name="messages")
    op.drop_index(op.f("ix_messages_chat_id"), table_name="messages")

    op.drop_table("messages")
    op.drop_table("groups")
    op.drop_index(op.f("ix_events_ticket_id"), table_name="events")
    op.drop_index(op.f("ix_events_at"), table_name="events")
    op.drop_index(op.f("ix_events_action"), table_name="events")

    op.drop_table("events")
