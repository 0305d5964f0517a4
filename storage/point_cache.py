"""This month's 积分 for the big screen: the days that have ended come from memory, today from the database.

Points are counted from event rows (storage/stats.point_counts), and event rows are only ever added, so
the counts of days that have ended stay true until an event row is added with a time inside them (a
replayed old log) or a ticket moves to another community (a `moved` event). Each build reads the event
rows added since the last look (by id, from the primary key) and forgets what they make stale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from storage import stats
from storage._sql import as_utc_or_none
from storage.uow import UnitOfWork

Counts = dict[str, dict[str, int]]
E = stats.E


def events_since(uow: UnitOfWork, last_id: int) -> tuple[int, datetime | None, bool]:
    """(newest event id, earliest time among events after `last_id`, whether one moved a ticket)."""
    if last_id == 0:  # the first look: nothing remembered yet, so only where to start
        newest = uow.sql.run(select(func.max(E.id))).scalar_one()
        return int(newest or 0), None, False
    moved = func.max(case((E.action == "moved", 1), else_=0))
    newest, earliest, moved_any = uow.sql.run(select(func.max(E.id), func.min(E.at), moved).where(E.id > last_id)).one()
    return int(newest or last_id), as_utc_or_none(earliest), bool(moved_any)


def _add(total: Counts, more: Counts) -> Counts:
    out: Counts = defaultdict(dict)
    for source in (total, more):
        for who, reasons in source.items():
            for reason, n in reasons.items():
                out[who][reason] = out[who].get(reason, 0) + n
    return dict(out)


@dataclass
class PastPoints:
    """Per process (the web page keeps one): past days' counts per set of communities and period."""

    last_id: int = 0
    _past: dict[tuple[tuple[str, ...], datetime, datetime], Counts] = field(default_factory=dict)

    def counts(
        self, uow: UnitOfWork, communities: Sequence[str], start: datetime, day_start: datetime, end: datetime
    ) -> Counts:
        """Points for events in [start, end): [start, day_start) remembered, [day_start, end) counted now."""
        newest, earliest, moved = events_since(uow, self.last_id)
        if moved:
            self._past.clear()
        elif earliest is not None:
            self._past = {k: v for k, v in self._past.items() if k[2] <= earliest}
        self._past = {k: v for k, v in self._past.items() if k[2] == day_start}  # yesterday's keys: gone
        self.last_id = newest
        key = (tuple(sorted(communities)), start, day_start)
        if day_start <= start:
            return stats.point_counts(uow, list(communities), start, end)
        past = self._past.get(key)
        if past is None:
            past = self._past[key] = stats.point_counts(uow, list(communities), start, day_start)
        return _add(past, stats.point_counts(uow, list(communities), day_start, end))
