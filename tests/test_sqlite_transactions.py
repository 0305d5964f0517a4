"""SQLite: a turn is one transaction from its first statement to its commit, savepoints included.

Python's sqlite3 module, left to manage transactions, opens one only right before an INSERT, UPDATE or
DELETE. A turn's reads then ran outside it, and a SAVEPOINT issued before any write opened a
transaction of its own, which its RELEASE committed. storage/db.py turns the module's handling off and
begins every transaction itself; these tests fail without that.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.settings import Settings
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


def test_a_turn_reads_one_snapshot(store: Store, tmp_path: Path) -> None:
    count = text("SELECT count(*) FROM meta")
    with store.begin() as uow:
        before = uow.sql.run(count).scalar_one()
        other = sqlite3.connect(tmp_path / "gridbot.db")
        other.execute("INSERT INTO meta (key, value) VALUES ('other', '1')")
        other.commit()
        other.close()
        assert uow.sql.run(count).scalar_one() == before  # what another process commits meanwhile is not seen
    with store.begin() as uow:
        assert uow.sql.run(count).scalar_one() == before + 1


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
