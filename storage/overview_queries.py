"""The big screen's aggregates for one viewer's `Scope` (storage/web_queries.py), all counted in SQL:
the headline figures, open work per level, the overdue list, and per category, grid and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select

from storage import stats
from storage._sql import TICKETS
from storage.records import Ticket
from storage.uow import UnitOfWork
from storage.web_queries import ACTIVE, DONE, Scope, count_if, overdue_clause, scope_clause, tickets_of, unindexed

T = TICKETS.c


@dataclass(frozen=True)
class Headline:
    new_today: int
    new_week: int
    closed_today: int
    closed_week: int
    open: int
    overdue: int
    levels: dict[int, tuple[int, int]]  # level → (open, of them overdue)


def headline(uow: UnitOfWork, scope: Scope, now: datetime, day_start: datetime, week_start: datetime) -> Headline:
    """The big numbers: three small queries, each on its own index (created_at, resolved_at, state)."""
    where = scope_clause(scope)
    new_today, new_week = uow.sql.run(
        select(count_if(T.created_at >= day_start), func.count()).where(where, T.created_at >= week_start)
    ).one()
    closed_today, closed_week = uow.sql.run(
        select(count_if(T.resolved_at >= day_start), func.count()).where(
            where, T.resolved_at >= week_start, unindexed(T.state).in_(DONE)
        )
    ).one()
    levels = open_by_level(uow, scope, now)
    active, overdue = sum(n for n, _ in levels.values()), sum(late for _, late in levels.values())
    return Headline(int(new_today), int(new_week), int(closed_today), int(closed_week), active, overdue, levels)


def open_by_level(uow: UnitOfWork, scope: Scope, now: datetime) -> dict[int, tuple[int, int]]:
    """level → (open tickets, of them overdue)."""
    stmt = (
        select(T.level, func.count(), count_if(overdue_clause(now)))
        .where(scope_clause(scope), T.state.in_(ACTIVE))
        .group_by(T.level)
    )
    return {int(level): (int(n), int(late)) for level, n, late in uow.sql.run(stmt)}


def overdue_tickets(uow: UnitOfWork, scope: Scope, now: datetime, limit: int = 20) -> list[Ticket]:
    late_since = func.coalesce(T.deadline_at, T.overdue_at)
    stmt = select(TICKETS).where(scope_clause(scope), overdue_clause(now)).order_by(late_since.asc(), T.id).limit(limit)
    return tickets_of(uow.sql.run(stmt))


def per_category(uow: UnitOfWork, scope: Scope, since: datetime) -> list[tuple[str, int, int]]:
    """(category, reported since, of them still open), most reported first."""
    category = unindexed(T.category)
    stmt = (
        select(category, func.count(), count_if(T.state.in_(ACTIVE)))
        .where(scope_clause(scope), T.created_at >= since)
        .group_by(category)
        .order_by(func.count().desc(), category)
    )
    return [(str(c), int(n), int(o)) for c, n, o in uow.sql.run(stmt)]


@dataclass(frozen=True)
class GridFigures:
    grid_id: str
    open: int = 0  # active now
    overdue: int = 0  # of them, past a deadline
    resolved: int = 0  # 办结 in the window (storage/stats.py: the digests' definition)
    on_time: int = 0  # of them, without any deadline of the ladder passing
    rated: int = 0  # ratings given in the window
    satisfied: int = 0  # 满意 or 基本满意

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


def per_grid(uow: UnitOfWork, scope: Scope, since: datetime, now: datetime) -> dict[str, GridFigures]:
    """grid id → its figures, for every grid with open work, a closure or a rating in [since, now].

    Closures and ratings are counted by storage/stats.py, the same code the digests use; a grid with nothing
    to count is absent here, and the page lists it with zeros (web/overview.py)."""
    where = scope_clause(scope)
    end = now + timedelta(microseconds=1)  # [since, now] inclusive of what happened this very moment
    grid = unindexed(T.grid_id)
    open_stmt = (
        select(grid, func.count(), count_if(overdue_clause(now))).where(where, T.state.in_(ACTIVE)).group_by(grid)
    )
    found: dict[str, dict[str, int]] = {}
    for gid, n, late in uow.sql.run(open_stmt):
        found.setdefault(str(gid), {}).update(open=int(n), overdue=int(late))
    for gid, (n, on_time) in stats.closed_per_grid(uow, where, since, end).items():
        found.setdefault(gid, {}).update(resolved=n, on_time=on_time)
    for gid, (n, good) in stats.ratings_per_grid(uow, where, since, end).items():
        found.setdefault(gid, {}).update(rated=n, satisfied=good)
    return {gid: GridFigures(gid, **values) for gid, values in found.items()}


def _local_day(column: Any, offset: timedelta, postgres: bool) -> Any:
    """The calendar day of a UTC timestamp column in a fixed-offset zone, as 'YYYY-MM-DD' text."""
    seconds = int(offset.total_seconds())
    if postgres:
        shifted = column + func.make_interval(0, 0, 0, 0, 0, 0, literal(seconds))
        return func.to_char(shifted, "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, f"{seconds:+d} seconds")


def daily_new_closed(
    uow: UnitOfWork, scope: Scope, since: datetime, offset: timedelta
) -> tuple[dict[date, int], dict[date, int]]:
    """New and 办结 tickets per local day since `since` (the zone's UTC offset at `since`)."""
    new_day = _local_day(T.created_at, offset, uow.postgres)
    done_day = _local_day(T.resolved_at, offset, uow.postgres)
    new_stmt = select(new_day, func.count()).where(scope_clause(scope), T.created_at >= since).group_by(new_day)
    done_stmt = (
        select(done_day, func.count())
        .where(scope_clause(scope), unindexed(T.state).in_(DONE), T.resolved_at >= since)
        .group_by(done_day)
    )

    def read(stmt: Any) -> dict[date, int]:
        return {date.fromisoformat(str(d)): int(n) for d, n in uow.sql.run(stmt) if d}

    return read(new_stmt), read(done_stmt)
