"""What every repository shares: the table handles, the turn's connection, row → record conversion,
UTC for aggregates, and the statements built once per table.

The statements are SQLAlchemy Core, built once (at import, or once per table and dialect here) and run
on the turn's connection: building an ORM statement and flushing a unit of work cost four to five times
the statement itself, paid on every message (bench/pipeline_replay.py). With no ORM objects in the
session there is no identity map to go stale between a read and a write.

Private to storage/: the repositories and the query modules (stats, web_queries) import it; nothing
outside the package does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import (
    Connection,
    String,
    Table,
    bindparam,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import Select
from sqlmodel import SQLModel

from storage import _prepared
from storage._prepared import is_prepared, prepared
from storage.tables import (
    AdminEventRow,
    BoardEntryRow,
    BoardGroupRow,
    BoardItemRow,
    DirectoryRow,
    EventRow,
    GroupRow,
    IdentityRow,
    LikelyRow,
    LinkRow,
    MessageRow,
    MetaRow,
    NoticeRow,
    OutboxRow,
    PendingRow,
    SpeakerRow,
    StandInRow,
    TicketRow,
)
from storage.types import UTCDateTime

R = TypeVar("R")


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


MESSAGES, TICKETS, OUTBOX = _table(MessageRow), _table(TicketRow), _table(OutboxRow)
EVENTS, LINKS, PENDING = _table(EventRow), _table(LinkRow), _table(PendingRow)
NOTICES, GROUPS, STANDINS, META = _table(NoticeRow), _table(GroupRow), _table(StandInRow), _table(MetaRow)
DIRECTORY, ADMIN_EVENTS, IDENTITIES = _table(DirectoryRow), _table(AdminEventRow), _table(IdentityRow)
LIKELY = _table(LikelyRow)
ITEMS, ITEM_GROUPS, ENTRIES = _table(BoardItemRow), _table(BoardGroupRow), _table(BoardEntryRow)
SPEAKER = _table(SpeakerRow)

# advisory lock classes (the first key of PostgreSQL's two-key locks); 7310 is the process lease (leases.py)
CHAT_LOCK = 7311
STAFFING_LOCK = 7312
BOARD_LOCK = 7313  # numbering a new notice / sign-up / poll
TWIN_LOCK = 7314  # one message's copies as two bot accounts store them (repos/messages.py)


# -- rows to records --------------------------------------------------------------------------


def to_record(cls: type[R], row: Any, **extra: Any) -> R:
    """A domain record from a row: every field of `cls` read from the row's column of that name,
    except those given in `extra` (a converted value, or a field the table names differently)."""
    values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in extra}  # type: ignore[arg-type]
    return cls(**values, **extra)


def as_utc(value: Any) -> datetime:
    """Aggregates (min/max) bypass the column type: make their result aware UTC like the columns."""
    converted = UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
    assert converted is not None
    return converted


def as_utc_or_none(value: Any) -> datetime | None:
    return as_utc(value) if value is not None else None


def rowcount(result: Any) -> int:
    """Rows a DELETE or UPDATE touched (0 where the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


# -- statements built once ------------------------------------------------------------------------


@cache
def defaults(table: Table) -> dict[str, Any]:
    """The model's field defaults (SQLModel keeps them on the model, not on the columns)."""
    model = next(m for m in SQLModel.__subclasses__() if getattr(m, "__table__", None) is table)
    out = {}
    for name, info in model.model_fields.items():
        if name == "id" or info.default is PydanticUndefined:
            continue
        out[name] = info.default
    return out


@cache
def insert_returning_key(table: Table, postgres: bool, conflict: str = "") -> Insert:
    """INSERT … RETURNING the key; with `conflict` (a unique column), a row that exists is left alone
    and nothing is returned (rowcount is not reliable for that on every driver)."""
    if conflict:
        stmt: Insert = (postgresql.insert if postgres else sqlite.insert)(table).on_conflict_do_nothing(
            index_elements=[conflict]
        )
    else:
        stmt = insert(table)
    return prepared(stmt.returning(*table.primary_key.columns))


@cache
def insert_returning_row(table: Table) -> Insert:
    """INSERT … RETURNING every column: the row as stored, without a read after it."""
    return prepared(insert(table).returning(*table.c))


@cache
def update_by_id(table: Table, returning: bool = False, bump_version: bool = False) -> Update:
    """UPDATE … WHERE id = :_id; the SET columns are the keys of the parameters it runs with."""
    stmt = update(table).where(table.c.id == bindparam("_id"))
    if bump_version:
        stmt = stmt.values(version=table.c.version + 1)
    return prepared(stmt.returning(*table.c) if returning else stmt)


@cache
def _advisory_lock(lock_class: int, keyed: bool) -> Any:
    """SELECT pg_advisory_xact_lock(class, hashtext(:key)) (or 0 for no key), built once per lock class: a
    chat's lock is taken in every turn on PostgreSQL, and a statement built per call never leaves
    SQLAlchemy's execution (storage/_prepared.py)."""
    second = func.hashtext(bindparam("key", type_=String)) if keyed else literal_column("0")
    return prepared(select(func.pg_advisory_xact_lock(literal_column(str(lock_class)), second).label("locked")))


@cache
def set_lock_timeout(timeout: str) -> Any:
    """SET LOCAL lock_timeout, built once per value (a constant of the code, checked here all the same)."""
    # ASCII digits, and never 0 (which PostgreSQL reads as no bound at all)
    if not re.fullmatch(r"[1-9][0-9]{0,5}(ms|s)", timeout):
        raise ValueError(f"not a lock timeout: {timeout!r}")
    return prepared(text(f"SET LOCAL lock_timeout = '{timeout}'"))


def one_of(column: Any, values: Sequence[Any]) -> Any:
    """`column` equal to one of a fixed list of values, written out (`a = ? OR a = ? …`): SQLAlchemy's
    `in_` is a list expanded when the statement runs, which the driver path (storage/_prepared.py) leaves
    to SQLAlchemy. For a statement built once per list (the lists are the code's own constants)."""
    return or_(false(), *(column == value for value in values))  # (an empty list matches nothing, as `in_`)


# -- the turn's connection --------------------------------------------------------------------------


class Sql:
    """The turn's connection and its dialect: every repository of one unit of work runs on this one."""

    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres
        self._depth = 0  # savepoints open now: each level its own name

    def connection(self) -> Connection:
        """The turn's connection (its transaction begins on first use)."""
        return self.conn

    def run(self, stmt: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> Any:
        if (params is None or isinstance(params, dict)) and is_prepared(stmt):
            return _prepared.run(self.conn, stmt, params)  # storage/_prepared.py: statements built once
        return self.conn.execute(stmt, params)

    def add(self, table: Table, values: Mapping[str, Any], *, conflict: str = "") -> Any:
        """Insert one row with the model's defaults filled in; its key (None: `conflict` kept an existing row)."""
        found = self.run(insert_returning_key(table, self.postgres, conflict), {**defaults(table), **values}).first()
        return found[0] if found is not None else None

    def add_row(self, table: Table, values: Mapping[str, Any]) -> Any:
        """Insert one row with the model's defaults filled in; the row as stored."""
        return self.run(insert_returning_row(table), {**defaults(table), **values}).one()

    def add_many(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """One executemany; rows may name different columns (a column a row leaves out is NULL)."""
        if rows:
            keys = list(dict.fromkeys(key for row in rows for key in row))
            self.run(insert(table), [{key: row.get(key) for key in keys} for row in rows])

    def for_update(self, stmt: Select[Any], *, lock: bool = True, skip_locked: bool = False) -> Select[Any]:
        """PostgreSQL: lock the rows read for this turn (SQLite serialises writers anyway)."""
        return stmt.with_for_update(skip_locked=skip_locked) if self.postgres and lock else stmt

    def advisory_lock(self, lock_class: int, key: str | None = None) -> None:
        """PostgreSQL: wait for a transaction-scoped lock on (class, key); no-op on SQLite (one process)."""
        if not self.postgres:
            return
        self.run(_advisory_lock(int(lock_class), key is not None), None if key is None else {"key": key})

    def _plain(self, sql: str) -> None:
        """A statement without parameters or rows (SAVEPOINT, RELEASE), through the driver."""
        _prepared.execute(self.conn, sql, (), False)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside undoes only what was written inside.

        SAVEPOINT and RELEASE run as plain statements through the driver (storage/_prepared.py):
        SQLAlchemy's `begin_nested` costs ≈70 µs of bookkeeping a pair on SQLite, ≈2 statements' worth, and a
        replay batch takes one a message. On PostgreSQL it is not released (below)."""
        name = f"gb_sp_{self._depth}"
        if not self.postgres and not self.conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            # Python's sqlite3 opens a transaction only right before a write. A SAVEPOINT outside one is a
            # transaction of its own, which its RELEASE commits: a command's writes would be committed
            # before its turn's answer and processed mark, a replay batch message by message. IMMEDIATE:
            # the write lock now, so that no other process's commit can come between this transaction's
            # reads and its first write (in WAL that write would fail, "database is locked", at once).
            self._plain("BEGIN IMMEDIATE")
        self._plain(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            # a dropped connection (invalidated by SQLAlchemy) has no transaction left to roll back to: the error
            # below is the one to see (a transient OperationalError: storage/retry.py does the turn again). A
            # savepoint that is gone otherwise (SQLite rolled the whole transaction back after an error) is
            # reported by ROLLBACK TO, never passed over: the caller must not carry on in a new transaction.
            if not self.conn.invalidated:
                if self.postgres:  # (past psycopg's statement cache: storage/_prepared.py)
                    _prepared.rollback_to(self.conn, name)
                else:
                    self._plain(f"ROLLBACK TO SAVEPOINT {name}")
                self._plain(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            # PostgreSQL: left open until the transaction ends, not released: a RELEASE is a round trip, one a
            # message in a replay batch, and an open savepoint costs the server nothing a released one does
            # not (its row locks and subtransaction id are kept to the commit either way). The next savepoint
            # at this depth takes the same name, and ROLLBACK TO goes to the newest of that name.
            if not self.postgres:
                self._plain(f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1
