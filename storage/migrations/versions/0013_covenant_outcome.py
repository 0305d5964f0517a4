"""楼门公约 (#20): a covenant consultation's outcome (its tally: votes for, against, cast) kept on its board item,
since the votes themselves are emptied after `notices.entry_retention_days`.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("board_items", sa.Column("outcome", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("board_items", "outcome")
