"""Neighbours reporting the same emergency: one urgent ticket and one alarm, each of them answered with the
emergency advice; a later emergency, or one a resident says is another, gets its own alarm."""

from __future__ import annotations

from datetime import timedelta

from tests.chat import Chat

GROUP = "room_tiancheng_3"
GAS = "3栋2单元楼道里有煤气味，很浓！"
ADVICE = "如有人员受伤或危险，请立即拨打119/120/110。"
NOT_SAME = "如不是同一件事，请回复“不是同一件事”。"


def tickets_of(chat: Chat) -> list[tuple[int, str]]:
    with chat.app.services.store.begin() as uow:
        return [(t.id, t.urgency) for t in uow.tickets.find()]


def alarms(sent: list) -> list[str]:  # type: ignore[type-arg]
    return [s.text for s in sent if s.chat_id == "room_staff" and "新工单" in s.text]


async def test_the_same_gas_smell_reported_three_times_is_one_alarm(chat: Chat) -> None:
    first = await chat.say("周阿姨", GAS)
    assert len(alarms(first)) == 1
    chat.clock.advance(timedelta(minutes=3))
    second = await chat.say("老王", "楼道里好像有煤气味道")
    chat.clock.advance(timedelta(minutes=2))
    third = await chat.say("小红", "2单元楼道煤气味好大，谁家漏气了")
    for who, sent in (("老王", second), ("小红", third)):
        assert [(s.chat_id, s.mention_ids, s.text) for s in sent] == [
            (
                GROUP,
                (chat.id_of(who),),
                f"这件事已在 #1【安全隐患】紧急登记，工作人员已收到通知。{ADVICE}{NOT_SAME}",
            )
        ]
    assert tickets_of(chat) == [(1, "urgent")]
    with chat.app.services.store.begin() as uow:
        assert [e.action for e in uow.tickets.events(1)].count("joined") == 2


async def test_an_emergency_after_the_window_is_a_new_alarm(chat: Chat) -> None:
    await chat.say("周阿姨", GAS)
    chat.clock.advance(timedelta(minutes=chat.settings.dedupe.urgent_window_minutes + 1))
    sent = await chat.say("老王", "楼道里又有煤气味了，很浓")
    assert len(alarms(sent)) == 1
    assert tickets_of(chat) == [(1, "urgent"), (2, "urgent")]


async def test_an_emergency_about_something_else_does_not_fold_into_an_ordinary_ticket(chat: Chat) -> None:
    await chat.say("周阿姨", "楼道里有人用电动车飞线充电,线就从窗户拉下来,太危险了")
    sent = await chat.say("老王", "楼道里电线冒烟了，着火了！")
    assert ADVICE in chat.to(sent, GROUP)[0].text
    assert len(alarms(sent)) == 1
    assert tickets_of(chat) == [(1, "normal"), (2, "urgent")]


async def test_not_the_same_emergency_gets_its_own_alarm(chat: Chat) -> None:
    await chat.say("周阿姨", GAS)
    await chat.say("老王", "楼道里好像有煤气味道")
    sent = await chat.say("老王", "不是同一件事")
    assert tickets_of(chat) == [(1, "urgent"), (2, "urgent")]
    assert len(alarms(sent)) == 1
    assert ADVICE in chat.to(sent, GROUP)[0].text
