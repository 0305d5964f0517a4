"""The figures operations watch (`/metrics`, the alerts): counts the database answers in one round trip.

Reads only: what came in, what was opened, what the outbox holds and how long it has held it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from storage._sql import MESSAGES, OUTBOX, TICKETS, as_utc
from storage.db import DatabaseError
from storage.states import OutboxState
from storage.store import Store
from storage.uow import UnitOfWork
from storage.web_queries import overdue_clause

OB = OUTBOX.c


@dataclass(frozen=True)
class OutboxFigures:
    pending: int  # waiting for their time, or being sent
    late: int  # pending past their time by more than the allowed lag: the outbox is stuck
    failed: int  # failed for good
    unknown: int  # may have gone out: staff were asked to check


@dataclass(frozen=True)
class OpsFigures:
    messages_in: int  # messages stored (retention deletes old ones: a drop reads as a counter reset)
    tickets_opened: int
    outbox: OutboxFigures
    overdue_tickets: int
    last_message_at: datetime | None


def _count(table: Any, *where: Any) -> Any:
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


def _outbox_counts(now: datetime, late_after: timedelta) -> list[Any]:
    return [
        _count(OUTBOX, OB.state.in_([OutboxState.PENDING, OutboxState.SENDING])),
        _count(OUTBOX, OB.state == OutboxState.PENDING, OB.not_before < now - late_after),
        _count(OUTBOX, OB.state == OutboxState.FAILED),
        _count(OUTBOX, OB.state == OutboxState.UNKNOWN),
    ]


def outbox_figures(uow: UnitOfWork, now: datetime, *, late_after: timedelta) -> OutboxFigures:
    """The outbox alone (the alerts' check at every tick: on the state index, never the large tables)."""
    row = uow.sql.run(select(*_outbox_counts(now, late_after))).one()
    return OutboxFigures(*(int(v) for v in row))


def ops_figures(uow: UnitOfWork, now: datetime, *, late_after: timedelta) -> OpsFigures:
    row = uow.sql.run(
        select(
            _count(MESSAGES),
            _count(TICKETS),
            _count(TICKETS, overdue_clause(now)),
            select(func.max(MESSAGES.c.received_at)).scalar_subquery(),
            *_outbox_counts(now, late_after),
        )
    ).one()
    return OpsFigures(
        messages_in=int(row[0]),
        tickets_opened=int(row[1]),
        overdue_tickets=int(row[2]),
        last_message_at=as_utc(row[3]) if row[3] is not None else None,
        outbox=OutboxFigures(*(int(v) for v in row[4:])),
    )


PING = select(1)


def database_answers(store: Store) -> bool:
    """One trivial query on a pooled connection: False when the database cannot be reached."""
    try:
        store.peek(PING)
    except (OperationalError, DBAPIError, DatabaseError, OSError):
        return False
    return True
