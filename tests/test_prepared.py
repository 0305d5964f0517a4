"""The driver path for statements built once (storage/_prepared.py): on SQLite a registered statement runs
through the driver with SQLAlchemy's compiled form of it. What it stores, returns and raises is what
SQLAlchemy's own execution gives; a turn that ran nothing else still commits; tests' and benches'
cursor events still see it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import MetaData, bindparam, event, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, MultipleResultsFound, NoResultFound, OperationalError, StatementError

from bot.cli.main import main
from storage import _prepared, _sql, db
from storage._sql import MESSAGES, META, defaults, insert_returning_key, one_of, prepared
from storage.db import make_engine
from storage.repos.state import META_VALUE
from storage.store import Store
from storage.types import UTCDateTime
from tests.genlog import chat_log, district, write_log

AT = datetime(2026, 11, 23, 1, 2, 3, 456789, tzinfo=UTC)
ALL_META = prepared(select(META.c.key, META.c.value).order_by(META.c.key))
HOW_MANY = prepared(select(func.count()).select_from(META).where(META.c.key >= bindparam("from")))
STAMPS = prepared(select(MESSAGES.c.platform_id, MESSAGES.c.received_at, MESSAGES.c.mentions_bot))
PLAIN_INSERT = prepared(insert_returning_key(MESSAGES, False))  # no ON CONFLICT: a duplicate raises
EXPANDING = prepared(select(META.c.value).where(META.c.key.in_(bindparam("keys", expanding=True))))
SAME_NAME = prepared(select(func.count().label("n"), func.max(META.c.key).label("n")).select_from(META))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'gridbot.db'}")


def _by_driver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements that ran by plan from now on."""
    ran: list[str] = []
    real = _prepared.execute

    def counted(conn: Any, sql: str, args: Any, want_rows: bool, describe: bool = False) -> Any:
        ran.append(sql)
        return real(conn, sql, args, want_rows, describe)

    monkeypatch.setattr(_prepared, "execute", counted)
    return ran


def _message(platform_id: str) -> dict[str, Any]:
    values = {"platform_id": platform_id, "chat_id": "room", "chat_topic": "3栋", "sender_id": "wxid_a"}
    return {**defaults(MESSAGES), **values, "sender_name": "刘", "text": "楼道灯坏了", "received_at": AT}


def _meta(store: Store, *pairs: tuple[str, str]) -> None:
    with store.begin() as uow:
        for key, value in pairs:
            uow.sql.add(META, {"key": key, "value": value})


def test_the_results_are_sqlalchemys_from_the_second_run_on(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _meta(store, ("a", "1"), ("b", "2"), ("c", "3"))
    with store.begin() as uow:
        first = [tuple(r) for r in uow.sql.run(ALL_META)]  # through SQLAlchemy: the plan is made
        ran = _by_driver(monkeypatch)
        rows = uow.sql.run(ALL_META).all()
        assert ran, "the second run went through the driver"
        assert [tuple(r) for r in rows] == first == [("a", "1"), ("b", "2"), ("c", "3")]
        assert [(r.key, r.value) for r in rows] == first  # attribute access by the names SQLAlchemy gives
        assert uow.sql.run(ALL_META).first().key == "a"
        assert uow.sql.run(ALL_META).scalars().all() == ["a", "b", "c"]
        assert uow.sql.run(ALL_META).scalar() == "a"
        with pytest.raises(MultipleResultsFound):
            uow.sql.run(ALL_META).one()
        with pytest.raises(MultipleResultsFound):
            uow.sql.run(ALL_META).one_or_none()
        assert uow.sql.run(META_VALUE, {"key": "b"}).scalar_one() == "2"
        assert uow.sql.run(META_VALUE, {"key": "b"}).scalar_one() == "2"
        assert uow.sql.run(META_VALUE, {"key": "zz"}).scalar_one_or_none() is None
        assert uow.sql.run(META_VALUE, {"key": "zz"}).first() is None
        with pytest.raises(NoResultFound):
            uow.sql.run(META_VALUE, {"key": "zz"}).one()
        assert uow.sql.run(HOW_MANY, {"from": "b"}).scalar_one() == 2
        assert uow.sql.run(HOW_MANY, {"from": "b"}).scalar_one() == 2


def test_types_convert_both_ways_as_sqlalchemy_converts_them(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.begin() as uow:
        uow.sql.add(MESSAGES, {**_message("m1"), "mentions_bot": True})  # through SQLAlchemy
        ran = _by_driver(monkeypatch)
        uow.sql.add(MESSAGES, {**_message("m2"), "received_at": AT.astimezone(datetime.now().astimezone().tzinfo)})
        assert len(ran) == 1
        uow.sql.run(STAMPS)  # through SQLAlchemy: the plan is made
        rows = {r.platform_id: (r.received_at, r.mentions_bot) for r in uow.sql.run(STAMPS)}
        assert len(ran) == 2
    assert rows == {"m1": (AT, True), "m2": (AT, False)}  # aware UTC back, booleans as booleans
    assert rows["m1"][0].tzinfo is UTC
    raw = sqlite3.connect(store.engine.url.database)
    stored = raw.execute("SELECT received_at FROM messages ORDER BY id").fetchall()
    raw.close()
    assert stored == [("2026-11-23 01:02:03.456789",)] * 2  # the same text as SQLAlchemy writes


def test_the_fused_sqlite_datetime_conversions_are_sqlalchemys_chain() -> None:
    """storage/types.py's fused conversions for the driver path write the text SQLAlchemy's two would
    (UTCDateTime, then SQLite DATETIME) and read back the same aware UTC values, refusing what it refuses."""
    dialect = make_engine("sqlite://").dialect
    column = UTCDateTime()
    bind, result = column.driver_processors(dialect)  # type: ignore[misc]
    chained_bind = column.dialect_impl(dialect).bind_processor(dialect)
    chained_result = column.dialect_impl(dialect).result_processor(dialect, None)
    assert chained_bind is not None
    assert chained_result is not None
    east8 = timezone(timedelta(hours=8))
    values = [AT, AT.replace(microsecond=0), AT.astimezone(east8), datetime(1, 1, 1, tzinfo=UTC)]
    values += [datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(2026, 3, 1, 0, 0, tzinfo=east8)]
    for value in values:
        assert bind(value) == chained_bind(value)
        assert result(bind(value)) == chained_result(chained_bind(value)) == value
        assert result(bind(value)).tzinfo is UTC
    assert bind(None) is None
    assert result(None) is None
    for text_value in ("2026-11-23 01:02:03", "2026-11-23 01:02:03.5", "2026-11-23T01:02:03+08:00"):
        assert result(text_value) == chained_result(text_value)
    with pytest.raises(ValueError, match="naive"):
        bind(datetime(2026, 11, 23, 1, 2, 3))
    with pytest.raises(ValueError, match="naive"):
        chained_bind(datetime(2026, 11, 23, 1, 2, 3))
    assert column.driver_processors(postgresql.dialect()) is None  # psycopg converts datetimes itself


def test_a_turn_that_ran_only_the_driver_path_commits_and_one_that_fails_rolls_back(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLAlchemy's commit commits what only the driver ran (its transaction is begun first). On PostgreSQL
    a transaction's first statement goes out with psycopg's BEGIN in one round trip (pipeline mode, left
    at once): it still runs inside the transaction, its failure is SQLAlchemy's exception, and the
    connection serves the next turns."""
    opened: list[bool] = []  # a statement went out with psycopg's BEGIN (PostgreSQL)
    opens = _prepared._opens_transaction

    def recorded(raw: Any) -> bool:
        first = opens(raw)
        if first:
            opened.append(first)
        return first

    monkeypatch.setattr(_prepared, "_opens_transaction", recorded)
    store = Store(db_url)
    try:
        with store.begin() as uow:
            uow.sql.add(META, {"key": "warm", "value": "1"})  # the plan is made
        with store.begin() as uow:
            uow.sql.add(META, {"key": "first", "value": "1"})  # by plan, the turn's first and only statement

        def duplicate_first() -> None:
            with store.begin() as uow:  # (the statement `add` ran above: by plan, the first of its transaction)
                values = {**defaults(META), "key": "first", "value": "2"}  # as `add` runs it
                uow.sql.run(insert_returning_key(META, store.is_postgres, ""), values)

        def failing_after_first() -> None:
            with store.begin() as uow:
                uow.sql.add(META, {"key": "undone", "value": "1"})
                raise RuntimeError("the turn fails after its first statement")

        before = len(opened)
        with pytest.raises(IntegrityError):
            duplicate_first()
        assert len(opened) == before + store.is_postgres  # it did go out with the BEGIN
        with pytest.raises(RuntimeError):
            failing_after_first()
        for _ in range(3):  # the same connection, after each failure
            with store.begin() as uow:
                uow.sql.add(META, {"key": f"after{_}", "value": "1"}, conflict="key")
        with store.begin() as uow:
            keys = [row.key for row in uow.sql.run(ALL_META)]
        assert "undone" not in keys
        assert {"warm", "first", "after0", "after1", "after2"} <= set(keys)
        assert store.meta("first") == "1"
    finally:
        store.dispose()


def test_the_drivers_errors_are_sqlalchemys_exceptions(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.begin() as uow:
        uow.sql.run(PLAIN_INSERT, _message("dup0"))
    ran = _by_driver(monkeypatch)

    def twice() -> None:
        with store.begin() as uow:
            uow.sql.run(PLAIN_INSERT, _message("dup1"))
            uow.sql.run(PLAIN_INSERT, _message("dup1"))  # the unique platform id

    def impatient() -> None:
        with store.begin() as uow:
            uow.sql.run(text("PRAGMA busy_timeout=0"))
            uow.sql.run(PLAIN_INSERT, _message("locked"))

    with pytest.raises(IntegrityError):
        twice()
    assert len(ran) == 2
    # another process holds the write lock and this connection will not wait: "database is locked", as an
    # OperationalError (storage/retry.py waits and does the turn again on that)
    other = sqlite3.connect(store.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            impatient()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(ran) == 3


def test_cursor_events_see_the_driver_path(store: Store) -> None:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split())[:17])

    _meta(store, ("k", "v"))
    event.listen(store.engine, "before_cursor_execute", before)
    with store.begin() as uow:
        for _ in range(3):
            assert uow.sql.run(META_VALUE, {"key": "k"}).scalar_one() == "v"
        with uow.savepoint():
            pass
    assert seen == ["SELECT meta.value"] * 3 + ["BEGIN IMMEDIATE", "SAVEPOINT gb_sp_0", "RELEASE SAVEPOINT"]


def test_what_the_driver_path_cannot_run_goes_through_sqlalchemy(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _meta(store, ("a", "1"), ("b", "2"))
    ran = _by_driver(monkeypatch)
    with store.begin() as uow:
        for keys in (["a"], ["a", "b"], ["b"]):  # an expanding IN list: its SQL changes with its length
            assert sorted(uow.sql.run(EXPANDING, {"keys": keys}).scalars()) == [str(1 + "ab".index(k)) for k in keys]
            assert sorted(uow.sql.run(EXPANDING, {"keys": keys}).scalars()) == [str(1 + "ab".index(k)) for k in keys]
        for _ in range(2):  # two columns of one name: a namedtuple cannot hold them
            assert tuple(uow.sql.run(SAME_NAME).one()) == (2, "b")
        built_now = select(META.c.value).where(META.c.key == "a")  # not registered: never planned
        assert uow.sql.run(built_now).scalar_one() == "1"
        assert uow.sql.run(built_now).scalar_one() == "1"
    assert ran == []
    assert not any(key[1] == id(built_now) for key in _prepared._PLANS)


def _replay(url: str, sent: Path, config: Path, log: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    assert main(["replay", str(log), "--config", str(config), "--db", url, "--sent", str(sent)]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1]), sent.read_text(encoding="utf-8")


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in key order; a claim's owner (the process's own random id) left out."""
    engine = make_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as conn:
            out = {}
            for name, table in sorted(tables.tables.items()):
                columns = [c for c in table.c if not (name == "outbox" and c.name == "owner")]
                order = list(table.primary_key.columns) or columns
                out[name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*order))]
            return out
    finally:
        engine.dispose()


def test_a_replay_stores_and_sends_the_same_by_either_path(
    db_url: str,
    another_db_url: Callable[[], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = [db_url, another_db_url()]
    d = district(1, grids=3, groups_per_grid=2)
    config = d.write(tmp_path / "district.yaml")
    log = write_log(chat_log(d, 500, span=timedelta(hours=4)), tmp_path / "log.jsonl")
    ran = _by_driver(monkeypatch)
    fast, sent_fast = _replay(urls[0], tmp_path / "driver.jsonl", config, log, capsys)
    assert len(ran) > 1000  # most of the replay's statements
    monkeypatch.setattr(_sql, "is_prepared", lambda _stmt: False)
    slow, sent_slow = _replay(urls[1], tmp_path / "sqlalchemy.jsonl", config, log, capsys)
    assert fast == {**slow, "seconds": fast["seconds"]}
    assert fast["tickets"] > 10
    assert sent_fast == sent_slow  # every post, its text, mentions and simulated time
    dumped_fast, dumped_slow = _dump(urls[0]), _dump(urls[1])
    assert len(dumped_fast["events"]) > 50
    assert dumped_fast.keys() == dumped_slow.keys()
    for name, rows in dumped_slow.items():
        assert dumped_fast[name] == rows, name


def test_a_value_a_conversion_refuses_is_sqlalchemys_statement_error(store: Store) -> None:
    def naive() -> None:
        with store.begin() as uow:
            uow.sql.add(MESSAGES, {**_message("naive"), "received_at": AT.replace(tzinfo=None)})

    with store.begin() as uow:
        uow.sql.add(MESSAGES, _message("aware"))  # the plan is made
    with pytest.raises(StatementError, match="naive datetime"):
        naive()


def test_postgres_a_dropped_connection_invalidates_the_pool_so_the_next_turns_reconnect(
    pg_server: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a server restart every pooled connection is dead: the first turn that finds out fails (and is
    done again by storage/retry.py), the ones after it get new connections. The pool's other connections were
    checked in moments ago, so none of them is pinged first (storage/db.py)."""
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
    store = Store(pg_url)
    try:
        ran = _by_driver(monkeypatch)
        with store.begin() as uow:
            uow.state.meta("probe")  # the plan is made
        turns = [store.begin() for _ in range(3)]  # three connections in the pool
        for turn in turns:
            turn.__enter__().state.meta("probe")
        for turn in turns:
            turn.__exit__(None, None, None)
        assert ran, "META_VALUE ran by plan"
        with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as admin:
            # (the timeout: returns once each backend has exited, so the next statement finds it gone
            # however slow the machine)
            admin.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (make_url(pg_url).database,),
            )
        with pytest.raises(OperationalError) as dropped, store.begin() as uow:
            uow.state.meta("probe")
        assert dropped.value.connection_invalidated
        outcomes = []
        turns = [store.begin() for _ in range(3)]  # the dispatcher, the sweep and the page at once
        for turn in turns:
            outcomes.append(turn.__enter__().state.meta("probe"))
        for turn in turns:
            turn.__exit__(None, None, None)
        assert outcomes == [None, None, None]
    finally:
        store.dispose()


def test_one_of_an_empty_list_matches_nothing_as_in_does(store: Store) -> None:
    _meta(store, ("a", "1"))
    with store.begin() as uow:
        assert uow.sql.run(select(META.c.key).where(one_of(META.c.key, ()))).all() == []
        assert uow.sql.run(select(META.c.key).where(one_of(META.c.key, ("a", "b")))).scalars().all() == ["a"]
