"""The process lease on PostgreSQL (storage/leases.py): held before every drain without a round trip each
time, and taken again at once when the server ended the session that held it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from storage import leases
from storage.db import make_engine
from storage.leases import Lease, new_owner

pytestmark = pytest.mark.postgres


def _holder(engine: Engine, owner: str) -> int | None:
    """The backend pid that holds `owner`'s advisory lock, if any."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = :c AND objid = (:k)::oid"
            ),
            {"c": leases._CLASS, "k": leases._key(owner) & 0xFFFFFFFF},
        ).first()
    return int(row[0]) if row else None


def test_the_lease_is_held_without_a_round_trip_at_every_drain_and_retaken_when_its_session_ends(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leases, "CHECK_SECONDS", 3600.0)  # only the socket says the session ended
    engine, other = make_engine(pg_url), make_engine(pg_url)
    asked: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        asked.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    owner = new_owner()
    lease = Lease(engine, owner)
    try:
        lease.hold()
        first = _holder(other, owner)
        assert first is not None
        asked.clear()
        for _ in range(20):
            lease.hold()  # a drain after every message
        assert asked == []
        with other.connect() as admin:  # the server ends the session (a restart does the same to every one)
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
        for _ in range(100):  # the terminating backend's message reaches the socket
            if lease._conn is None or Lease._stirred(lease._conn):
                break
            time.sleep(0.05)
        lease.hold()
        second = _holder(other, owner)
        assert second is not None
        assert second != first
    finally:
        lease.release()
        engine.dispose()
        other.dispose()
