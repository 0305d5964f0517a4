"""Mentions render with the name a person wrote under, also after a restart: the console adapter knew residents
only from what was typed since it started, and showed `@wxid_刘先生` for a reporter of the last run."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from bot.adapters.console import ConsoleAdapter
from bot.core.clock import FakeClock
from bot.core.messages import IncomingMessage
from bot.core.settings import Settings
from bot.runtime.app import App, build_app
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
