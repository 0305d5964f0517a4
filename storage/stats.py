"""Aggregates for digests, points and rankings, computed in SQL (SQLite and PostgreSQL alike).

Everything is counted from ticket rows and event rows of one community; nothing is a stored
counter, so a figure can always be recomputed and traced back to the rows behind it.

On-time: a ticket closed in the period counts as on time unless its timeline shows a missed
deadline (an automatic escalation or an overdue notice), a rework (返工), or a resolution after
the deadline in force (`resolved` with `on_time: false`).

Outcomes: of the tickets closed in the period, how many were 部分解决 and 无法解决 (the rest 已解决); a
reopened ticket counts by the outcome of its latest 办结. Paused (挂起): tickets whose clock stood still at
any time in the period (paused or resumed in it, or paused at its end); a paused ticket is not overdue.

Satisfaction: of the ratings given in the period, the share that were 满意 or 基本满意; every rating counts,
so a 不满意 that reopened a ticket stays in the figure after a later 满意. The page (web/overview.py) and the
digests count closures and ratings with the same two functions, `closed_per_grid` and `ratings_per_grid`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select

from storage._sql import EVENTS, TICKETS, as_utc
from storage.states import ACTIVE_STATES, Outcome, TicketState
from storage.uow import UnitOfWork

# actions that mark a ticket late; `resolved` events carry their own on_time flag
LATE_ACTIONS = ("escalated", "overdue", "rework")
CLOSED_STATES = (TicketState.RESOLVED, TicketState.VERIFYING, TicketState.CLOSED)
NOT_COUNTED = (TicketState.MERGED, TicketState.CANCELLED)
# (reason, action, JSON fragment in the event's data or None): what a point is given for
POINT_REASONS: tuple[tuple[str, str, tuple[str, Any] | None], ...] = (
    ("resolved_on_time", "resolved", ("on_time", True)),
    ("resolved_late", "resolved", None),
    ("satisfied", "rated", ("rating", "satisfied")),
    ("basic", "rated", ("rating", "basic")),
    ("unsatisfied", "rated", ("rating", "unsatisfied")),
    ("reopened", "reopened", None),
    ("rework", "rework", None),
)
T, E = TICKETS.c, EVENTS.c
REASON_ORDER = tuple(reason for reason, _, _ in POINT_REASONS)


def _has(key: str, value: Any) -> ColumnElement[bool]:
    """The event's JSON data holds key: value (as `NewEvent.columns` wrote it)."""
    return E.data.like(f"%{json.dumps({key: value}, ensure_ascii=False)[1:-1]}%")


def _seconds(uow: UnitOfWork, later: Any, earlier: Any) -> ColumnElement[float]:
    if uow.postgres:
        return func.extract("epoch", later - earlier)  # type: ignore[return-value]
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


# -- points ---------------------------------------------------------------------------------


def point_counts(
    uow: UnitOfWork, community_id: str | Sequence[str], start: datetime | None, end: datetime
) -> dict[str, dict[str, int]]:
    """person id → reason → how many events earned it, for events in [start, end).

    A resolution is credited to whoever resolved; a rating, a reopening or a rework to whoever
    made the resolution before it (the latest `resolved` event of the same ticket).
    """
    ev = E
    earlier = EVENTS.alias("earlier").c
    resolver = (
        select(earlier.actor_id)
        .where(earlier.ticket_id == ev.ticket_id, earlier.action == "resolved", earlier.id < ev.id)
        .order_by(earlier.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    person = case((ev.action == "resolved", ev.actor_id), else_=resolver)
    whens = []
    for reason, action, flag in POINT_REASONS:
        cond = ev.action == action
        whens.append((and_(cond, _has(*flag)) if flag else cond, literal(reason)))
    reason_col = case(*whens, else_=literal(""))
    stmt = (
        select(person.label("person"), reason_col.label("reason"), func.count().label("n"))
        .select_from(EVENTS)
        .join(TICKETS, T.id == ev.ticket_id)
        .where(
            # `|| ''` hides the community from SQLite's planner: the events' (action, at, …) index is the one to walk;
            # PostgreSQL has statistics, and the hidden column's made-up selectivity misled it into probing the
            # events of every ticket of the community (bench/ladder_digest_1m.py, with migration 0007: 650 -> 66 ms)
            (T.community_id if uow.postgres else T.community_id.concat("")).in_(
                [community_id] if isinstance(community_id, str) else list(community_id)
            ),
            ev.action.in_(sorted({a for _, a, _ in POINT_REASONS})),
            ev.at < end,
        )
        .group_by(person, reason_col)
    )
    if start is not None:
        stmt = stmt.where(ev.at >= start)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for who, reason, n in uow.sql.run(stmt):
        if who and reason:
            out[str(who)][str(reason)] = int(n)
    return dict(out)


# -- digests --------------------------------------------------------------------------------


@dataclass
class GridFigures:
    grid_id: str
    open: int = 0
    overdue: int = 0
    closed: int = 0
    on_time: int = 0
    median_response_s: float | None = None
    median_resolution_s: float | None = None
    rated: int = 0
    satisfied: int = 0  # 满意 or 基本满意
    partial: int = 0  # of `closed`: 部分解决 (what was left goes on as its own ticket)
    unsolved: int = 0  # of `closed`: 无法解决
    paused: int = 0  # tickets paused (/挂起) at any time in the period
    referred: int = 0  # tickets handed to the 12345 hotline (/转12345) in the period


@dataclass
class OverdueTicket:
    ticket_id: int
    category: str
    grid_id: str
    holder_id: str
    level: int
    chat_topic: str
    text: str
    late_since: datetime


@dataclass
class DigestFigures:
    start: datetime
    end: datetime
    new: int = 0
    total: GridFigures = field(default_factory=lambda: GridFigures("*"))  # the community as a whole
    new_by_category: dict[str, int] = field(default_factory=dict)
    grids: dict[str, GridFigures] = field(default_factory=dict)
    overdue_list: list[OverdueTicket] = field(default_factory=list)
    overdue_by_holder: dict[tuple[int, str], int] = field(default_factory=dict)  # (level, holder) → count


def late_marker(ticket_id: Any) -> ColumnElement[bool]:
    """A timeout escalation, an overdue mark or a rework, or a resolution flagged late. Two probes of the
    (ticket, action) index: the first reads the index alone, only the second reads the resolution's data."""
    late_action = select(E.id).where(E.ticket_id == ticket_id, E.action.in_(LATE_ACTIONS)).exists()
    late_resolution = (
        select(E.id).where(E.ticket_id == ticket_id, E.action == "resolved", _has("on_time", False)).exists()
    )
    return or_(late_action, late_resolution)


def _overdue(end: datetime) -> ColumnElement[bool]:
    """An open ticket that has missed a deadline: at the top of the ladder, now, or on the way up."""
    escalated = exists().where(E.ticket_id == T.id, E.action.in_(("escalated", "overdue")))
    return or_(
        T.overdue_at.is_not(None),
        and_(T.deadline_at <= end, T.paused_at.is_(None)),  # a paused ticket's deadline moves when it resumes
        escalated,
    )


def _medians(uow: UnitOfWork, key: Any, seconds: Any, where: Sequence[ColumnElement[bool]]) -> dict[str, float]:
    """Median of `seconds` per `key`, with window functions (no median() in SQLite)."""
    inner = select(key.label("k"), seconds.label("s")).where(*where).subquery()
    ranked = select(
        inner.c.k,
        inner.c.s,
        func.row_number().over(partition_by=inner.c.k, order_by=inner.c.s).label("rn"),
        func.count().over(partition_by=inner.c.k).label("n"),
    ).subquery()
    stmt = (
        select(ranked.c.k, func.avg(ranked.c.s))
        .where(ranked.c.rn.between((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2))
        .group_by(ranked.c.k)
    )
    return {str(k): float(v) for k, v in uow.sql.run(stmt) if v is not None}


def closed_in_period(start: datetime, end: datetime) -> ColumnElement[bool]:
    """办结 in [start, end): a result was given (waiting for 核查 counts; a rejection or a merge does not)."""
    return and_(T.resolved_at >= start, T.resolved_at < end, T.state.in_(CLOSED_STATES))


def closed_per_grid(
    uow: UnitOfWork, tickets_in: ColumnElement[bool], start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """grid → (tickets closed in [start, end), of them on time), for the tickets `tickets_in` selects.

    The digests and the page both count with this, so their figures for one period agree."""
    late = late_marker(T.id)
    stmt = (
        select(T.grid_id, func.count(), func.sum(case((late, 1), else_=0)))
        .where(tickets_in, closed_in_period(start, end))
        .group_by(T.grid_id)
    )
    return {str(gid): (int(n), int(n) - int(n_late or 0)) for gid, n, n_late in uow.sql.run(stmt)}


def outcomes_per_grid(
    uow: UnitOfWork, tickets_in: ColumnElement[bool], start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """grid → (部分解决, 无法解决) among the tickets closed in [start, end) (`closed_per_grid`'s tickets)."""
    stmt = (
        select(
            T.grid_id,
            func.sum(case((T.outcome == Outcome.PARTIAL, 1), else_=0)),
            func.sum(case((T.outcome == Outcome.UNSOLVED, 1), else_=0)),
        )
        .where(tickets_in, closed_in_period(start, end), T.outcome.in_((Outcome.PARTIAL, Outcome.UNSOLVED)))
        .group_by(T.grid_id)
    )
    return {str(gid): (int(p or 0), int(u or 0)) for gid, p, u in uow.sql.run(stmt)}


def referred_per_grid(
    uow: UnitOfWork, tickets_in: ColumnElement[bool], start: datetime, end: datetime
) -> dict[str, int]:
    """grid → tickets handed to the 12345 hotline in [start, end)."""
    stmt = (
        select(T.grid_id, func.count())
        .where(tickets_in, T.state == TicketState.REFERRED, T.closed_at >= start, T.closed_at < end)
        .group_by(T.grid_id)
    )
    return {str(gid): int(n) for gid, n in uow.sql.run(stmt)}


def paused_per_grid(uow: UnitOfWork, tickets_in: ColumnElement[bool], start: datetime, end: datetime) -> dict[str, int]:
    """grid → tickets paused at any time in [start, end): paused or resumed in it, or still paused at `end`."""
    pause_event = (
        select(E.id).where(E.ticket_id == T.id, E.action.in_(("paused", "resumed")), E.at >= start, E.at < end).exists()
    )
    still_paused = and_(T.paused_at.is_not(None), T.paused_at < end)
    stmt = select(T.grid_id, func.count()).where(tickets_in, or_(pause_event, still_paused)).group_by(T.grid_id)
    return {str(gid): int(n) for gid, n in uow.sql.run(stmt)}


def ratings_per_grid(
    uow: UnitOfWork, tickets_in: ColumnElement[bool], start: datetime, end: datetime, key: Any = None
) -> dict[str, tuple[int, int]]:
    """grid → (ratings given in [start, end), of them 满意 or 基本满意), for the tickets `tickets_in` selects.

    Every rating a resident gave counts, also a 不满意 that reopened the ticket before a later 满意: a
    ticket's last rating alone would hide the dissatisfaction. The digests and the page both count with this."""
    good = or_(_has("rating", "satisfied"), _has("rating", "basic"))
    key = T.grid_id if key is None else key  # `key`: another grouping (the holder: per worker)
    stmt = (
        select(key, func.count(), func.sum(case((good, 1), else_=0)))
        .select_from(EVENTS)
        .join(TICKETS, T.id == E.ticket_id)
        .where(tickets_in, E.action == "rated", E.at >= start, E.at < end)
        .group_by(key)
    )
    return {str(gid): (int(n), int(n_good or 0)) for gid, n, n_good in uow.sql.run(stmt)}


# -- the three rates (响应率, 解决率, 满意率) --------------------------------------------------------


@dataclass
class Rates:
    """The counts behind 响应率, 解决率 and 满意率 of one community, grid or worker in a period."""

    due: int = 0  # tickets reported in the period whose first response was due by its end (or came)
    responded: int = 0  # of them, answered (接单 / 进展 / 办结) within the promise to the group
    closed: int = 0  # tickets 办结 in the period
    solved: int = 0  # of them, 已解决 (not 部分解决, not 无法解决)
    rated: int = 0  # ratings given in the period
    satisfied: int = 0  # of them, 满意 or 基本满意


def rates_per(
    uow: UnitOfWork, key: Any, tickets_in: ColumnElement[bool], start: datetime, end: datetime, promise: timedelta
) -> dict[str, Rates]:
    """key (T.grid_id, T.holder_id, or a literal for the whole) → the three rates' counts in [start, end)."""
    out: dict[str, Rates] = defaultdict(Rates)
    waited = _seconds(uow, T.first_response_at, T.created_at)
    in_time = and_(T.first_response_at.is_not(None), waited <= promise.total_seconds())
    due = or_(T.first_response_at.is_not(None), T.created_at <= end - promise)
    reported = and_(T.created_at >= start, T.created_at < end, T.state.not_in(NOT_COUNTED))
    for k, n, n_in_time in uow.sql.run(
        select(key, func.count(), func.sum(case((in_time, 1), else_=0))).where(tickets_in, reported, due).group_by(key)
    ):
        out[str(k)].due, out[str(k)].responded = int(n), int(n_in_time or 0)
    solved = T.outcome.in_((Outcome.SOLVED, ""))  # "" : resolved before outcomes were stated (migration 0010)
    for k, n, n_solved in uow.sql.run(
        select(key, func.count(), func.sum(case((solved, 1), else_=0)))
        .where(tickets_in, closed_in_period(start, end))
        .group_by(key)
    ):
        out[str(k)].closed, out[str(k)].solved = int(n), int(n_solved or 0)
    for k, (n_rated, n_good) in ratings_per_grid(uow, tickets_in, start, end, key).items():
        out[k].rated, out[k].satisfied = n_rated, n_good
    return dict(out)


@dataclass
class RateFigures:
    community: Rates
    grids: dict[str, Rates]
    workers: dict[str, Rates]  # by the ticket's holder: who 办结 it, or holds it now


def community_rates(
    uow: UnitOfWork, community_id: str, start: datetime, end: datetime, promise: timedelta
) -> RateFigures:
    """The three rates' counts of one community, per grid and per worker (the digests' and the page's)."""
    where = T.community_id == community_id
    whole = rates_per(uow, literal("*"), where, start, end, promise).get("*", Rates())
    return RateFigures(
        whole,
        rates_per(uow, T.grid_id, where, start, end, promise),
        rates_per(uow, T.holder_id, where, start, end, promise),
    )


def digest_figures(
    uow: UnitOfWork, community_id: str, start: datetime, end: datetime, *, overdue_limit: int = 10
) -> DigestFigures:
    t = T
    fig = DigestFigures(start=start, end=end)
    in_community = t.community_id == community_id
    created_in = and_(t.created_at >= start, t.created_at < end, t.state.not_in(NOT_COUNTED))
    closed_in = closed_in_period(start, end)
    # open work is found through (state, community_id); coalesce() keeps SQLite's planner from
    # preferring the (community_id, created_at) index, which would read every ticket ever made
    is_open = and_(t.state.in_(ACTIVE_STATES), func.coalesce(t.created_at, t.created_at) < end)

    def grid(gid: str) -> GridFigures:
        return fig.grids.setdefault(gid, GridFigures(gid))

    # new tickets per category
    for category, n in uow.sql.run(
        select(t.category, func.count()).where(in_community, created_in).group_by(t.category)
    ):
        fig.new_by_category[str(category)] = int(n)
    fig.new = sum(fig.new_by_category.values())
    # open and overdue, per grid
    overdue = _overdue(end)
    for gid, n_open, n_overdue in uow.sql.run(
        select(t.grid_id, func.count(), func.sum(case((overdue, 1), else_=0)))
        .where(in_community, is_open)
        .group_by(t.grid_id)
    ):
        grid(str(gid)).open, grid(str(gid)).overdue = int(n_open), int(n_overdue or 0)
    for gid, (n_closed, n_on_time) in closed_per_grid(uow, in_community, start, end).items():
        grid(gid).closed, grid(gid).on_time = n_closed, n_on_time
    for gid, (n_partial, n_unsolved) in outcomes_per_grid(uow, in_community, start, end).items():
        grid(gid).partial, grid(gid).unsolved = n_partial, n_unsolved
    for gid, n_paused in paused_per_grid(uow, in_community, start, end).items():
        grid(gid).paused = n_paused
    for gid, n_referred in referred_per_grid(uow, in_community, start, end).items():
        grid(gid).referred = n_referred
    for gid, (n_rated, n_good) in ratings_per_grid(uow, in_community, start, end).items():
        grid(gid).rated, grid(gid).satisfied = n_rated, n_good
    ev = E
    # medians: first response of tickets reported in the period, resolution of those closed in it
    response = _seconds(uow, t.first_response_at, t.created_at)
    resolution = _seconds(uow, t.resolved_at, t.created_at)
    has_response = [in_community, created_in, t.first_response_at.is_not(None)]
    for key, target in ((t.grid_id, None), (literal("*"), fig.total)):
        for gid, value in _medians(uow, key, response, has_response).items():
            (target or grid(gid)).median_response_s = value
        for gid, value in _medians(uow, key, resolution, [in_community, closed_in]).items():
            (target or grid(gid)).median_resolution_s = value
    for g in fig.grids.values():
        for name in (
            "open",
            "overdue",
            "closed",
            "on_time",
            "rated",
            "satisfied",
            "partial",
            "unsolved",
            "paused",
            "referred",
        ):
            setattr(fig.total, name, getattr(fig.total, name) + getattr(g, name))
    # the overdue list, most overdue first, and who holds overdue work
    # the earliest missed deadline, by event id through the (ticket_id, action) index (a min(at)
    # here would walk the (action, at) index over every escalation ever made)
    first_missed = (
        select(ev.at)
        .where(ev.ticket_id == t.id, ev.action.in_(("escalated", "overdue")))
        .order_by(ev.id)
        .limit(1)
        .scalar_subquery()
    )
    since = func.coalesce(first_missed, t.overdue_at, t.deadline_at)
    rows = uow.sql.run(
        select(t.id, t.category, t.grid_id, t.holder_id, t.level, t.chat_topic, t.text, since.label("since"))
        .where(in_community, is_open, overdue)
        .order_by(since, t.id)
        .limit(overdue_limit)
    )
    for tid, category, gid, holder, level, topic, text, late_since in rows:
        fig.overdue_list.append(
            OverdueTicket(
                int(tid), str(category), str(gid), str(holder), int(level), str(topic), str(text), as_utc(late_since)
            )
        )
    for level, holder, n in uow.sql.run(
        select(t.level, t.holder_id, func.count()).where(in_community, is_open, overdue).group_by(t.level, t.holder_id)
    ):
        fig.overdue_by_holder[(int(level), str(holder))] = int(n)
    return fig
