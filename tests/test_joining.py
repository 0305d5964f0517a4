"""Issue 22 item 1, as conversations: a report joins an open ticket only when it is the same thing in the
same place; a same-matter report that reads as an emergency joins and raises the ticket to urgent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.core.settings import load_settings
from tests.chat import Chat
from tests.conftest import DATA, TZ
from tests.test_ladder import make_chat

GROUP = "room_tiancheng_3"
ADVICE = "如有人员受伤或危险，请立即拨打119/120/110。"


def tickets_of(chat: Chat) -> list[tuple[int, str, str]]:
    with chat.app.services.store.begin() as uow:
        return [(t.id, t.urgency, t.text) for t in uow.tickets.find()]


def reporters_of(chat: Chat, ticket_id: int) -> set[str]:
    with chat.app.services.store.begin() as uow:
        return {r.reporter_name for r in uow.tickets.reporters(ticket_id)}


def staff_alarms(sent: list) -> list[str]:  # type: ignore[type-arg]
    return [s.text for s in sent if s.chat_id == "room_staff"]


async def test_four_different_things_in_four_units_are_four_tickets(chat: Chat) -> None:
    messages = [
        ("周阿姨", "2单元水管漏水了，麻烦处理一下"),
        ("刘大爷", "5单元楼道灯坏了，麻烦处理一下"),
        ("老王", "6单元电梯坏了"),
        ("小红", "1单元门禁坏了，刷不开"),
    ]
    for number, (who, text) in enumerate(messages, start=1):
        sent = await chat.say(who, text)
        assert [s.text.split("【")[0] for s in chat.to(sent, GROUP)] == [f"已登记 #{number}"], text
    assert [t[2] for t in tickets_of(chat)] == [text for _, text in messages]


async def test_shared_politeness_does_not_join_a_pothole_to_a_water_pipe(chat: Chat) -> None:
    tail = "，麻烦物业尽快派人处理一下，谢谢"
    await chat.say("周阿姨", "2单元水管漏水了" + tail)
    sent = await chat.say("刘大爷", "小区路面有个大坑" + tail)
    assert chat.to(sent, GROUP)[0].text.startswith("已登记 #2")
    assert reporters_of(chat, 1) == {"周阿姨"}


async def test_the_same_leak_in_other_words_joins(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    sent = await chat.say("刘大爷", "二单元的水管一直在渗水")
    assert chat.to(sent, GROUP)[0].text.startswith("这件事已在 #1【")
    assert reporters_of(chat, 1) == {"周阿姨", "刘大爷"}


async def test_the_same_thing_in_another_unit_is_its_own_ticket(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元楼道灯不亮了")
    sent = await chat.say("刘大爷", "3单元楼道灯不亮了")
    assert chat.to(sent, GROUP)[0].text.startswith("已登记 #2")


async def test_an_emergency_about_the_same_thing_joins_and_raises_the_ticket(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    before = tickets_of(chat)
    assert before[0][1] == "normal"
    chat.clock.advance(timedelta(hours=3))
    sent = await chat.say("刘大爷", "2单元水管爆了，水漫到楼道了！")
    assert [t[:2] for t in tickets_of(chat)] == [(1, "urgent")]
    assert reporters_of(chat, 1) == {"周阿姨", "刘大爷"}
    group = chat.to(sent, GROUP)
    assert len(group) == 1
    assert group[0].text.startswith("这件事已在 #1【")
    assert "紧急" in group[0].text
    assert ADVICE in group[0].text
    # the usual alarm: the holder, the grid's workers and the area cadre, in the staff chat too
    assert set(group[0].mention_ids) >= {chat.id_of("刘大爷"), "wxid_zhangyan", "wxid_yanghx"}
    alarms = staff_alarms(sent)
    assert len(alarms) == 1
    assert alarms[0].startswith("#1【")
    assert "水管爆了" in alarms[0]
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        assert ticket is not None
        # an urgent ticket's deadline is two hours from when it became urgent, not from the first report
        assert ticket.deadline_at is not None
        assert ticket.deadline_at <= chat.clock.now() + timedelta(hours=2)
        actions = [e.action for e in uow.tickets.events(1)]
    assert actions[-2:] == ["joined", "urgent"]


async def test_a_second_emergency_about_a_raised_ticket_is_no_second_alarm(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    chat.clock.advance(timedelta(hours=5))  # the ticket is old; it became urgent only now
    await chat.say("刘大爷", "2单元水管爆了，水漫到楼道了！")
    chat.clock.advance(timedelta(minutes=5))
    sent = await chat.say("老王", "二单元水管爆裂了，楼道里全是水")
    assert staff_alarms(sent) == []
    assert chat.to(sent, GROUP)[0].text.startswith("这件事已在 #1【")
    assert [t[:2] for t in tickets_of(chat)] == [(1, "urgent")]


async def test_an_emergency_that_names_no_thing_is_its_own_alarm_not_a_raise(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    sent = await chat.say("刘大爷", "2单元楼道全淹了，水还在往外冒！")
    assert len(staff_alarms(sent)) == 1
    assert [t[:2] for t in tickets_of(chat)] == [(1, "normal"), (2, "urgent")]


async def test_an_emergency_about_something_else_is_its_own_alarm(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    sent = await chat.say("刘大爷", "2单元电梯里困人了，快来人！")
    assert len(staff_alarms(sent)) == 1
    assert [t[:2] for t in tickets_of(chat)] == [(1, "normal"), (2, "urgent")]


async def test_a_raise_off_duty_wakes_the_duty_roster_as_a_new_emergency_would(tmp_path: Path, db_url: str) -> None:
    text = (DATA / "config.yaml").read_text(encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text + "duty_roster:\n  - {person: wxid_wanghuan, weekdays: [6, 7]}\n", encoding="utf-8")
    chat = await make_chat(load_settings(cfg, env={}), db_url, datetime(2026, 11, 28, 14, 0, tzinfo=TZ))  # Saturday
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    sent = await chat.say("刘大爷", "2单元水管爆了，水漫到楼道了！")
    assert "wxid_wanghuan" in chat.to(sent, GROUP)[0].mention_ids
    assert "wxid_wanghuan" in next(s for s in sent if s.chat_id == "room_staff").mention_ids


async def test_not_the_same_matter_takes_the_urgency_back_with_it(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    with chat.app.services.store.begin() as uow:
        before = uow.tickets.get(1)
    assert before is not None
    chat.clock.advance(timedelta(minutes=30))
    await chat.say("刘大爷", "2单元水管爆了，水漫到楼道了！")
    sent = await chat.say("刘大爷", "不是同一件事")
    assert len(staff_alarms(sent)) == 1  # the split-off emergency sounds its own alarm
    assert [t[:2] for t in tickets_of(chat)] == [(1, "normal"), (2, "urgent")]
    with chat.app.services.store.begin() as uow:
        after = uow.tickets.get(1)
        actions = [e.action for e in uow.tickets.events(1)]
    assert after is not None
    assert after.deadline_at == before.deadline_at
    assert actions[-3:] == ["urgent", "split", "not_urgent"]
    assert reporters_of(chat, 1) == {"周阿姨"}


async def test_a_raised_ticket_a_neighbour_joined_since_stays_urgent(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    await chat.say("刘大爷", "2单元水管爆了，水漫到楼道了！")
    await chat.say("老王", "二单元水管爆裂了，楼道里全是水")
    await chat.say("刘大爷", "不是同一件事")
    assert [t[:2] for t in tickets_of(chat)] == [(1, "urgent"), (2, "urgent")]
