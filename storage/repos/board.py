"""Notices, sign-ups and polls (#20): the items, the groups each went to, and residents' answers.

An item's timers (`report_at`, `list_at`, `deadline_at`) are stored like a ticket's: the sweep reads
those due, acts, and clears or moves them in the same turn, so a sweep run twice at one instant, or from
two processes, does each thing once (the rows are locked, SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update

from storage._sql import BOARD_LOCK, ENTRIES, ITEM_GROUPS, ITEMS, Sql, prepared, rowcount, to_record
from storage.records import BoardEntry, BoardGroup, BoardItem
from storage.states import ItemKind, ItemState

IT, G, E = ITEMS.c, ITEM_GROUPS.c, ENTRIES.c

# built once (storage/_sql.py): every resident's message in a group runs OPEN_IN, every sweep tick DUE
OPEN_IN = prepared(
    select(ITEMS)
    .join(ITEM_GROUPS, G.item_id == IT.id)
    .where(G.chat_id == bindparam("chat_id"), IT.state == ItemState.OPEN, IT.window_until > bindparam("now"))
    .order_by(IT.id.desc())
)
DUE = prepared(
    select(ITEMS)
    .where(or_(IT.report_at <= bindparam("now"), IT.list_at <= bindparam("now"), IT.deadline_at <= bindparam("now")))
    .order_by(IT.id)
    .limit(bindparam("limit"))
)


def _item(row: Any) -> BoardItem:
    return to_record(BoardItem, row, kind=ItemKind(row.kind), state=ItemState(row.state))


class Board:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    # -- items ----------------------------------------------------------------------------------

    def add(self, kind: ItemKind, values: dict[str, Any]) -> BoardItem:
        """A new item with the next number of its kind (通知1, 通知2, …; 接龙 has its own series)."""
        self.sql.advisory_lock(BOARD_LOCK, str(kind))
        key = self.sql.add(ITEMS, {**values, "kind": kind, "number": self.next_number(kind)})
        item = self.by_id(int(key))
        assert item is not None
        return item

    def next_number(self, kind: ItemKind) -> int:
        """The number the next item of this kind would get (a preview's; `add` decides under its lock)."""
        return int(self.sql.run(select(func.max(IT.number)).where(IT.kind == kind)).scalar_one() or 0) + 1

    def by_id(self, item_id: int, *, lock: bool = False) -> BoardItem | None:
        row = self.sql.run(self.sql.for_update(select(ITEMS).where(IT.id == item_id), lock=lock)).first()
        return _item(row) if row else None

    def get(self, kind: ItemKind, number: int, *, lock: bool = False) -> BoardItem | None:
        stmt = select(ITEMS).where(IT.kind == kind, IT.number == number)
        row = self.sql.run(self.sql.for_update(stmt, lock=lock)).first()
        return _item(row) if row else None

    def update(self, item_id: int, **values: Any) -> BoardItem:
        self.sql.run(update(ITEMS).where(IT.id == item_id).values(**values))
        item = self.by_id(item_id)
        assert item is not None
        return item

    def confirming(self, author_id: str, chat_id: str, since: datetime) -> BoardItem | None:
        """The author's latest item waiting for 确认 in this chat, asked for after `since`."""
        stmt = (
            select(ITEMS)
            .where(
                IT.author_id == author_id,
                IT.origin_chat == chat_id,
                IT.state == ItemState.CONFIRMING,
                IT.created_at > since,
            )
            .order_by(IT.id.desc())
        )
        row = self.sql.run(self.sql.for_update(stmt)).first()
        return _item(row) if row else None

    def open_in(self, chat_id: str, now: datetime) -> list[BoardItem]:
        """Items posted in this group whose window is still open (replies there are read as answers), newest first."""
        return [_item(row) for row in self.sql.run(OPEN_IN, {"chat_id": chat_id, "now": now})]

    def of_period(self, kind: ItemKind, community_id: str, start: datetime, end: datetime) -> list[BoardItem]:
        stmt = (
            select(ITEMS)
            .where(
                IT.kind == kind,
                IT.community_id == community_id,
                IT.created_at >= start,
                IT.created_at < end,
                IT.state.in_([ItemState.OPEN, ItemState.CLOSED, ItemState.RECALLED]),
            )
            .order_by(IT.number)
        )
        return [_item(row) for row in self.sql.run(stmt)]

    def opened_or_closed(self, kind: ItemKind, community_id: str, start: datetime, end: datetime) -> list[BoardItem]:
        """Items of a kind posted or closed within [start, end) (a digest's polls and covenants), by number."""
        stmt = (
            select(ITEMS)
            .where(IT.kind == kind, IT.community_id == community_id)
            .where(
                or_(
                    (IT.created_at >= start) & (IT.created_at < end),
                    (IT.closed_at >= start) & (IT.closed_at < end),
                )
            )
            .where(IT.state.not_in([ItemState.CONFIRMING, ItemState.DROPPED]))
            .order_by(IT.number)
        )
        return [_item(row) for row in self.sql.run(stmt)]

    def recent(self, kind: ItemKind, community_ids: Sequence[str], limit: int) -> list[BoardItem]:
        """The newest items of a kind in these communities (the page's list)."""
        stmt = (
            select(ITEMS)
            .where(IT.kind == kind, IT.community_id.in_(list(community_ids)))
            .order_by(IT.id.desc())
            .limit(limit)
        )
        return [_item(row) for row in self.sql.run(stmt)]

    def covenants(self, chat_id: str) -> list[BoardItem]:
        """The covenants adopted for this group, newest first: the first is in force, the rest its history."""
        stmt = (
            select(ITEMS)
            .join(ITEM_GROUPS, G.item_id == IT.id)
            .where(G.chat_id == chat_id, IT.kind == ItemKind.COVENANT, IT.state == ItemState.ADOPTED)
            .order_by(IT.closed_at.desc(), IT.id.desc())
        )
        return [_item(row) for row in self.sql.run(stmt)]

    def covenants_of(self, community_ids: Sequence[str]) -> list[tuple[str, str, BoardItem]]:
        """Every covenant adopted in these communities, as (chat id, topic, item) for each group it is for:
        by group, newest first (the first of a group is in force, the rest its history)."""
        stmt = (
            select(ITEMS, G.chat_id.label("group_chat"), G.chat_topic.label("group_topic"))
            .join(ITEM_GROUPS, G.item_id == IT.id)
            .where(IT.community_id.in_(list(community_ids)), IT.kind == ItemKind.COVENANT)
            .where(IT.state == ItemState.ADOPTED)
            .order_by(G.chat_topic, G.chat_id, IT.closed_at.desc(), IT.id.desc())
        )
        return [(str(r.group_chat), str(r.group_topic), _item(r)) for r in self.sql.run(stmt)]

    def due(self, now: datetime, limit: int = 100) -> list[BoardItem]:
        """Items with a timer due (a report, a list post, a deadline), locked for this turn (SKIP LOCKED)."""
        stmt = self.sql.for_update(DUE, skip_locked=True)
        return [_item(row) for row in self.sql.run(stmt, {"now": now, "limit": limit})]

    # -- the groups an item went to ---------------------------------------------------------------

    def add_groups(self, item_id: int, groups: Sequence[tuple[str, str, str]]) -> None:
        """(chat id, topic, the post's outbox dedupe key) for each group."""
        self.sql.add_many(
            ITEM_GROUPS, [{"item_id": item_id, "chat_id": c, "chat_topic": t, "post_key": k} for c, t, k in groups]
        )

    def groups(self, item_id: int) -> list[BoardGroup]:
        stmt = select(ITEM_GROUPS).where(G.item_id == item_id).order_by(G.id)
        return [to_record(BoardGroup, row) for row in self.sql.run(stmt)]

    # -- residents' answers ---------------------------------------------------------------------

    def answer(
        self, item_id: int, chat_id: str, person_id: str, name: str, value: str, at: datetime, purge_after: datetime
    ) -> bool:
        """One answer per person and item: a second one replaces the first. True when it is the first."""
        values = {
            "item_id": item_id,
            "chat_id": chat_id,
            "person_id": person_id,
            "person_name": name,
            "value": value,
            "at": at,
            "purge_after": purge_after,
        }
        found = self.sql.run(select(E.id).where(E.item_id == item_id, E.person_id == person_id)).first()
        if found is None:
            self.sql.add(ENTRIES, values)
            return True
        self.sql.run(update(ENTRIES).where(E.id == found.id).values(**values))
        return False

    def withdraw(self, item_id: int, person_id: str) -> bool:
        """A resident's 取消: their answer is removed. False when they had none."""
        stmt = delete(ENTRIES).where(E.item_id == item_id, E.person_id == person_id)
        return rowcount(self.sql.run(stmt)) > 0

    def entries(self, item_id: int) -> list[BoardEntry]:
        stmt = select(ENTRIES).where(E.item_id == item_id).order_by(E.id)
        return [to_record(BoardEntry, row) for row in self.sql.run(stmt)]

    def count(self, item_id: int) -> int:
        return int(self.sql.run(select(func.count()).select_from(ENTRIES).where(E.item_id == item_id)).scalar_one())

    def counts_by_group(self, item_ids: Sequence[int]) -> dict[tuple[int, str], int]:
        """(item id, chat id) → how many answered there."""
        if not item_ids:
            return {}
        stmt = (
            select(E.item_id, E.chat_id, func.count())
            .where(E.item_id.in_(list(item_ids)))
            .group_by(E.item_id, E.chat_id)
        )
        return {(int(i), str(c)): int(n) for i, c, n in self.sql.run(stmt)}

    def forget_values(self, now: datetime) -> int:
        """Retention: what residents wrote into a sign-up is emptied once its time is up (the count stays)."""
        stmt = (
            update(ENTRIES)
            .where(E.purge_after.is_not(None), E.purge_after <= now)
            .values(value="", person_name="", purge_after=None)
        )
        return rowcount(self.sql.run(stmt))
