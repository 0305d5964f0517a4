"""Which bot process is alive: a PostgreSQL advisory lock held for the life of the process.

Each Store has an owner token (host:pid:random). The dispatcher stamps it on every outbox row it
marks `sending`; while the process lives, a dedicated connection holds a session-level advisory
lock derived from the token. A row left `sending` whose owner's lock can be taken belongs to a
dead process: that is the only send reported as uncertain. A process killed with -9 loses its
connection, and the server releases the lock at once. SQLite serves one process: every `sending`
row not stamped by this process is stranded.
"""

from __future__ import annotations

import logging
import os
import secrets
import select
import socket
import time
import zlib

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
_CLASS = 7310  # first key of the two-key advisory locks used for leases
# how long a lease connection that shows nothing on its socket is trusted without a round trip: the
# dispatcher holds the lease before every drain, and a `SELECT 1` and commit there was a round trip
# before every reply. A server that restarts or ends the session writes to the socket (or closes it),
# which is seen at once; only a connection gone silent (a network cut) waits for this check.
CHECK_SECONDS = 1.0


def new_owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _key(owner: str) -> int:
    return zlib.crc32(owner.encode()) - 2**31  # a signed int4


class Lease:
    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner
        self._conn: Connection | None = None
        self._checked = 0.0  # time.monotonic() of the last round trip that found the lock's connection alive

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def hold(self) -> None:
        """Take (or take again after a lost connection) this process's lock. No-op on SQLite."""
        if not self.postgres:
            return
        if self._conn is not None:
            if time.monotonic() - self._checked < CHECK_SECONDS and not self._stirred(self._conn):
                return
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                self._checked = time.monotonic()
                return
            except DBAPIError:
                log.warning("lease connection lost; taking the process lease again")
                self.release()
        conn = self.engine.connect()
        conn.execute(text("SELECT pg_advisory_lock(:c, :k)"), {"c": _CLASS, "k": _key(self.owner)})
        conn.commit()
        self._conn = conn
        self._checked = time.monotonic()

    @staticmethod
    def _stirred(conn: Connection) -> bool:
        """Whether the idle lease connection's socket has anything to read: nothing is asked on it between
        checks, so what arrives is the server ending the session (a restart, a terminated backend) or EOF."""
        try:
            fd = conn.connection.dbapi_connection.fileno()  # type: ignore[union-attr]
            readable, _, _ = select.select([fd], [], [], 0)
        except (OSError, ValueError, AttributeError):
            return True  # closed already, or no socket to look at: check with a round trip
        return bool(readable)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                pass
            self._conn = None

    def is_alive(self, conn: Connection, owner: str) -> bool:
        """Whether the process that stamped `owner` still runs (this one always does)."""
        if owner == self.owner:
            return True
        if not owner or not self.postgres:
            return False
        params = {"c": _CLASS, "k": _key(owner)}
        got = bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:c, :k)"), params).scalar())
        return not got  # taken by nobody: its owner is gone (the xact lock ends with this transaction)
