"""Points per person over a period on PostgreSQL: a community's ticket ids from an index alone.

At 1,000,000 tickets (bench/ladder_digest_1m.py) the weekly points query read every heap page of the
community's tickets (each tenth row of the table) to join them to the period's events: 650 ms. With
(community_id, id) it is an index-only scan: ≈66 ms.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_community_id_id", "tickets", ["community_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_community_id_id", table_name="tickets")
