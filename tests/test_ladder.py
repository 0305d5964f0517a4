"""Issue 5: deadlines and the escalation ladder, on a fake clock."""

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.memory import MemoryAdapter, Sent
from bot.core.clock import FakeClock
from bot.core.settings import Settings, load_settings
from bot.runtime.app import build_app
from handlers.jobs.sweep import run_sweep
from tests.chat import Chat
from tests.conftest import DATA, TZ

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
GROUP = "room_tiancheng_3"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


async def make_chat(settings: Settings, db_url: str, start: datetime) -> Chat:
    clock = FakeClock(start, TZ)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=db_url, clock=clock)
    await app.start()
    return Chat(app=app, adapter=adapter, clock=clock, settings=settings)


def ticket(chat: Chat, number: int):  # type: ignore[no-untyped-def]
    with chat.app.services.store.begin() as uow:
        return uow.tickets.get(number)


def events(chat: Chat, number: int) -> list[str]:
    with chat.app.services.store.begin() as uow:
        return [e.action for e in uow.tickets.events(number)]


async def test_reminder_then_escalation_with_status_line(settings: Settings, db_url: str) -> None:
    chat = await make_chat(settings, db_url, at(2026, 11, 23, 9, 0))
    await chat.say("周阿姨", DOG)
    sent = await chat.at(at(2026, 11, 23, 21, 0))
    # accept reminder (2 working hours) and deadline reminder (2 h before) go to the staff chat only
    staff = [s for s in sent if s.chat_id == "room_staff"]
    assert [(s.at, s.mention_ids) for s in staff[:2]] == [
        (at(2026, 11, 23, 11, 0), ("wxid_zhangyan",)),
        (at(2026, 11, 23, 19, 0), ("wxid_zhangyan",)),
    ]
    assert "还没有接单" in staff[0].text
    assert "将于 11-23 21:00 到期" in staff[1].text
    # at 21:00 the 12 h deadline passes: the area cadre is @-mentioned, the group gets one calm line
    escalation = [s for s in sent if s.at == at(2026, 11, 23, 21, 0)]
    assert [s.chat_id for s in escalation] == ["room_staff", GROUP]
    assert escalation[0].mention_ids == ("wxid_yanghx",)
    assert "超过12小时未办结" in escalation[0].text
    assert escalation[1].text == "#1【噪音扰民】已转交片区负责人 杨海霞 处理，请您耐心等待。"
    t = ticket(chat, 1)
    assert (t.level, t.holder_id) == (2, "wxid_yanghx")
    assert events(chat, 1) == ["created", "reminded", "reminded", "escalated"]
    # nothing about the ticket was ever posted to the group before the escalation but the ack
    assert [s.at for s in sent if s.chat_id == GROUP] == [at(2026, 11, 23, 21, 0)]


async def test_twelve_hour_promise_before_quiet_hours(settings: Settings, db_url: str) -> None:
    """A report at 15:00: its 12-hour mark (03:00) is in quiet hours, so the status line goes out before 22:00."""
    chat = await make_chat(settings, db_url, at(2026, 11, 23, 15, 0))
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/接单 1", chat="private")
    await chat.say("张燕", "/延期 1 1天 等物业配合", chat="private")
    await chat.say("杨海霞", "/同意延期 1", chat="private")
    sent = await chat.at(at(2026, 11, 24, 8, 0))
    group = [s for s in sent if s.chat_id == GROUP]
    assert len(group) == 1
    assert group[0].text == "#1【噪音扰民】正在办理中，目前由张燕跟进。"
    assert at(2026, 11, 23, 15, 0) < group[0].at < at(2026, 11, 23, 22, 0)
    assert group[0].mention_ids == (chat.id_of("周阿姨"),)


async def test_quiet_hours_hold_the_group_line_but_not_staff(settings: Settings, db_url: str) -> None:
    chat = await make_chat(settings, db_url, at(2026, 11, 23, 11, 30))
    await chat.say("周阿姨", DOG)  # deadline 23:30, inside quiet hours
    sent = await chat.at(at(2026, 11, 24, 8, 0))
    staff = [s for s in sent if s.chat_id == "room_staff" and "已转交您处理" in s.text]
    assert staff[0].at == at(2026, 11, 23, 23, 30)
    group = [s for s in sent if s.chat_id == GROUP]
    assert [s.at for s in group if "已转交" in s.text] == [at(2026, 11, 24, 7, 30)]


async def test_urgent_answers_at_once_and_alerts_two_people(settings: Settings, db_url: str) -> None:
    chat = await make_chat(settings, db_url, at(2026, 11, 23, 23, 40))
    sent = await chat.say("周阿姨", "楼道里着火了,浓烟很大,有人被困在五楼!")
    group = chat.to(sent, GROUP)
    assert group[0].at == at(2026, 11, 23, 23, 40)  # no quiet hours for urgent
    assert "119" in group[0].text
    assert {"wxid_zhangyan", "wxid_yanghx"} <= set(group[0].mention_ids)
    t = ticket(chat, 1)
    assert t.urgency == "urgent"
    assert t.deadline_at == at(2026, 11, 24, 1, 40)


async def test_duty_roster_joins_urgent_alerts_off_hours(tmp_path: Path, db_url: str) -> None:
    text = (DATA / "config.yaml").read_text(encoding="utf-8")
    text += "duty_roster:\n  - {person: wxid_wanghuan, weekdays: [6, 7]}\n  - {person: wxid_center, default: true}\n"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text, encoding="utf-8")
    settings = load_settings(cfg, env={})
    chat = await make_chat(settings, db_url, at(2026, 11, 28, 14, 0))  # a Saturday
    sent = await chat.say("周阿姨", "楼道里着火了,浓烟很大,有人被困在五楼!")
    assert "wxid_wanghuan" in chat.to(sent, GROUP)[0].mention_ids


async def test_safety_starts_at_area_cadre_and_mentions_both(chat: Chat) -> None:
    sent = await chat.say("周阿姨", "楼道里有人用电动车飞线充电,线就从窗户拉下来,太危险了")
    reply = chat.to(sent, GROUP)[0]
    assert "由杨海霞跟进" in reply.text
    assert reply.mention_ids[1:] == ("wxid_yanghx", "wxid_zhangyan")
    t = ticket(chat, 1)
    assert (t.level, t.deadline_at - t.created_at) == (2, timedelta(hours=2))


async def test_top_of_ladder_in_working_days_over_national_day(
    settings: Settings, db_url: str, another_db_url: Callable[[], str]
) -> None:
    """L4 has 2 working days: from 30 Sep 2026 the holiday runs to 7 Oct; 8 and 9 Oct are working days."""
    chat = await make_chat(settings, db_url, at(2026, 9, 30, 10, 0))
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/转办 1 需要协调", chat="private")
    await chat.say("杨海霞", "/转办 1 需要协调", chat="private")
    await chat.say("王欢", "/转办 1 需要执法", chat="private")
    t = ticket(chat, 1)
    assert (t.level, t.holder_id) == (4, "wxid_center")
    assert t.deadline_at == at(2026, 10, 9, 10, 0)
    # from Fri 9 Oct, two working days are Sat 10 Oct (a make-up working day) and Mon 12 Oct
    chat2 = await make_chat(settings, another_db_url(), at(2026, 10, 9, 10, 0))
    await chat2.say("周阿姨", DOG)
    for who in ("张燕", "杨海霞", "王欢"):
        await chat2.say(who, "/转办 1 需要协调", chat="private")
    assert ticket(chat2, 1).deadline_at == at(2026, 10, 12, 10, 0)


async def test_working_hour_deadlines_do_not_run_over_a_weekend(tmp_path: Path, db_url: str) -> None:
    text = (DATA / "config.yaml").read_text(encoding="utf-8") + (
        "ladder:\n"
        "  - {level: 1, role: grid_worker, name: 网格员, deadline: 8, unit: work_hours, ack_within: 2}\n"
        "  - {level: 2, role: area_cadre, name: 片区负责人, deadline: 12, unit: hours}\n"
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text, encoding="utf-8")
    chat = await make_chat(load_settings(cfg, env={}), db_url, at(2026, 11, 27, 16, 0))  # a Friday
    await chat.say("周阿姨", DOG)
    t = ticket(chat, 1)
    # 16:00–17:30 Friday counts 1.5 working hours; the rest runs from 08:30 on Monday
    assert t.ack_due_at == at(2026, 11, 30, 9, 0)
    assert t.deadline_at == at(2026, 11, 30, 15, 0)
    # but the resident-facing 12-hour promise runs overnight in calendar hours (04:00 → before 22:00)
    assert t.promise_at is not None
    assert t.promise_at < at(2026, 11, 27, 22, 0)


async def test_top_level_overdue_is_named_once(settings: Settings, db_url: str) -> None:
    chat = await make_chat(settings, db_url, at(2026, 11, 23, 9, 0))
    await chat.say("周阿姨", DOG)
    for who in ("张燕", "杨海霞", "王欢"):
        await chat.say(who, "/转办 1 需要协调", chat="private")
    sent = await chat.at(at(2026, 11, 26, 10, 0))
    overdue = [s for s in sent if "请督办" in s.text]
    assert len(overdue) == 1
    assert overdue[0].at == at(2026, 11, 25, 9, 0)
    assert set(overdue[0].mention_ids) == {"wxid_center", "wxid_super"}
    assert ticket(chat, 1).overdue_at == at(2026, 11, 25, 9, 0)


async def test_sweep_is_idempotent_at_one_instant(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    chat.clock.set(at(2026, 11, 23, 21, 5))
    first = await run_sweep(chat.app.services)
    second = await run_sweep(chat.app.services)
    assert (first, second) == (1, 0)
    assert events(chat, 1).count("escalated") == 1


async def test_catch_up_after_a_day_down_escalates_once_and_says_how_late(settings: Settings, db_url: str) -> None:
    chat = await make_chat(settings, db_url, at(2026, 11, 23, 9, 0))
    await chat.say("周阿姨", DOG)
    chat.clock.set(at(2026, 11, 24, 15, 0))  # the bot was down from 09:01 until 15:00 the next day
    await chat.app.tick()
    sent = chat.new()
    escalations = [s for s in sent if "已转交您处理" in s.text]
    assert len(escalations) == 1
    assert "晚了18小时0分钟" in escalations[0].text
    assert events(chat, 1).count("escalated") == 1
    assert ticket(chat, 1).level == 2


async def test_extension_refused_keeps_the_deadline(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    asked = await chat.say("张燕", "/延期 1 2天 等配件", chat="private")
    assert asked[0].chat_id == "room_staff"
    assert asked[0].mention_ids == ("wxid_yanghx",)
    before = ticket(chat, 1).deadline_at
    refused = await chat.say("杨海霞", "/不同意延期 1 先上门看看", chat="private")
    assert any("未获批准" in s.text for s in refused)
    assert ticket(chat, 1).deadline_at == before
    again = await chat.say("杨海霞", "/同意延期 1", chat="private")
    assert [s.text for s in again] == ["#1 没有待您审批的延期申请。"]


async def test_extension_approved_moves_the_deadline(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    before = ticket(chat, 1).deadline_at
    await chat.say("张燕", "/延期 1 2天 等配件", chat="private")
    await chat.say("杨海霞", "/同意延期 1", chat="private")
    assert ticket(chat, 1).deadline_at == before + timedelta(days=2)
    assert "extended" in events(chat, 1)


async def test_standin_takes_new_and_open_tickets(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/代班 李网格 3天", chat="private")
    assert sent[-1].text.startswith("已设置：")
    assert ticket(chat, 1).holder_id == "wxid_li"
    reply = await chat.say("刘大爷", "3栋电梯坏了,困了好几天没人修")
    assert "由李网格跟进" in reply[0].text
    await chat.wait(timedelta(days=3), step=timedelta(hours=1))
    later = await chat.say("老陈", "小区东门垃圾堆了三天没人清运,臭得很")
    assert "由张燕跟进" in later[0].text


@pytest.mark.parametrize("bad", ["/延期 1", "/延期 1 很久", "/延期 1 99天 太久了", "/代班 某某 3天", "/代班 李网格"])
async def test_bad_extension_and_standin_forms(chat: Chat, bad: str) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", bad, chat="private")
    assert len(sent) == 1
    assert sent[0].text.startswith(("请", "延期时长"))
    assert events(chat, 1) == ["created"]


async def test_schedule_warning_30_days_before_the_calendar_ends(settings: Settings, db_url: str) -> None:
    chat = await make_chat(settings, db_url, at(2026, 11, 30, 23, 58))
    sent = await chat.wait(timedelta(minutes=4))
    warnings = [s for s in sent if "节假日安排只知道到 2026-12-31" in s.text]
    assert [(s.chat_id, s.at.date().isoformat()) for s in warnings] == [("room_staff", "2026-12-01")]


async def test_schedule_warning_once_a_week_not_at_every_start(settings: Settings, db_url: str) -> None:
    def warnings(sent: list[Sent]) -> list[str]:
        return [s.at.date().isoformat() for s in sent if "节假日安排只知道到" in s.text]

    chat = await make_chat(settings, db_url, at(2026, 12, 2, 9, 0))
    assert warnings(await chat.wait(timedelta(minutes=2))) == ["2026-12-02"]
    chat.app.services.store.dispose()  # the bot stops
    # a restart the same day and the days after stay quiet until a week has passed
    chat = await make_chat(settings, db_url, at(2026, 12, 2, 9, 30))
    seen = warnings(await chat.wait(timedelta(minutes=2)))
    for day in range(3, 11):
        seen += warnings(await chat.at(at(2026, 12, day, 9, 0)))
    assert seen == ["2026-12-09"]


async def test_repairs_route_to_the_property_company(tmp_path: Path, db_url: str) -> None:
    text = (DATA / "config.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  - {id: wxid_li, name: 李网格, role: grid_worker}\n",
        "  - {id: wxid_li, name: 李网格, role: grid_worker}\n  - {id: wxid_wuye, name: 天城物业, role: property}\n",
    )
    text = text.replace(
        "area_cadre: wxid_yanghx, groups: [room_tiancheng_3",
        "area_cadre: wxid_yanghx, property_company: wxid_wuye, groups: [room_tiancheng_3",
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text, encoding="utf-8")
    chat = await make_chat(load_settings(cfg, env={}), db_url, at(2026, 11, 23, 9, 0))
    sent = await chat.say("周阿姨", "3栋电梯坏了,老人下不了楼,好几天了没人修")
    reply = chat.to(sent, GROUP)[0]
    assert "由天城物业跟进" in reply.text
    assert reply.mention_ids[1:] == ("wxid_wuye", "wxid_zhangyan")  # the grid worker stays in the loop
    done = await chat.say("天城物业", "/办结 1 电梯已修复", chat="private")
    assert any(s.chat_id == GROUP and "电梯已修复" in s.text for s in done)


async def test_an_account_named_after_its_level_is_named_once(chat: Chat) -> None:
    """The street center's account is called 街道网格中心, like its level: "街道网格中心 街道网格中心" read badly."""
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/转办 1 需要片区协调", chat="private")
    await chat.say("杨海霞", "/转办 1 需要书记协调", chat="private")
    chat.new()
    sent = await chat.say("王欢", "/转办 1 需要街道协调", chat="private")
    assert [s.text for s in chat.to(sent, "wxid_wanghuan")] == ["#1 已转交街道网格中心。"]
    assert [s.text for s in chat.to(sent, GROUP)] == ["#1【噪音扰民】已转交街道网格中心 处理，请您耐心等待。"]
