"""Ids that change, with two bot accounts (#18 §3/§4): one id map per account. With wechat4u each account sees
a room or a contact under an id of its own, so `identities` is keyed by (account, kind, key). The rows of the
one map there was belong to the account of a single-account office, `main` (settings' default `account.id`).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# frozen here: the default account id when this revision was written (bot/core/settings_platform.py)
DEFAULT_ACCOUNT = "main"


def _columns(account: bool) -> list[sa.Column[Any]]:
    head: list[sa.Column[Any]] = [
        sa.Column("account", sa.String(length=64), nullable=False, server_default=DEFAULT_ACCOUNT)
    ]
    return [
        *(head if account else []),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("platform_id", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def _sqlite_copy(account: bool) -> None:
    """SQLite changes a primary key only by copying the table: a new one, the rows, then the name."""
    keys = ["account", "kind", "key"] if account else ["kind", "key"]
    op.drop_index("ix_identities_platform_id", table_name="identities")
    op.create_table("identities_next", *_columns(account), sa.PrimaryKeyConstraint(*keys))
    moved = "kind, key, platform_id, updated_at"
    op.execute(sa.text(f"INSERT INTO identities_next ({moved}) SELECT {moved} FROM identities"))
    op.drop_table("identities")
    op.rename_table("identities_next", "identities")
    op.create_index("ix_identities_platform_id", "identities", ["platform_id"])


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_copy(account=True)  # the copied rows take the column's default: the default account's
        return
    op.add_column("identities", _columns(account=True)[0])
    op.drop_constraint("identities_pkey", "identities", type_="primary")
    op.create_primary_key("identities_pkey", "identities", ["account", "kind", "key"])


def downgrade() -> None:
    # one map again: the default account's (another account's ids cannot share it)
    op.execute(sa.text("DELETE FROM identities WHERE account != :a").bindparams(a=DEFAULT_ACCOUNT))
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_copy(account=False)
        return
    op.drop_constraint("identities_pkey", "identities", type_="primary")
    op.drop_column("identities", "account")
    op.create_primary_key("identities_pkey", "identities", ["kind", "key"])
