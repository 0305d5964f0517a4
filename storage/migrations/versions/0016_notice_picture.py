"""A notice's picture (#20): the name of the file the bot stored for it under data_dir/media/ (storage/media.py),
posted in each group after the notice's text; "" for a notice without one.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("board_items", sa.Column("picture", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("board_items", "picture")
