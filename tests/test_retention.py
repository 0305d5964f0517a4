"""Residents' words that opened nothing are purged after `limits.retention_days`; ticket texts stay."""

from __future__ import annotations

from datetime import timedelta

from tests.chat import Chat


async def test_chatter_is_purged_after_the_retention_period_and_ticket_messages_stay(any_chat: Chat) -> None:
    await any_chat.say("周阿姨", "大家早上好呀", message_id="hello")
    await any_chat.say("周阿姨", "楼下有人养狗，到晚上老叫唤，根本没法休息", message_id="dog")
    await any_chat.say("老李", "3栋门口的路灯坏了一个星期了", chat="room_tiancheng_3", message_id="lamp")

    def kept() -> set[str]:
        with any_chat.app.services.store.begin() as uow:
            return {m for m in ("hello", "dog", "lamp") if uow.messages.by_platform_id(m) is not None}

    await any_chat.wait(timedelta(days=6, hours=23), step=timedelta(hours=1))
    assert kept() == {"hello", "dog", "lamp"}
    await any_chat.wait(timedelta(hours=2), step=timedelta(hours=1))
    assert kept() == {"dog", "lamp"}
    with any_chat.app.services.store.begin() as uow:
        assert [m.platform_id for m in uow.messages.of_ticket(1)] == ["dog"]
        assert [m.platform_id for m in uow.messages.of_ticket(2)] == ["lamp"]
