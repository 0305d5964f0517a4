"""Likely requests: messages the classifier thinks are probably a request, held for the grid worker.

Each item is a stored timer like the ladder's: `notify_at` (the batch it goes out in) and `lapse_at`
(when an undecided item lapses). Both are cleared when they have been acted on, so a sweep run twice
at one instant, or from two processes, does each thing once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from storage._sql import LIKELY, Sql, prepared, rowcount, to_record
from storage.records import Likely
from storage.states import OPEN_LIKELY, LikelyState

L = LIKELY.c
BY_ID = prepared(select(LIKELY).where(L.id == bindparam("id")))


def _record(row: Any) -> Likely:
    return to_record(Likely, row, state=LikelyState(row.state))


class LikelyItems:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def add(self, values: dict[str, Any]) -> int:
        """Store one item (its `notify_at` and `lapse_at` set by the caller); its number."""
        key = self.sql.add(LIKELY, {**values, "state": LikelyState.WAITING})
        return int(key)

    def get(self, item_id: int, *, lock: bool = False) -> Likely | None:
        row = self.sql.run(self.sql.for_update(BY_ID, lock=lock), {"id": item_id}).first()
        return _record(row) if row else None

    def of_message(self, message_id: int) -> Likely | None:
        row = self.sql.run(select(LIKELY).where(L.message_id == message_id).order_by(L.id.desc())).first()
        return _record(row) if row else None

    def to_notify(self, now: datetime, *, limit: int = 500) -> list[Likely]:
        """Waiting items whose batch is due, oldest first, locked for this turn (skipped if another has them)."""
        stmt = (
            select(LIKELY)
            .where(L.state == LikelyState.WAITING, L.notify_at.is_not(None), L.notify_at <= now)
            .order_by(L.id)
            .limit(limit)
        )
        return [_record(row) for row in self.sql.run(self.sql.for_update(stmt, skip_locked=True))]

    def mark_notified(self, ids: Sequence[int]) -> None:
        if ids:
            stmt = (
                update(LIKELY)
                .where(L.id.in_(list(ids)), L.state == LikelyState.WAITING)
                .values(state=LikelyState.NOTIFIED, notify_at=None)
            )
            self.sql.run(stmt)

    def lapse(self, now: datetime) -> list[Likely]:
        """Items nobody decided on by their lapse time become `lapsed`; the ones this call lapsed."""
        stmt = select(LIKELY).where(L.state.in_(list(OPEN_LIKELY)), L.lapse_at.is_not(None), L.lapse_at <= now)
        due = [_record(row) for row in self.sql.run(self.sql.for_update(stmt, skip_locked=True))]
        if due:
            self.sql.run(
                update(LIKELY)
                .where(L.id.in_([d.id for d in due]), L.state.in_(list(OPEN_LIKELY)))
                .values(state=LikelyState.LAPSED, notify_at=None, lapse_at=None)
            )
        return due

    def decide(self, item_id: int, state: LikelyState, *, by: str, at: datetime, ticket_id: int | None = None) -> bool:
        """Register or dismiss an open item; False if it was decided (or lapsed) already."""
        stmt = (
            update(LIKELY)
            .where(L.id == item_id, L.state.in_(list(OPEN_LIKELY)))
            .values(state=state, decided_by=by, decided_at=at, ticket_id=ticket_id, notify_at=None, lapse_at=None)
        )
        return rowcount(self.sql.run(stmt)) == 1

    def waiting_for(self, worker_ids: Sequence[str]) -> int:
        """How many items wait for a decision by any of these people."""
        return self._waiting(L.worker_id.in_(list(worker_ids))) if worker_ids else 0

    def waiting_in(self, community_id: str) -> int:
        return self._waiting(L.community_id == community_id)

    def _waiting(self, where: Any) -> int:
        stmt = select(func.count()).select_from(LIKELY).where(L.state.in_(list(OPEN_LIKELY)), where)
        return int(self.sql.run(stmt).scalar_one())

    def corrections(self) -> list[tuple[str, str]]:
        """(text, "none") for every item a worker dismissed: /忽略 teaches the classifier what is not a
        request (a registered item is taught through its ticket's `missed` event)."""
        stmt = select(L.text).where(L.state == LikelyState.DISMISSED, L.text != "").order_by(L.id)
        return [(str(text), "none") for text in self.sql.run(stmt).scalars()]

    def forget_text(self, before: datetime) -> int:
        """Retention: the words of items decided or lapsed before `before` are not kept for ever."""
        stmt = (
            update(LIKELY).where(L.state.not_in(list(OPEN_LIKELY)), L.created_at < before, L.text != "").values(text="")
        )
        return rowcount(self.sql.run(stmt))
