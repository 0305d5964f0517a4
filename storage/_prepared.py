"""Statements built once, run through the driver with SQLAlchemy's compiled form of them.

SQLAlchemy's execution of a prebuilt Core statement costs ≈35–50 µs on this machine beside the driver's
≈10–40 µs (an INSERT of a message: 94 µs against 44 µs; the processed mark's UPDATE: 46 against 11 µs):
it looks the compiled form up by the statement's cache key, builds the parameters, an execution context
and a result for every call. A message runs ≈7 statements, so that is ≈250 µs of it (#19).

A statement registered with `prepared` runs that way once, through SQLAlchemy, for each set of parameter
names it is given; what SQLAlchemy compiled then (the SQL text, the order of its parameters, each
parameter's and result column's type conversion, the result's column names) is kept, and from then on the
statement goes straight to the driver's cursor. What stays SQLAlchemy's: the connection, its transaction
(begun here if the turn had not begun it, so that the turn's commit commits what ran here), what a failed
statement raises and does (SQLAlchemy's own handler, `_failed` below: its exception classes, a dropped
connection's and the pool's invalidation), and the engine's cursor events (statement counts in tests and
benches). A result column's conversion is taken at the first run by plan, from the driver's type of the
column (as SQLAlchemy takes it).

A statement whose compiled form needs more than this (an expanding IN list, a parameter computed at run
time, a Python-side column default, a parameter style other than sqlite3's positional and psycopg's named
one) always runs through SQLAlchemy.

Only registered statements are kept (strongly, by identity): a statement built per call would compile
once per call here, where SQLAlchemy's own cache finds it by its structure.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any, NoReturn, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler

S = TypeVar("S", bound=Executable)

_REGISTERED: dict[int, Executable] = {}  # id → the statement (kept, so that its id is never reused)
# (dialect and server version, statement id, parameter names) → plan; None: runs through SQLAlchemy always
_PLANS: dict[tuple[Any, int, tuple[str, ...]], Plan | None] = {}


def prepared(stmt: S) -> S:
    """Register a statement built once (at import, or by a cached builder) for the driver path."""
    _REGISTERED[id(stmt)] = stmt
    return stmt


def is_prepared(stmt: Any) -> bool:
    return id(stmt) in _REGISTERED


class Plan:
    """One statement with one set of parameter names, as SQLAlchemy compiled it for this dialect."""

    __slots__ = ("binds", "converters", "names", "row", "sql", "types")

    def __init__(
        self,
        sql: str,
        names: Sequence[str] | None,
        binds: Sequence[tuple[str | None, Any, Callable[[Any], Any] | None]],
        keys: Sequence[str] | None,
        types: Sequence[Any],
    ) -> None:
        self.sql = sql
        self.names = tuple(names) if names is not None else None  # the driver's parameters by name (psycopg)
        # per parameter, in order: (the caller's name for it, or None for a value of the statement's own;
        # that value; its conversion)
        self.binds = tuple(binds)
        self.row = namedtuple("Row", keys) if keys is not None else None
        self.types = tuple(types)
        # from the first run's description; () for none to make
        self.converters: tuple[Callable[[Any], Any] | None, ...] | None = None

    @property
    def returns_rows(self) -> bool:
        return self.row is not None

    def arguments(self, params: Mapping[str, Any]) -> Any:
        out = []
        for key, value, convert in self.binds:
            if key is not None:
                value = params[key]
                if convert is not None:
                    value = convert(value)
            out.append(value)
        return out if self.names is None else dict(zip(self.names, out, strict=True))

    def rows(self, dialect: Any, description: Any, rows: list[Any]) -> list[Any]:
        """The driver's rows as SQLAlchemy would give them; `description` is read on the first run by plan
        only (psycopg builds it afresh at every access, ≈40 µs for a ticket's row)."""
        if self.converters is None:  # a conversion may depend on the driver's type of the column
            if len(description) != len(self.types):
                raise RuntimeError(
                    f"the driver returned {len(description)} columns where {len(self.types)} were compiled"
                )
            pairs = zip(self.types, description, strict=True)
            converters = tuple(_result_processor(t, dialect, d[1]) for t, d in pairs)
            self.converters = converters if any(c is not None for c in converters) else ()
        make = self.row._make  # type: ignore[union-attr]
        # (a row of another length than compiled: TypeError from the namedtuple, ValueError from zip)
        if not self.converters:
            return [make(r) for r in rows]
        converters = self.converters
        return [make([v if c is None else c(v) for c, v in zip(converters, r, strict=True)]) for r in rows]


def _fused(type_: Any, dialect: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
    """A type's own conversions for the driver path, both ways in one function each (storage/types.py)."""
    fused = getattr(type_, "driver_processors", None)
    return fused(dialect) if fused is not None else None


def _bind_processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """A parameter's conversion: the type's fused one, or SQLAlchemy's."""
    pair = _fused(type_, dialect)
    return pair[0] if pair is not None else type_.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(type_: Any, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
    """A result column's conversion: the type's fused one, or SQLAlchemy's."""
    pair = _fused(type_, dialect)
    return pair[1] if pair is not None else type_.dialect_impl(dialect).result_processor(dialect, coltype)


def plan_of(stmt: Any, keys: tuple[str, ...], conn: Connection, result: Any) -> Plan | None:
    """The plan for `stmt` run with parameters named `keys`, from SQLAlchemy's first run of it (`result`);
    None where the compiled form needs what the driver path does not do."""
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=sorted(keys))
    if not isinstance(compiled, SQLCompiler):
        return None
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.escaped_bind_names:
        return None
    if compiled.insert_prefetch or compiled.update_prefetch:
        return None
    by_name = {name: param for param, name in compiled.bind_names.items()}
    if compiled.positiontup is not None:
        order, names = list(compiled.positiontup), None
    elif dialect.paramstyle == "pyformat":
        order = names = list(by_name)
    else:
        return None
    binds: list[tuple[str | None, Any, Callable[[Any], Any] | None]] = []
    for name in order:
        param = by_name[name]
        if param.callable is not None:
            return None
        convert = _bind_processor(param.type, dialect)
        if param.key in keys:
            binds.append((param.key, None, convert))
        elif name in keys:
            binds.append((name, None, convert))
        elif param.required:
            return None  # SQLAlchemy's own run says which value is missing
        else:
            binds.append((None, convert(param.value) if convert is not None else param.value, None))
    if not result.returns_rows:
        return Plan(compiled.string, names, binds, None, [])
    # (a text() statement has no columns of its own: it stays SQLAlchemy's)
    columns, row_keys = list(getattr(stmt, "exported_columns", ())), list(result.keys())
    if len(columns) != len(row_keys) or len(set(row_keys)) != len(row_keys):
        return None
    if not all(k.isidentifier() and not k.startswith("_") for k in row_keys):
        return None
    return Plan(compiled.string, names, binds, row_keys, [c.type for c in columns])


def run(conn: Connection, stmt: Any, params: Mapping[str, Any] | None) -> Any:
    """Run a registered statement: the first time for its parameter names through SQLAlchemy, then by plan."""
    given = params if params is not None else {}
    dialect = conn.dialect
    key = ((dialect.name, dialect.server_version_info), id(stmt), tuple(given))
    try:
        plan = _PLANS[key]
    except KeyError:
        result = conn.execute(stmt, params)
        plan = plan_of(stmt, key[2], conn, result)
        _PLANS[key] = plan
        return result
    if plan is None:
        return conn.execute(stmt, params)
    try:
        args = plan.arguments(given)
    except Exception as exc:  # a value a conversion refuses (a naive datetime): StatementError, as SQLAlchemy says
        _failed(conn, exc, plan.sql, given, None)
    describe = plan.returns_rows and plan.converters is None
    description, rows, count = execute(conn, plan.sql, args, plan.returns_rows, describe)
    if not plan.returns_rows:
        return Result([], count)
    return Result(plan.rows(conn.dialect, description, rows), count)


def execute(
    conn: Connection, sql: str, args: Any, want_rows: bool, describe: bool = False
) -> tuple[Any, list[Any], int]:
    """One statement on the turn's connection through the driver: the rows' description (if asked), the
    rows (if asked) and the rowcount."""
    if not conn.in_transaction():
        conn.begin()  # so that the turn's commit is the driver's commit of what runs here
    events = _events(conn)
    cursor = None
    try:
        raw: Any = conn.connection.driver_connection
        cursor = raw.cursor()
        if events is not None and events.before_cursor_execute:
            events.before_cursor_execute(conn, cursor, sql, args, None, False)
        if _opens_transaction(raw):
            with raw.pipeline():  # psycopg's BEGIN and this statement in one round trip, not two
                cursor.execute(sql, args)
        else:
            cursor.execute(sql, args)
        rows = cursor.fetchall() if want_rows else []
        if events is not None and events.after_cursor_execute:
            events.after_cursor_execute(conn, cursor, sql, args, None, False)
        description, count = (cursor.description if describe else None), cursor.rowcount
    except BaseException as exc:
        _failed(conn, exc, sql, args, cursor)
    cursor.close()
    return description, rows, count


def _events(conn: Connection) -> Any:
    """The connection's cursor-event listeners, or None: SQLAlchemy's own test before it looks at them
    (≈2 µs a statement saved when there are none)."""
    return conn.dispatch if conn._has_events or conn.engine._has_events else None


def _opens_transaction(raw: Any) -> bool:
    """PostgreSQL: the next statement is the transaction's first. psycopg then sends its BEGIN on its own
    and waits for the answer before it sends the statement: a round trip of its own, one per transaction
    (a live reply has three: the message's store, its turn, the outbox claim). In pipeline mode the two go
    together, and leaving the mode (a Sync, which does not end a transaction begun with BEGIN) reads both
    answers. sqlite3's connection has no `pgconn`; a libpq older than 14 has no pipeline mode."""
    pgconn = getattr(raw, "pgconn", None)
    return pgconn is not None and pgconn.transaction_status == _IDLE and not raw.autocommit and _pipelines()


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE (not imported: a SQLite process never loads psycopg)


@cache
def _pipelines() -> bool:
    from psycopg import Pipeline

    return bool(Pipeline.is_supported())


def rollback_to(conn: Connection, name: str) -> None:
    """PostgreSQL: ROLLBACK TO SAVEPOINT through libpq, past psycopg's statement cache. psycopg takes the
    "ROLLBACK" that such a statement answers with for a transaction's rollback and deallocates every
    statement it prepared on the connection; a refused staff command rolls back to its savepoint, so each
    one would cost the turns after it their prepared statements. A turn runs no DDL, which is what that
    caution guards against."""
    sql = f"ROLLBACK TO SAVEPOINT {name}"
    events = _events(conn)
    raw: Any = conn.connection.driver_connection
    try:
        if events is not None and events.before_cursor_execute:
            events.before_cursor_execute(conn, None, sql, (), None, False)
        result = raw.pgconn.exec_(sql.encode())
        if result.status != _COMMAND_OK:
            from psycopg import errors

            raise errors.error_from_result(result, encoding=raw.info.encoding)
        if events is not None and events.after_cursor_execute:
            events.after_cursor_execute(conn, None, sql, (), None, False)
    except BaseException as exc:
        _failed(conn, exc, sql, (), None)


_COMMAND_OK = 1  # psycopg.pq.ExecStatus.COMMAND_OK


def _failed(conn: Connection, exc: BaseException, sql: str, args: Any, cursor: Any) -> NoReturn:
    """Raise what SQLAlchemy raises for this failure, having done what it does: its own handler (the one its
    execution of a statement on a bare cursor uses) maps the driver's error to SQLAlchemy's class (an
    IntegrityError, "database is locked" as an OperationalError, anything else as a StatementError),
    closes the cursor and, for a dropped connection, invalidates it and the pool's older connections, so
    that after a server restart the next checkouts reconnect instead of failing one by one. A private
    method: tests/test_prepared.py holds each of these to SQLAlchemy's own behaviour."""
    conn._handle_dbapi_exception(exc, sql, args, cursor, None)  # always raises
    raise exc  # (not reached)


class Result:
    """The rows of a statement run by plan, with the part of SQLAlchemy's Result the repositories use."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def all(self) -> list[Any]:
        return list(self.rows)

    fetchall = all

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        if len(self.rows) != 1:
            raise (NoResultFound if not self.rows else MultipleResultsFound)(
                "No row was found when one was required" if not self.rows else "Multiple rows were found"
            )
        return self.rows[0]

    def one_or_none(self) -> Any:
        if len(self.rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return row[0] if row is not None else None

    def scalars(self) -> Scalars:
        return Scalars([row[0] for row in self.rows])


class Scalars(list[Any]):
    """The first column of every row (`Result.scalars()`)."""

    def all(self) -> list[Any]:
        return list(self)

    def first(self) -> Any:
        return self[0] if self else None
