"""Group commit in `gridbot replay` (handlers/group_commit.py): what residents and staff see is what a
commit per store and per turn gives; a failing turn undoes only itself; no post leaves before its commit."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.cli.main import main
from bot.core.settings import load_settings
from bot.runtime import app as app_module
from bot.runtime import replay as replay_module
from bot.runtime.app import App
from handlers import group_commit, router
from storage.db import make_engine
from storage.repos.outbox import Outbox
from tests.chat import Chat
from tests.conftest import DATA
from tests.genlog import chat_log, district, write_log

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
GAS = "1单元4楼闻到很浓的煤气味"


def run(
    tmp_path: Path,
    name: str,
    config: Path,
    log: Path,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    url: str | None = None,
) -> Any:
    """A replay into `url` (default: a new SQLite file, also returned) and its summary and posts."""
    db, sent = tmp_path / f"{name}.db", tmp_path / f"{name}.jsonl"
    args = ["replay", str(log), "--config", str(config), "--db", url or f"sqlite:///{db}", "--sent", str(sent), *extra]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return summary, [json.loads(x) for x in sent.read_text(encoding="utf-8").splitlines()], db


def rows_at(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query))]
    finally:
        engine.dispose()


def table(db: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(query).fetchall())


def test_batches_send_what_single_commits_send_at_the_same_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = district(1, grids=3, groups_per_grid=2)
    config = d.write(tmp_path / "district.yaml")
    # several messages a minute: batches of many, cut by the sweep's ticks and by the cap
    log = write_log(chat_log(d, 400, numbered_commands=False, span=timedelta(hours=3)), tmp_path / "log.jsonl")
    one, sent_one, db_one = run(tmp_path, "one", config, log, capsys, "--batch", "1")
    many, sent_many, db_many = run(tmp_path, "many", config, log, capsys, "--batch", "5")
    assert one == {**many, "seconds": one["seconds"]}
    assert one["tickets"] > 10
    assert len(sent_one) > 100
    assert sent_many == sent_one  # every post, its text, its mentions and the simulated time it went out
    for query in (
        "SELECT platform_id, processed_at, ticket_id FROM messages ORDER BY id",
        "SELECT id, category, state, level, holder_id FROM tickets ORDER BY id",
        "SELECT ticket_id, action, at FROM events ORDER BY id",
        "SELECT chat_id, text, state, created_at, sent_at FROM outbox ORDER BY id",
    ):
        assert table(db_many, query) == table(db_one, query), query


def test_a_failing_turn_is_undone_alone_and_its_message_recorded(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a message's savepoint is left open, not released (storage/_sql.py): ROLLBACK TO goes to
    the newest savepoint of its name, the failing message's own."""
    said = [
        ("a", DOG, "wxid_liu", "刘大爷", "05"),
        ("b", GAS, "wxid_zhou", "周阿姨", "20"),
        ("c", "早上好", "wxid_chen", "老陈", "40"),
    ]
    lines = [
        {"id": i, "text": t, "sender_id": who, "sender_name": name, "ts": f"2026-11-23T09:00:{sec}+08:00"}
        for i, t, who, name, sec in said
    ]
    log = write_log(
        [{**x, "chat_id": "room_tiancheng_3", "chat_topic": "美景天城3栋"} for x in lines], tmp_path / "log.jsonl"
    )
    real_route = router.route
    failed: list[int] = []

    async def route(msg: Any, deps: Any) -> int | None:
        if msg.platform_id == "b":
            await real_route(msg, deps)  # writes its ticket and its posts, then fails: all of it undone
            raise RuntimeError("boom")
        return await real_route(msg, deps)

    monkeypatch.setattr("handlers.group_commit.route", route)
    monkeypatch.setattr("handlers.deps.log_handler_error", lambda pk, exc: failed.append(pk))
    summary, sent, _ = run(tmp_path, "r", DATA / "config.yaml", log, capsys, url=db_url)
    assert summary["messages"] == 3
    assert len(failed) == 1
    # one commit for the three (one sweep interval), the failing turn's writes rolled back inside it
    assert [r[0] for r in rows_at(db_url, "SELECT platform_id FROM messages WHERE processed_at IS NULL")] == []
    assert rows_at(db_url, "SELECT m.platform_id FROM tickets t JOIN messages m ON m.id = t.source_message_id") == [
        ("a",)
    ]
    assert rows_at(db_url, "SELECT platform_id FROM messages ORDER BY id") == [("a",), ("b",), ("c",)]
    assert all("wxid_zhou" not in s["mention_ids"] for s in sent)
    assert any("wxid_liu" in s["mention_ids"] and s["ts"] == "2026-11-23T09:00:05+08:00" for s in sent)


def test_nothing_is_sent_before_the_commit_that_queued_it(tmp_path: Path) -> None:
    d = district(1, grids=2, groups_per_grid=2)
    config = d.write(tmp_path / "district.yaml")
    log = write_log(chat_log(d, 120, numbered_commands=False, span=timedelta(hours=1)), tmp_path / "log.jsonl")
    settings = load_settings(config, env={})
    commits: dict[str, int] = {}

    def replayed(name: str, batch: int) -> list[tuple[str, Any]]:
        db = tmp_path / f"{name}.db"
        seen: list[tuple[str, Any]] = []

        def instrument(app: App) -> None:
            def committed(conn: Any) -> None:
                commits[name] = commits.get(name, 0) + 1

            event.listen(app.services.store.engine, "commit", committed)
            send = app.adapter.send

            async def checked(out: Any) -> None:
                # the row being sent is committed: a connection of its own, outside every turn, sees it `sending`
                with sqlite3.connect(db) as conn:
                    state = conn.execute("SELECT state FROM outbox WHERE id = ?", (out.outbox_id,)).fetchone()
                seen.append((out.text, state))
                await send(out)

            app.adapter.send = checked  # type: ignore[method-assign]

        summary = asyncio.run(
            replay_module.replay(
                settings, log, db_url=f"sqlite:///{db}", sent_path=None, instrument=instrument, batch=batch
            )
        )
        assert summary.messages == 120
        return seen

    batched, single = replayed("batched", 64), replayed("single", 1)
    assert len(batched) > 20
    assert {state for _, state in batched} == {("sending",)}
    assert batched == single
    # a store and a turn a message were two commits; a batch is one for all of its messages
    assert commits["single"] - commits["batched"] >= 120


def test_a_batch_is_one_transaction_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing a batch stored is seen by another connection before the batch commits (each message's
    # SAVEPOINT opened a transaction of its own on SQLite, which its RELEASE committed: storage/_sql.py)
    d = district(1, grids=2, groups_per_grid=2)
    config = d.write(tmp_path / "district.yaml")
    # a dozen messages a minute: batches of several (a batch ends at the next minute's sweep tick)
    log = write_log(chat_log(d, 120, numbered_commands=False, span=timedelta(minutes=10)), tmp_path / "log.jsonl")
    db = tmp_path / "batched.db"

    def stored() -> int:
        conn = sqlite3.connect(db)
        try:
            return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
        finally:
            conn.close()

    at_start: list[int] = []
    seen: list[tuple[int, int]] = []  # (stored when the batch began, stored as a message of it begins)
    real_batch, real_turn = app_module.handle_batch, group_commit._store_and_turn

    async def batch(msgs: Any, services: Any, at: Any = None) -> Any:
        at_start.append(stored())
        return await real_batch(msgs, services, at)

    async def turn(uow: Any, msg: Any, services: Any) -> None:
        seen.append((at_start[-1], stored()))
        await real_turn(uow, msg, services)

    monkeypatch.setattr(app_module, "handle_batch", batch)
    monkeypatch.setattr(group_commit, "_store_and_turn", turn)
    settings = load_settings(config, env={})
    summary = asyncio.run(replay_module.replay(settings, log, db_url=f"sqlite:///{db}", sent_path=None, batch=64))
    assert summary.messages == 120
    assert len(seen) >= 120
    assert len(seen) > 3 * len(at_start)  # batches of several messages
    assert all(now == begun for begun, now in seen)
    assert stored() == 120


async def test_a_post_that_went_out_is_sending_until_the_next_claim_commits_its_mark(
    chat: Chat, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `sent` mark rides in the next claim's commit. At that claim (where a kill would cut it off) the
    database still says `sending` for the post that went out: what a crash during the send leaves, which
    start-up reports to staff and never resends (tests/test_outbox.py). No other row is `sending` then."""
    engine = make_engine(db_url)
    seen: list[list[tuple[int, str]]] = []
    claim = Outbox.claim

    def observed(self: Outbox, *args: Any, **kwargs: Any) -> Any:
        with engine.connect() as conn:  # what is committed: what a process started after a kill would find
            sending = conn.execute(text("SELECT id, state FROM outbox WHERE state = 'sending'"))
            seen.append([(int(i), str(s)) for i, s in sending])
        return claim(self, *args, **kwargs)

    monkeypatch.setattr(Outbox, "claim", observed)
    sent = await chat.say("周阿姨", GAS)  # the resident's answer and the staff's alarm: two posts
    engine.dispose()
    assert len(sent) >= 2
    assert all(len(rows) <= 1 for rows in seen)
    went_out = [rows[0][0] for rows in seen if rows]
    assert len(went_out) == len(sent)  # each post was `sending`, committed, at the claim after its send
    with chat.app.services.store.begin() as uow:
        states = {i.id: i.state for i in uow.outbox.items()}
    assert [states[i] for i in went_out] == ["sent"] * len(sent)  # and marked `sent` by that claim's commit


def test_a_bind_inside_a_batch_is_read_by_the_messages_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The secretary's /绑定 re-keys a known group to a new room id; a complaint in that room right after it, in
    the same batch, must already reach the group's grid worker, as it does with a commit a message."""
    room = "r_new@chatroom"
    said = [
        ("b1", "/绑定 美景天城3栋", "wxid_wanghuan", "王欢", "05"),
        ("b2", DOG, "wxid_liu", "刘大爷", "20"),
        ("b3", "小区东门垃圾堆了三天没人清运,臭得很", "wxid_chen", "老陈", "40"),
    ]
    lines = [
        {"id": i, "text": t, "sender_id": who, "sender_name": name, "ts": f"2026-11-23T09:00:{sec}+08:00"}
        for i, t, who, name, sec in said
    ]
    log = write_log([{**x, "chat_id": room, "chat_topic": "美景天城3栋"} for x in lines], tmp_path / "log.jsonl")
    config = DATA / "config.yaml"
    _, sent_one, _ = run(tmp_path, "one", config, log, capsys, "--batch", "1")
    _, sent_many, _ = run(tmp_path, "many", config, log, capsys, "--batch", "5")
    assert sent_many == sent_one
    replies = [s for s in sent_one if s["chat_id"] == room and "#" in s["text"]]
    assert len(replies) == 2
    assert all("张燕" in s["text"] for s in replies)  # the grid of 美景天城3栋, not an unknown group's answer
