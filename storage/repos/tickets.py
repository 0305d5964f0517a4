"""Tickets, with the people who reported each one and its timeline (the ticket's aggregate).

Every change bumps the row's `version`; the timeline's event rows are only ever added, so a
ticket's history and the audit log are the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update

from storage._sql import EVENTS, LINKS, TICKETS, Sql, one_of, prepared, to_record, update_by_id
from storage.records import Event, Reporter, Ticket
from storage.states import HELD_STATES, ReporterKind, TicketState
from storage.writes import NewEvent, NewReporter, NewTicket, TicketImport, TicketUpdate, columns

T, E, L = TICKETS.c, EVENTS.c, LINKS.c
BY_ID = prepared(select(TICKETS).where(T.id == bindparam("id")))
DUE = prepared(
    select(TICKETS).where(T.id == bindparam("id"), T.next_due_at.is_not(None), T.next_due_at <= bindparam("now"))
)
DUE_IDS = prepared(
    select(T.id)
    .where(T.next_due_at.is_not(None), T.next_due_at <= bindparam("now"))
    .order_by(T.next_due_at)
    .limit(bindparam("limit"))
)
# whether one person, or one chat, is among a ticket's reporters: one indexed probe, not the list (a ticket
# a whole building reported has a hundred rows, and a join asks at every report)
HAS_REPORTER = prepared(
    select(LINKS.c.id).where(L.reporter_id == bindparam("reporter"), L.ticket_id == bindparam("id")).limit(1)
)
REPORTED_IN = prepared(
    select(LINKS.c.id).where(L.ticket_id == bindparam("id"), L.chat_id == bindparam("chat")).limit(1)
)


@cache
def _in_chat(states: tuple[TicketState, ...]) -> Select[Any]:
    """A group's tickets of one category opened since a time, by number, in the states given: read at every
    report that might join one (handlers/resident/joining.py); built once for each list of states."""
    return prepared(
        select(TICKETS)
        .where(
            one_of(T.state, states),
            T.chat_id == bindparam("chat"),
            T.category == bindparam("category"),
            T.created_at >= bindparam("since"),
        )
        .order_by(T.id)
    )


FIXED = ("id", "version")  # the key, and the count of changes the update keeps by itself


def ticket_of(row: Any) -> Ticket:
    return to_record(Ticket, row, state=TicketState(row.state))


class Tickets:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    # -- tickets ------------------------------------------------------------------------------

    def add(self, new: NewTicket) -> Ticket:
        return ticket_of(self.sql.add_row(TICKETS, columns(new)))

    def add_many(self, rows: Sequence[TicketImport]) -> None:
        """Bulk insert (imports, benchmarks): one executemany, no per-row round trips."""
        self.sql.add_many(TICKETS, rows)

    def get(self, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        """One ticket; with `lock`, its row is held for this turn (PostgreSQL) so two turns never both change it."""
        row = self.sql.run(self.sql.for_update(BY_ID, lock=lock), {"id": ticket_id}).first()
        return ticket_of(row) if row else None

    def update(self, ticket_id: int, changes: TicketUpdate) -> Ticket:
        """Set the columns `changes` names; the row as stored afterwards (KeyError: no such ticket)."""
        unknown = [key for key in changes if key not in T or key in FIXED]
        if unknown:  # mypy catches these in our code; a caller outside it gets the same answer it always did
            raise AttributeError(f"tickets has no column {unknown[0]!r}")
        stmt = update_by_id(TICKETS, returning=True, bump_version=True)
        row = self.sql.run(stmt, {"_id": ticket_id, **changes}).first()
        if row is None:
            raise KeyError(ticket_id)
        return ticket_of(row)

    def find(
        self,
        *,
        states: Sequence[TicketState] | None = None,
        holder_id: str | None = None,
        grid_ids: Sequence[str] | None = None,
        community_id: str | None = None,
        chat_id: str | None = None,
        category: str | None = None,
        since: datetime | None = None,
        order_by_deadline: bool = False,
        limit: int | None = None,
    ) -> list[Ticket]:
        """Tickets matching every filter given, by number (or earliest deadline first)."""
        stmt = select(TICKETS)
        if states is not None:
            stmt = stmt.where(T.state.in_(list(states)))
        if holder_id is not None:
            stmt = stmt.where(T.holder_id == holder_id)
        if grid_ids is not None:
            stmt = stmt.where(T.grid_id.in_(list(grid_ids)))
        if community_id is not None:
            stmt = stmt.where(T.community_id == community_id)
        if chat_id is not None:
            stmt = stmt.where(T.chat_id == chat_id)
        if category is not None:
            stmt = stmt.where(T.category == category)
        if since is not None:
            stmt = stmt.where(T.created_at >= since)
        stmt = stmt.order_by(T.deadline_at.asc(), T.id) if order_by_deadline else stmt.order_by(T.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [ticket_of(t) for t in self.sql.run(stmt)]

    def in_chat(self, chat_id: str, category: str, *, states: Sequence[TicketState], since: datetime) -> list[Ticket]:
        """`find(states=…, chat_id=…, category=…, since=…)` as one prebuilt statement."""
        params = {"chat": chat_id, "category": category, "since": since}
        return [ticket_of(t) for t in self.sql.run(_in_chat(tuple(states)), params)]

    def reported_by(
        self, reporter_id: str, *, states: Sequence[TicketState], chat_id: str | None = None, limit: int = 3
    ) -> list[Ticket]:
        """Tickets this person reported (first, joined or merged in), in `chat_id` if given; newest first."""
        mine = select(L.ticket_id).where(L.reporter_id == reporter_id)
        if chat_id is not None:
            mine = mine.where(L.chat_id == chat_id)
        stmt = select(TICKETS).where(T.id.in_(mine), T.state.in_(list(states))).order_by(T.id.desc()).limit(limit)
        return [ticket_of(t) for t in self.sql.run(stmt)]

    def count_held_by(self, person_id: str) -> int:
        """Tickets still waiting on this person (before they can be removed from the directory)."""
        stmt = select(func.count()).where(T.holder_id == person_id, T.state.in_(HELD_STATES))
        return int(self.sql.run(stmt).scalar_one())

    def due_ids(self, now: datetime, limit: int = 500) -> list[int]:
        """Ids of tickets with something due, earliest first."""
        return [int(i) for i in self.sql.run(DUE_IDS, {"now": now, "limit": limit}).scalars() if i is not None]

    def lock_due(self, ticket_id: int, now: datetime) -> Ticket | None:
        """Lock one due ticket for this turn; None if it is no longer due or another process holds it."""
        row = self.sql.run(self.sql.for_update(DUE, skip_locked=True), {"id": ticket_id, "now": now}).first()
        return ticket_of(row) if row else None

    # -- reporters (origin, joined duplicates, merged tickets) ------------------------------------

    def add_reporter(self, new: NewReporter) -> None:
        self.sql.add(LINKS, columns(new))

    def reporters(self, ticket_id: int) -> list[Reporter]:
        stmt = select(LINKS).where(L.ticket_id == ticket_id).order_by(L.id)
        return [to_record(Reporter, row, kind=ReporterKind(row.kind)) for row in self.sql.run(stmt)]

    def has_reporter(self, ticket_id: int, reporter_id: str) -> bool:
        return self.sql.run(HAS_REPORTER, {"id": ticket_id, "reporter": reporter_id}).first() is not None

    def reported_in(self, ticket_id: int, chat_id: str) -> bool:
        """Some reporter of the ticket wrote from `chat_id` (a group's commands answer there, not in private)."""
        return self.sql.run(REPORTED_IN, {"id": ticket_id, "chat": chat_id}).first() is not None

    def move_reporters(self, from_ticket: int, to_ticket: int) -> None:
        """合并: the reporters of `from_ticket` become reporters of `to_ticket`."""
        self.sql.run(
            update(LINKS).where(L.ticket_id == from_ticket).values(ticket_id=to_ticket, kind=ReporterKind.MERGED)
        )

    def remove_reporter(self, ticket_id: int, reporter_id: str) -> None:
        """不是同一件事: a joined reporter leaves the ticket (the first reporter never does)."""
        self.sql.run(
            LINKS.delete().where(L.ticket_id == ticket_id, L.reporter_id == reporter_id, L.kind == ReporterKind.JOINED)
        )

    # -- the timeline -----------------------------------------------------------------------------

    def add_event(self, new: NewEvent) -> None:
        self.sql.add(EVENTS, new.columns())

    def add_events(self, rows: Sequence[NewEvent]) -> None:
        """Bulk insert of timeline rows (imports, benchmarks): one executemany."""
        self.sql.add_many(EVENTS, [row.columns() for row in rows])

    def events(self, ticket_id: int) -> list[Event]:
        stmt = select(EVENTS).where(E.ticket_id == ticket_id).order_by(E.id)
        return [to_record(Event, row) for row in self.sql.run(stmt)]

    def corrections(self) -> list[tuple[str, str]]:
        """(text, category) pairs staff taught the classifier with /改类 and /补单."""
        stmt = select(E.data).where(E.action.in_(["recategorized", "missed"])).order_by(E.id)
        out = []
        for raw in self.sql.run(stmt).scalars():
            data = json.loads(raw or "{}")
            if data.get("text") and data.get("category"):
                out.append((str(data["text"]), str(data["category"])))
        return out
