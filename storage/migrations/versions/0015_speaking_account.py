"""Two bot accounts in the same groups (#18): the speaking lease (`speaker`), the account that received each
message with what both accounts see alike of it (`fingerprint`, so a message both receive opens one ticket) and
the copy it is (`twin_of`), and the account that sent each outbox row (its own day's count against
`account_limits.messages_per_day`).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speaker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("beat", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column("messages", sa.Column("account", sa.String(length=64), nullable=False, server_default=""))
    op.add_column("messages", sa.Column("fingerprint", sa.String(length=40), nullable=False, server_default=""))
    op.add_column("messages", sa.Column("twin_of", sa.Integer(), nullable=True))
    op.create_index("ix_messages_fingerprint", "messages", ["fingerprint", "received_at"], unique=False)
    op.create_index("ix_messages_twin_of", "messages", ["twin_of"], unique=False)
    op.add_column("outbox", sa.Column("account", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("outbox", "account")
    op.drop_index("ix_messages_twin_of", table_name="messages")
    op.drop_index("ix_messages_fingerprint", table_name="messages")
    op.drop_column("messages", "twin_of")
    op.drop_column("messages", "fingerprint")
    op.drop_column("messages", "account")
    op.drop_table("speaker")
