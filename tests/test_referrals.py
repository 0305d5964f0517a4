"""Issue 21: /转12345 hands a ticket outside the community's power to the city hotline; it stays visible as
已转12345, leaves the ladder, is counted in the weekly digest, and the export names the category's code."""

from __future__ import annotations

from datetime import timedelta

from bot.core.settings import Settings, load_settings
from handlers.commands.registry import parse_command
from handlers.jobs import digest
from tests.chat import Chat
from tests.conftest import DATA, START
from tests.test_pauses import asks_after
from tests.test_rating import DOG, actions, ticket
from tests.test_urgent_reports import GAS
from web import export

GROUP = "room_tiancheng_3"
WHY = "养犬执法归公安和城管，社区无执法权"


def test_the_parser_reads_zhuan_12345_as_one_verb() -> None:
    cmd = parse_command("/转12345 8 不归社区管")
    assert cmd is not None
    assert (cmd.action, cmd.ticket, cmd.text) == ("refer_12345", 8, "不归社区管")
    cmd = parse_command("／转１２３４５ #8 不归社区管")  # full-width, as phones type it
    assert cmd is not None
    assert (cmd.action, cmd.ticket) == ("refer_12345", 8)
    cmd = parse_command("/转办 12345 需要片区协调")  # 转办 of ticket 12345 stays 转办
    assert cmd is not None
    assert (cmd.action, cmd.ticket) == ("transfer", 12345)


async def test_a_referred_ticket_is_told_visible_and_off_the_ladder(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", f"/转12345 1 {WHY}", chat="private")
    assert [(s.chat_id, s.text) for s in sent] == [
        (GROUP, f"#1 超出社区职权，已转12345市民服务热线办理：{WHY}。后续进展可拨打12345查询。"),
        ("wxid_zhangyan", f"#1 已转12345：{WHY}。已告知反映人。"),
    ]
    t = ticket(chat, 1)
    assert (t.state, t.result, t.deadline_at, t.next_due_at) == ("referred", WHY, None, None)
    assert actions(chat, 1) == ["created", "referred"]
    shown = await chat.say("张燕", "/查询 1", chat="private")
    assert "已转12345" in shown[0].text
    assert f"转12345：{WHY}" in shown[0].text
    assert await chat.wait(timedelta(hours=30), step=timedelta(hours=1)) == []  # nothing escalates
    refused = await chat.say("张燕", "/办结 1 已处理", chat="private")
    assert [s.text for s in refused] == ["#1 已转12345，不能再办结。"]
    assert actions(chat, 1) == ["created", "referred"]


async def test_a_referral_needs_its_reason_and_is_counted_in_the_weekly_digest(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/转12345 1", chat="private")
    assert [s.text for s in sent] == ["请写明转12345的原因，例如：/转12345 1 属于市政道路，社区无权处理"]
    assert ticket(chat, 1).state == "open"
    await chat.say("张燕", f"/转12345 1 {WHY}", chat="private")
    with chat.app.services.store.begin() as uow:
        week = digest.compose(uow, chat.settings, chat.settings.all_communities[0], "week", START + timedelta(hours=1))
    assert "新增 1 · 办结 0 · 在办 0 · 超期 0\n" in week.text
    assert "· 转12345 1\n" in week.text


async def test_the_export_carries_the_categorys_hotline_code(chat: Chat) -> None:
    packaged = load_settings(DATA / "config.yaml", env={})
    assert {c.code for c in packaged.categories.values()} == {""}  # the defaults invent no codes
    coded: Settings = load_settings(DATA / "config.yaml", env={}, overrides={"categories": {"noise": {"code": "T-01"}}})
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", f"/转12345 1 {WHY}", chat="private")
    t = ticket(chat, 1)
    row = export.row(coded, t, START)
    assert (row["状态"], row["类别"], row["类别代码"], row["办理结果"]) == ("已转12345", "噪音扰民", "T-01", WHY)
    assert export.row(packaged, t, START)["类别代码"] == ""
    assert "类别代码" in export.to_csv(coded, [t], START).decode("utf-8-sig").splitlines()[0]


async def test_a_paused_ticket_handed_over_or_rejected_resumes_first(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("周阿姨", "楼下停车位总被外面的车占了，我们自己的车没地方停")
    for number in (1, 2):
        await chat.say("张燕", f"/挂起 {number} 等住户回来", chat="private")
    await chat.say("张燕", f"/转12345 1 {WHY}", chat="private")
    await chat.say("张燕", "/退回 2 属于住户私事", chat="private")
    assert actions(chat, 1) == ["created", "paused", "resumed", "referred"]
    assert actions(chat, 2) == ["created", "paused", "resumed", "rejected"]
    assert [ticket(chat, n).paused_at for n in (1, 2)] == [None, None]


async def test_a_resident_who_reported_privately_is_told_of_the_referral(chat: Chat) -> None:
    # the hand-over ends the community's part: like a result, it reaches a private reporter too, who would
    # otherwise never learn to ask 12345 (#21 review)
    await chat.say("小红", "早上好", chat="room_jingyuan_2")
    await chat.say("小红", DOG, chat="private")
    resident = chat.id_of("小红")
    sent = await chat.say("李网格", f"/转12345 1 {WHY}", chat="private")
    assert [s.text for s in chat.to(sent, resident)] == [
        f"#1 超出社区职权，已转12345市民服务热线办理：{WHY}。后续进展可拨打12345查询。"
    ]
    assert chat.to(sent, resident)[0].mention_ids == ()
    assert ticket(chat, 1).state == "referred"


async def test_a_resident_who_asks_about_a_referred_ticket_is_told_where_it_went(chat: Chat) -> None:
    # "没有查到您反映的…事项" hid the hand-over and invited a second report of it (#21 review)
    assert await asks_after(chat, f"/转12345 1 {WHY}") == [
        (GROUP, f"#1【噪音扰民】已转12345市民服务热线办理：{WHY}。后续进展可拨打12345查询。")
    ]
    # once the rating window of a result has passed, it is old news: nothing open is left to ask about
    chat.clock.advance(timedelta(hours=chat.settings.rating_window_hours + 1))
    sent = await chat.say("周阿姨", "我反映的事怎么样了")
    assert [s.text for s in sent] == [chat.settings.texts.status_none]


async def test_an_emergency_is_handed_to_12345_only_by_someone_answering_for_the_community(chat: Chat) -> None:
    # like /退回: a grid worker could take a gas leak off the ladder with one line (#21 review)
    await chat.say("周阿姨", GAS)
    sent = await chat.say("张燕", "/转12345 1 燃气归燃气公司", chat="private")
    assert [s.text for s in sent] == ["#1 是紧急工单，不能转12345：请先处置并办结，或请社区书记处理。"]
    assert (ticket(chat, 1).state, actions(chat, 1)) == ("open", ["created"])
    await chat.say("王欢", "/转12345 1 燃气管网归燃气公司抢修", chat="private")
    assert ticket(chat, 1).state == "referred"
