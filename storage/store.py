"""The store owns the engine and hands out units of work, one transaction each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import OperationalError

from storage._sql import ITEMS, LIKELY, OUTBOX, PENDING, STANDINS, TICKETS, as_utc
from storage.db import DatabaseError, is_postgres, make_engine
from storage.leases import Lease, new_owner
from storage.repos.state import META_VALUE
from storage.schema_version import at_head
from storage.states import OPEN_LIKELY, OutboxState
from storage.uow import UnitOfWork

NEXT_DUE = select(
    select(func.min(TICKETS.c.next_due_at)).scalar_subquery(),
    select(func.min(OUTBOX.c.not_before)).where(OUTBOX.c.state == OutboxState.PENDING).scalar_subquery(),
    select(func.min(PENDING.c.expires_at)).where(PENDING.c.kind == "rating").scalar_subquery(),
    # likely requests: the worker's next batch, and the lapse of an item nobody decided on
    select(func.min(LIKELY.c.notify_at)).scalar_subquery(),
    select(func.min(LIKELY.c.lapse_at)).where(LIKELY.c.state.in_(list(OPEN_LIKELY))).scalar_subquery(),
    # notices, sign-ups, polls (#20): a delivery report, a sign-up's next list post, a deadline
    select(func.min(ITEMS.c.report_at)).scalar_subquery(),
    select(func.min(ITEMS.c.list_at)).scalar_subquery(),
    select(func.min(ITEMS.c.deadline_at)).scalar_subquery(),
    # a /代班 period's end: the tickets go back then (an ended stand-in's row is dropped in that same turn)
    select(func.min(STANDINS.c.until)).scalar_subquery(),
)
# META_VALUE as the SQLite driver runs it (one positional parameter: the key)
_META_SQLITE = str(META_VALUE.compile(dialect=sqlite.dialect()))


def _next_due(candidates: Sequence[Any]) -> datetime | None:
    times = [as_utc(c) for c in candidates if c is not None]
    return min(times) if times else None


class Store:
    """Owns the engine; hands out transaction-bound units of work."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        """`create`: a new database gets the current schema; one at an older schema is refused."""
        self.url = url
        self.engine: Engine = make_engine(url)
        self.lease = Lease(self.engine, new_owner())
        self._postgres = is_postgres(self.engine)
        # turns of this process that wrote to the outbox and committed: the dispatcher skips its claim after a
        # message turn while this has not moved since a claim found nothing (bot/runtime/dispatcher.py)
        self.outbox_writes = 0
        self._reader: Any = None  # SQLite: the connection `meta` reads on (a DBAPI connection from the pool)
        if create:
            try:
                if not at_head(self.engine):  # the common case costs one read, not alembic's import
                    from storage.migrate import ensure_current

                    ensure_current(self.engine, url)
            except DatabaseError:
                self.engine.dispose()
                raise
            except OperationalError as exc:
                self.engine.dispose()
                raise DatabaseError(f"cannot reach the database: {exc.orig or exc}".strip()) from exc

    @property
    def is_postgres(self) -> bool:
        return self._postgres

    @contextmanager
    def begin(self) -> Iterator[UnitOfWork]:
        """One turn: commits when the block ends, rolls back whole when it raises."""
        # a bare Connection, not an ORM Session: the turn runs Core statements only, and the Session's
        # bookkeeping cost more than the statements themselves (bench/pipeline_replay.py)
        with self.engine.connect() as conn:
            uow = UnitOfWork(conn, self._postgres)
            try:
                yield uow
                conn.commit()
                if uow.outbox.wrote:
                    self.outbox_writes += 1
            except BaseException:
                conn.rollback()
                uow.rolled_back()
                raise

    def peek(self, stmt: Any, params: Mapping[str, Any] | None = None) -> list[Any]:
        """A read outside any turn (a version number, the next due time): a pooled connection, no session.
        What it returns may be stale a moment later; callers use it only to decide whether to look closer.

        PostgreSQL: in autocommit, one round trip, not the three of a transaction (BEGIN, the statement, the
        pool's ROLLBACK when the connection goes back; that ROLLBACK, through psycopg, also made it deallocate
        every statement it had prepared on the connection, which storage/db.py now prevents for every
        rollback)."""
        with self.engine.connect() as conn:
            if self._postgres:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            return list(conn.execute(stmt, params))

    def meta(self, key: str) -> str | None:
        """A meta value read outside any turn (the directory's version, before every message and tick).

        SQLite: on a connection of its own, kept for the purpose, through the driver alone (≈4 µs, not the
        ≈80 µs of a pooled checkout and a Core statement). Outside a transaction each read sees what was
        last committed, by this process or any other (WAL)."""
        if self._postgres:
            rows = self.peek(META_VALUE, {"key": key})
            return str(rows[0][0]) if rows else None
        if self._reader is None:
            self._reader = self.engine.raw_connection()
        cursor = self._reader.cursor()
        try:
            cursor.execute(_META_SQLITE, (key,))
            row = cursor.fetchone()
        finally:
            cursor.close()
        return str(row[0]) if row else None

    def next_due_time(self) -> datetime | None:
        """The earliest moment anything time-driven is due: a ticket timer, a held post, a rating window,
        a batch of likely requests or their lapse, a notice's delivery report, a sign-up's list post or deadline,
        a stand-in's end."""
        return _next_due(self.peek(NEXT_DUE)[0])

    def dispose(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self.lease.release()
        self.engine.dispose()
