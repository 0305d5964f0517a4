"""Waiting out a database that went away (a PostgreSQL restart, a failover, SQLite busy).

A turn that fails because the connection broke was rolled back whole, so doing it again is
safe: the message is stored or not, processed or not, never half. The bot logs one line when the
database goes away and one when it is back, and keeps every message meanwhile (the adapter's
callback simply waits).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger("gridbot.database")
T = TypeVar("T")

# a broken or refused connection, a deadlock or serialisation failure, "database is locked"
TRANSIENT: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


# SQLite reports a schema that does not match the code, and a statement it cannot compile, as an
# OperationalError too; waiting would hang the bot on it forever, so these surface at once
_SCHEMA_ERRORS = (
    "no such table",
    "no such column",
    "has no column named",
    "ambiguous column name",
    "syntax error",
    "misuse of aggregate",
)


def transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT) and not any(s in str(exc) for s in _SCHEMA_ERRORS)


def short(exc: BaseException) -> str:
    """A database error in one line for the log: the driver's message, not SQLAlchemy's wrapping."""
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:200]


class _Outage:
    since: float | None = None


async def wait_for_db(
    fn: Callable[[], Awaitable[T]], what: str, *, first_delay: float = 0.2, max_delay: float = 5.0
) -> T:
    """Await `fn()`; while the database is unreachable, wait with back-off and await it again."""
    delay = first_delay
    while True:
        try:
            result = await fn()
            if _Outage.since is not None:
                log.warning("database reachable again after %.1f s; carrying on", time.monotonic() - _Outage.since)
                _Outage.since = None
            return result
        except TRANSIENT as exc:
            if not transient(exc):
                raise
            if _Outage.since is None:
                _Outage.since = time.monotonic()
                log.warning("database unavailable during %s (%s); waiting and retrying", what, short(exc))
            else:
                log.debug("database still unavailable during %s: %s", what, short(exc))
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)
