"""Savepoints (storage/_sql.py): what a turn writes inside one commits with the turn, not before it; a
savepoint that cannot be rolled back to says why.

SQLite: Python's sqlite3 module opens a transaction only right before an INSERT, UPDATE or DELETE, so a
SAVEPOINT issued before any write opened a transaction of its own, which its RELEASE committed: a
staff command's writes were committed before its answer and its message's processed mark, a replay
batch message by message. storage/_sql.py begins the transaction before such a savepoint; the tests
of that fail without it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.core.settings import Settings
from handlers.commands import registry
from storage.repos.messages import Messages
from storage.store import Store
from tests.chat import Chat
from tests.conftest import _chat

GROUP = "room_tiancheng_3"
DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"


def _count(db: Path, query: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'gridbot.db'}")


def test_a_released_savepoint_is_committed_with_its_transaction_not_before(store: Store, tmp_path: Path) -> None:
    db = tmp_path / "gridbot.db"
    with store.begin() as uow:
        with uow.savepoint():  # the transaction's first statement
            uow.sql.run(text("INSERT INTO meta (key, value) VALUES ('probe', '1')"))
        assert _count(db, "SELECT count(*) FROM meta WHERE key = 'probe'") == 0  # another connection sees nothing
    assert _count(db, "SELECT count(*) FROM meta WHERE key = 'probe'") == 1


def test_a_turn_rolled_back_after_a_released_savepoint_undoes_it(store: Store, tmp_path: Path) -> None:
    def turn() -> None:
        with store.begin() as uow:
            with uow.savepoint():
                uow.sql.run(text("INSERT INTO meta (key, value) VALUES ('probe', '1')"))
            raise RuntimeError("the turn fails after its savepoint")

    with pytest.raises(RuntimeError):
        turn()
    assert _count(tmp_path / "gridbot.db", "SELECT count(*) FROM meta WHERE key = 'probe'") == 0


def test_a_turn_that_read_writes_after_another_process_committed(store: Store, tmp_path: Path) -> None:
    # what the web page (another process) commits between a turn's reads and its first write does not make
    # that write fail: the turn's transaction begins at the write (or at a savepoint, taking the write lock)
    url = f"sqlite:///{tmp_path / 'gridbot.db'}"
    other = Store(url)
    try:
        with store.begin() as uow:
            uow.sql.run(text("SELECT count(*) FROM meta")).scalar_one()
            with other.begin() as page:
                page.sql.run(text("INSERT INTO meta (key, value) VALUES ('page', '1')"))
            with uow.savepoint():
                uow.sql.run(text("INSERT INTO meta (key, value) VALUES ('turn', '1')"))
    finally:
        other.dispose()
    assert _count(tmp_path / "gridbot.db", "SELECT count(*) FROM meta WHERE key IN ('page', 'turn')") == 2


class _Killed(BaseException):
    """The process dies (kill -9, power cut) between a command's handler and its turn's commit."""


@pytest.fixture
async def chat(settings: Settings, tmp_path: Path) -> AsyncIterator[Chat]:
    async for c in _chat(settings, f"sqlite:///{tmp_path / 'chat.db'}"):
        yield c


async def test_a_command_and_its_message_commit_together(
    chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "chat.db"
    await chat.say("周阿姨", DOG)
    events = "SELECT count(*) FROM events WHERE ticket_id = 1 AND action = 'progress'"
    assert _count(db, events) == 0

    def killed(*_args: object, **_kwargs: object) -> None:
        raise _Killed

    monkeypatch.setattr(Messages, "mark_processed", killed)
    with pytest.raises(_Killed):
        await chat.say("张燕", "/进展 1 已联系养狗住户", chat="private")
    # nothing of the turn was committed: the command ran in a savepoint of a transaction that never committed,
    # so the message is handled once, whole, when the bot starts again (handlers/router.py repair_unprocessed)
    assert _count(db, events) == 0
    stored = "SELECT count(*) FROM messages WHERE text LIKE '/进展%' AND processed_at IS NULL"
    assert _count(db, stored) == 1  # stored before it was acted on, and not marked handled
    monkeypatch.undo()
    sent = await chat.say("张燕", "/进展 1 已联系养狗住户", chat="private")
    assert [s.text for s in sent] == ["#1 进展已记录。"]
    assert _count(db, events) == 1


def test_a_savepoint_whose_transaction_is_gone_says_so_instead_of_carrying_on(store: Store, tmp_path: Path) -> None:
    # SQLite rolls a whole transaction back by itself after some errors (a full disk, a damaged page): the
    # caller of a failed savepoint must not go on as if only the savepoint's writes were undone
    def turn() -> None:
        with store.begin() as uow:
            uow.sql.run(text("INSERT INTO meta (key, value) VALUES ('before', '1')"))
            with uow.savepoint():
                uow.sql.conn.exec_driver_sql("ROLLBACK")  # the whole transaction, behind the savepoint's back
                raise ValueError("the handler fails")

    with pytest.raises(OperationalError, match="no such savepoint"):
        turn()
    assert _count(tmp_path / "gridbot.db", "SELECT count(*) FROM meta WHERE key = 'before'") == 0


@pytest.fixture
async def pg_chat(settings: Settings, pg_schema_url: str) -> AsyncIterator[Chat]:
    async for c in _chat(settings, pg_schema_url):
        yield c


@pytest.mark.postgres
async def test_a_command_whose_connection_drops_is_done_again_once(
    pg_chat: Chat, pg_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the server ends the turn's session while the command runs in its savepoint: the error that reaches the
    # retry is the dropped connection's, so the whole turn is done again and the command is answered once
    await pg_chat.say("周阿姨", DOG)
    dsn = pg_schema_url.replace("postgresql+psycopg://", "postgresql://")
    spec = registry.BY_ACTION["progress"]
    calls: list[int] = []

    async def dropped_once(msg: Any, cmd: Any, deps: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            pid = deps.uow.sql.run(text("SELECT pg_backend_pid()")).scalar_one()
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return await spec.handler(msg, cmd, deps)

    monkeypatch.setitem(registry.BY_ACTION, "progress", replace(spec, handler=dropped_once))
    sent = await pg_chat.say("张燕", "/进展 1 已联系养狗住户", chat="private")
    assert len(calls) == 2
    assert [s.text for s in sent] == ["#1 进展已记录。"]
    with psycopg.connect(dsn) as conn:
        events = conn.execute("SELECT count(*) FROM events WHERE ticket_id = 1 AND action = 'progress'").fetchone()
        done = conn.execute("SELECT count(*) FROM messages WHERE text LIKE '/进展%' AND processed_at IS NOT NULL")
        assert events == (1,)
        assert done.fetchone() == (1,)
