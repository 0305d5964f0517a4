"""Engines and schema. SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import SQLModel

from storage import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The database URL is unusable or the server cannot be reached."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the web page read while the bot writes; NORMAL sync is safe with WAL
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def backend(url: str) -> str:
    """ "sqlite" or "postgresql"; DatabaseError (one line) for anything else, before any connection is tried."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception as exc:  # sqlalchemy raises ArgumentError for junk
        hint = f" (a SQLite file is sqlite:///{url})" if "://" not in url else ""
        raise DatabaseError(f"not a database URL: {url!r}{hint}") from exc
    name = parsed.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {name!r}: use sqlite:/// or postgresql://")
    return name


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if backend(url) == "sqlite":
        parsed = make_url(url)
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if database in ("", ":memory:"):
            from sqlalchemy.pool import StaticPool

            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # no JIT: compiling a digest's aggregate took longer than running it (≈90 ms of a 375 ms statement at
    # 1,000,000 tickets, bench/ladder_digest_1m.py); the bot's statements are short
    # LIFO: the connection checked in last is used next, so a bot's few transactions a message run on one
    # warm connection and the others age in the pool (pinged when they are used again, below)
    engine = create_engine(url, pool_size=5, max_overflow=5, pool_use_lifo=True, connect_args={"options": "-c jit=off"})
    _ping_when_idle(engine)
    engine.dialect.do_rollback = _rollback_keeping_statements  # type: ignore[method-assign,assignment]
    return engine


_IN_TRANSACTION = (2, 3)  # psycopg.pq.TransactionStatus.INTRANS, INERROR (a SQLite process never loads psycopg)


def _rollback_keeping_statements(dbapi_conn: Any) -> None:
    """Every rollback of a PostgreSQL engine (a turn that raised, a page's 404, the pool's reset of a
    connection it gets back): the ROLLBACK through libpq first, then psycopg's own, which then finds no
    transaction. psycopg deallocates every statement it prepared on a connection after a ROLLBACK of its
    own (a caution against DDL rolled back, which no turn runs), so the turns after each one planned their
    statements afresh (pg_stat_statements: a plan every fifth run). Whatever goes wrong in the first is
    left to the second."""
    with contextlib.suppress(Exception):
        pgconn = dbapi_conn.pgconn
        if pgconn.transaction_status in _IN_TRANSACTION:
            pgconn.exec_(b"ROLLBACK")
    dbapi_conn.rollback()


# A pooled PostgreSQL connection that sat idle longer than this is pinged before it is used (the server
# restarted, a firewall cut an idle connection). SQLAlchemy's pool_pre_ping pinged before every checkout:
# a round trip before each of a message's three or four transactions, ≈0.2 ms each on a local server. A
# connection checked in moments ago is used as it is; should the server have gone in that moment, the
# first statement fails as a disconnect, the pool is emptied and the turn is done again (storage/retry.py).
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    def checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # (a record's info is emptied with its connection: a new connection has no `idle_since`, no ping)
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the driver's own errors: the pool replaces the connection and tries again
            raise DisconnectionError(f"an idle connection no longer answers: {exc}") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checkout)


def create_schema(engine: Engine) -> None:
    """Create the tables that do not exist yet (a new database starts at the current schema)."""
    SQLModel.metadata.create_all(engine)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
