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
class OpsFigures:
    messages_in: int  # messages stored (retention deletes old ones: a drop reads as a counter reset)
    tickets_opened: int
    outbox_pending: int  # waiting for their time, or being sent
    outbox_late: int  # pending past their time by more than the allowed lag: the outbox is stuck
    outbox_failed: int  # failed for good
    outbox_unknown: int  # may have gone out: staff were asked to check
    overdue_tickets: int
    last_message_at: datetime | None


def ops_figures(uow: UnitOfWork, now: datetime, *, late_after: timedelta) -> OpsFigures:
    def count(table: Any, *where: Any) -> Any:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    row = uow.sql.run(
        select(
            count(MESSAGES),
            count(TICKETS),
            count(OUTBOX, OB.state.in_([OutboxState.PENDING, OutboxState.SENDING])),
            count(OUTBOX, OB.state == OutboxState.PENDING, OB.not_before < now - late_after),
            count(OUTBOX, OB.state == OutboxState.FAILED),
            count(OUTBOX, OB.state == OutboxState.UNKNOWN),
            count(TICKETS, overdue_clause(now)),
            select(func.max(MESSAGES.c.received_at)).scalar_subquery(),
        )
    ).one()
    return OpsFigures(
        messages_in=int(row[0]),
        tickets_opened=int(row[1]),
        outbox_pending=int(row[2]),
        outbox_late=int(row[3]),
        outbox_failed=int(row[4]),
        outbox_unknown=int(row[5]),
        overdue_tickets=int(row[6]),
        last_message_at=as_utc(row[7]) if row[7] is not None else None,
    )


PING = select(1)


def database_answers(store: Store) -> bool:
    """One trivial query on a pooled connection: False when the database cannot be reached."""
    try:
        store.peek(PING)
    except (OperationalError, DBAPIError, DatabaseError, OSError):
        return False
    return True
