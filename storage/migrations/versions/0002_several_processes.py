"""Several bot processes on one database: one ticket per reporting message, outbox rows know their sender.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_tickets_source_message", "tickets", ["source_message_id"], unique=True)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("owner")
    op.drop_index("uq_tickets_source_message", table_name="tickets")
