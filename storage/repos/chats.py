"""Group chats the bot is in: topic, the grid /绑定 bound them to, whether the bot is still a member."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from storage._sql import CHAT_LOCK, GROUPS, Sql, prepared, to_record
from storage.records import Group

G = GROUPS.c
BY_ID = prepared(select(GROUPS).where(G.chat_id == bindparam("chat_id")))


class Chats:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def get(self, chat_id: str) -> Group | None:
        row = self.sql.run(BY_ID, {"chat_id": chat_id}).first()
        return to_record(Group, row) if row else None

    def all(self) -> list[Group]:
        return [to_record(Group, row) for row in self.sql.run(select(GROUPS).order_by(G.chat_id))]

    def upsert(
        self,
        chat_id: str,
        at: datetime,
        *,
        topic: str | None = None,
        grid_id: str | None = None,
        active: bool | None = None,
    ) -> Group:
        """Record what is known about a chat now; what is not given (None) stays as it was."""
        changes: dict[str, Any] = {"updated_at": at}
        if topic is not None:
            changes["topic"] = topic
        if grid_id is not None:
            changes["grid_id"] = grid_id
        if active is not None:
            changes["active"] = active
        if self.sql.add(GROUPS, {"chat_id": chat_id, **changes}, conflict="chat_id") is None:
            self.sql.run(update(GROUPS).where(G.chat_id == chat_id).values(**changes))
        group = self.get(chat_id)
        assert group is not None
        return group

    def lock(self, chat_id: str) -> None:
        """PostgreSQL: serialise turns of one chat across processes (joins and splits see each other)."""
        self.sql.advisory_lock(CHAT_LOCK, chat_id)
