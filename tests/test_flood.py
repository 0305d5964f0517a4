"""The flood limit as a resident meets it, on SQLite and PostgreSQL: past `limits.flood_per_minute` messages
in a minute the bot stays quiet, and the count is the one the insert that stored the message made (the turn
does not count again, also on PostgreSQL, where the turn reads the row back under its lock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.core.settings import Settings
from storage.repos.messages import Messages
from tests.chat import Chat
from tests.conftest import _chat

COMPLAINTS = [
    "楼道灯坏了好几天了，晚上很黑",
    "小区门口的垃圾好几天没人清理了，味道很大",
    "地下车库有车占了消防通道",
    "楼上装修每天早上七点就开始电钻",
    "3栋电梯又坏了，老人上下楼很不方便",
]


@pytest.fixture
async def flood_chat(settings: Settings, db_url: str) -> AsyncIterator[Chat]:
    limited = settings.model_copy(update={"limits": settings.limits.model_copy(update={"flood_per_minute": 3})})
    async for c in _chat(limited, db_url):
        yield c


async def test_past_the_limit_in_a_minute_the_bot_is_quiet_counted_by_the_insert(
    flood_chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    count_since = Messages.count_since

    def spied(self: Messages, sender_id: str, since: datetime, until: datetime, pk: int) -> int:
        counted.append(sender_id)
        return count_since(self, sender_id, since, until, pk)

    monkeypatch.setattr(Messages, "count_since", spied)
    answered = []
    for text in COMPLAINTS:
        answered.append(bool(await flood_chat.say("周阿姨", text)))
        flood_chat.clock.advance(timedelta(seconds=5))
    assert answered == [True, True, True, False, False]
    flood_chat.clock.advance(timedelta(minutes=1))
    assert await flood_chat.say("周阿姨", "楼下有人养狗，到晚上老叫唤")  # a minute later: heard again
    assert counted == []
