"""The web page's reads: what one viewer may see (`Scope`), and the ticket list within it, counted in SQL.

A `Scope` is what one viewer may see: tickets of some communities (optionally only some grids of
them), plus whatever they hold themselves. Every query here and in storage/overview_queries.py takes
one, so no page can read past it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select

from storage._sql import LINKS, TICKETS
from storage.records import Ticket
from storage.repos.tickets import ticket_of
from storage.states import ACTIVE_STATES, FINAL_STATES, TicketState
from storage.uow import UnitOfWork

T, L = TICKETS.c, LINKS.c

ACTIVE = list(ACTIVE_STATES)
DONE = [TicketState.RESOLVED, TicketState.CLOSED]  # 办结: a result was given (rejections and merges are not counted)
# Open311's two states: a ticket waiting for its verifier (核查) is still open to the public
ACTIVE_TUPLE: tuple[TicketState, ...] = (*ACTIVE_STATES, TicketState.VERIFYING)
FINISHED_TUPLE: tuple[TicketState, ...] = (TicketState.RESOLVED, *FINAL_STATES)


@dataclass(frozen=True)
class Scope:
    community_ids: tuple[str, ...] = ()
    grid_ids: tuple[str, ...] | None = None  # None: every grid of those communities
    categories: tuple[str, ...] | None = None  # None: every category (a property company: what is routed to it)
    holder_id: str = ""  # tickets this person holds are always in reach


@dataclass(frozen=True)
class TicketFilter:
    states: tuple[TicketState, ...] = ()
    category: str = ""
    grid_id: str = ""
    holder_id: str = ""
    level: int | None = None
    overdue: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    updated_from: datetime | None = None
    text: str = ""
    ids: tuple[int, ...] = field(default_factory=tuple)
    not_categories: tuple[str, ...] = ()  # left out entirely (Open311 and the sensitive categories)


def unindexed(column: Any) -> Any:
    """The column's value, hidden from SQLite's planner (`col || ''`): without statistics it would rather walk
    an equality index (state, category) over most of the table than the narrow time range the query has."""
    return column.concat("")


def tickets_of(rows: Any) -> list[Ticket]:
    """Core rows of the tickets table as domain records (the same mapping uow.tickets uses)."""
    return [ticket_of(row) for row in rows]


def scope_clause(scope: Scope) -> ColumnElement[bool]:
    # `community_id || ''` keeps SQLite's planner off the community index (a street's communities are
    # nearly every row) and on the time or state index the rest of the query offers; the same for a
    # worker's grid: a month of the street read from a covering index beats a grid's years of rows
    community = unindexed(T.community_id)
    inside: ColumnElement[bool] = community.in_(list(scope.community_ids))
    if not scope.community_ids:
        inside = false()
    elif scope.grid_ids is not None:
        inside = and_(inside, unindexed(T.grid_id).in_(list(scope.grid_ids)))
    if scope.categories is not None:
        inside = and_(inside, T.category.in_(list(scope.categories)))
    if scope.holder_id:
        return or_(inside, T.holder_id == scope.holder_id)
    return inside


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Active and past its current deadline, or past the top level's deadline (the sweep clears deadline_at).
    A paused ticket (/挂起) is not late on a deadline its pause will move."""
    return and_(
        T.state.in_(ACTIVE),
        or_(
            and_(T.deadline_at < now, T.paused_at.is_(None)),
            and_(T.deadline_at.is_(None), T.overdue_at.is_not(None)),
        ),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filter_clauses(flt: TicketFilter, now: datetime) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if flt.states:
        out.append(T.state.in_(list(flt.states)))
    if flt.category:
        out.append(T.category == flt.category)
    if flt.not_categories:
        out.append(T.category.not_in(list(flt.not_categories)))
    if flt.grid_id:
        out.append(T.grid_id == flt.grid_id)
    if flt.holder_id:
        out.append(T.holder_id == flt.holder_id)
    if flt.level is not None:
        out.append(T.level == flt.level)
    if flt.overdue:
        out.append(overdue_clause(now))
    if flt.created_from is not None:
        out.append(T.created_at >= flt.created_from)
    if flt.created_to is not None:
        out.append(T.created_at < flt.created_to)
    if flt.updated_from is not None:
        out.append(T.updated_at >= flt.updated_from)
    if flt.ids:
        out.append(T.id.in_(list(flt.ids)))
    if flt.text:
        words = flt.text.strip()
        if words.startswith(("#", "＃")) and words[1:].isdigit():  # "#1024" is a ticket number, nothing else
            out.append(T.id == int(words[1:]))
            return out
        pattern = f"%{_escape_like(words)}%"
        text_match = or_(
            T.text.like(pattern, escape="\\"),
            T.result.like(pattern, escape="\\"),
            T.chat_topic.like(pattern, escape="\\"),
        )
        out.append(or_(T.id == int(words), text_match) if words.isdigit() else text_match)
    return out


def list_tickets(
    uow: UnitOfWork,
    scope: Scope,
    flt: TicketFilter,
    now: datetime,
    *,
    offset: int = 0,
    limit: int | None = 50,
    newest_first: bool = True,
) -> tuple[list[Ticket], int]:
    """One page of tickets in reach that match, and how many match in all."""
    where = [scope_clause(scope), *_filter_clauses(flt, now)]
    total = int(uow.sql.run(select(func.count()).select_from(TICKETS).where(*where)).scalar_one())
    order = T.id.desc() if newest_first else T.id.asc()
    stmt = select(TICKETS).where(*where).order_by(order).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return tickets_of(uow.sql.run(stmt)), total


def ticket_in_scope(uow: UnitOfWork, scope: Scope, ticket_id: int) -> Ticket | None:
    stmt = select(TICKETS).where(T.id == ticket_id, scope_clause(scope))
    found = tickets_of(uow.sql.run(stmt))
    return found[0] if found else None


def count_if(condition: ColumnElement[bool]) -> Any:
    """How many rows meet `condition` (0, not NULL, when none do)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def holders(uow: UnitOfWork, scope: Scope, states: Sequence[TicketState] = ACTIVE) -> list[tuple[str, int]]:
    """Who holds how many tickets in these states."""
    stmt = (
        select(T.holder_id, func.count())
        .where(scope_clause(scope), T.state.in_(list(states)))
        .group_by(T.holder_id)
        .order_by(func.count().desc())
    )
    return [(str(h), int(n)) for h, n in uow.sql.run(stmt)]


def reporter_names(uow: UnitOfWork, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    """Every reporter's name per ticket, in one query (for blanking names out of public texts)."""
    out: dict[int, list[str]] = {i: [] for i in ticket_ids}
    if ticket_ids:
        stmt = select(L.ticket_id, L.reporter_name).where(L.ticket_id.in_(list(ticket_ids)))
        for ticket_id, name in uow.sql.run(stmt):
            out.setdefault(int(ticket_id), []).append(str(name))
    return out
