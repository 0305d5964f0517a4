"""Mentions render with the name a person wrote under, also after a restart: the console adapter knew residents
only from what was typed since it started, and showed `@wxid_刘先生` for a reporter of the last run."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.messages import IncomingMessage
from bot.core.settings import Settings
from bot.runtime.app import App, build_app
from storage.repos.messages import Messages
from tests.conftest import START, TZ


async def _run(settings: Settings, url: str, clock: FakeClock, lines: list[str]) -> str:
    out = io.StringIO()
    adapter = ConsoleAdapter(settings, clock.now, stdin=io.StringIO(""), stdout=out)
    app: App = build_app(settings, adapter, db_url=url, clock=clock)
    await app.start()
    try:
        for line in lines:
            msg = adapter.parse(line)
            assert isinstance(msg, IncomingMessage), line
            await app.receive(msg)
    finally:
        app.services.store.dispose()
    return out.getvalue()


async def test_a_reporter_is_mentioned_by_the_stored_name_after_a_restart(settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    clock = FakeClock(START, TZ)
    first = await _run(settings, url, clock, ["[美景天城3栋] 刘先生: 楼下的路灯坏了好几天了，晚上看不见路"])
    assert "@刘先生 @张燕 已登记 #1" in first
    # a new process an hour later: the adapter starts knowing only the staff in config
    clock.advance(timedelta(hours=1))
    later = await _run(settings, url, clock, ["[私聊] 张燕: /办结 1 已更换灯泡"])
    assert "[美景天城3栋] 网格助手: @刘先生 #1 已办结：已更换灯泡" in later
    assert "wxid_" not in later


@pytest.mark.parametrize(("make", "reads"), [(MemoryAdapter, False), (ConsoleAdapter, True)])
async def test_the_outbox_reads_stored_names_only_for_an_adapter_that_renders_mentions_with_them(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: type, reads: bool
) -> None:
    """WeChat renders an @-mention from the room's member names (the wechaty adapter looks them up at each
    send): a query for the name a resident last wrote under, before every reply, is only the console's."""
    asked: list[str] = []
    names_of = Messages.names_of

    def counted(self: Messages, person_ids: Iterable[str]) -> dict[str, str]:
        ids = list(person_ids)
        asked.extend(ids)
        return names_of(self, ids)

    monkeypatch.setattr(Messages, "names_of", counted)
    clock = FakeClock(START, TZ)
    out = io.StringIO()
    adapter = (
        ConsoleAdapter(settings, clock.now, stdin=io.StringIO(""), stdout=out)
        if make is ConsoleAdapter
        else MemoryAdapter(clock.now)
    )
    app: App = build_app(settings, adapter, db_url=f"sqlite:///{tmp_path / 'g.db'}", clock=clock)
    await app.start()
    try:
        msg = IncomingMessage(
            message_id="m1",
            chat_id="tiancheng3@chatroom",
            chat_topic="美景天城3栋",
            sender_id="wxid_liu",
            sender_name="刘先生",
            text="楼下的路灯坏了好几天了，晚上看不见路",
            timestamp=clock.now(),
        )
        await app.receive(msg)
    finally:
        app.services.store.dispose()
    if isinstance(adapter, MemoryAdapter):
        assert [s.mention_ids[0] for s in adapter.sent if s.chat_id == msg.chat_id] == ["wxid_liu"]
    else:
        assert "@刘先生" in out.getvalue()
    assert ("wxid_liu" in asked) is reads
