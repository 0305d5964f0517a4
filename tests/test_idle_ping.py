"""PostgreSQL: a pooled connection is pinged only after it sat idle (storage/db.py); one whose server side
went away while it was idle is replaced before the caller sees it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from storage import db
from storage.db import make_engine

pytestmark = pytest.mark.postgres


def _pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        seen.append(dbapi_conn)
        return ping(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def test_a_connection_used_moments_ago_is_not_pinged_again(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
    engine = make_engine(pg_url)
    pings = _pings(engine, monkeypatch)
    try:
        for _ in range(5):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 2")).scalar_one() == 2
    finally:
        engine.dispose()
    assert pings == []  # the first was new, the four after it checked in a moment before


def test_an_idle_connection_whose_server_went_away_is_replaced_unseen(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(pg_url)
    pings = _pings(engine, monkeypatch)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # the server ends that backend while the connection waits in the pool (a restart, an idle cut)
        other = make_engine(pg_url)
        try:
            with other.connect() as admin:
                assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
        finally:
            other.dispose()
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # it has been idle long enough to be pinged
        with engine.connect() as conn:
            second = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()
    assert second != first
    assert len(pings) == 1  # the dead one was pinged, found dead and replaced; the new one was not pinged
