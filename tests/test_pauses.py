"""Issue 21: /挂起 stops a ticket's clock while it waits on the resident or a third party, /恢复 (or the
maximum pause) starts it again with its deadlines moved by the time it stood still."""

from __future__ import annotations

from datetime import timedelta

from handlers.jobs import digest
from storage import stats
from storage.overview_queries import headline
from storage.web_queries import Scope
from tests.chat import Chat
from tests.conftest import START
from tests.test_rating import DOG, actions, ticket
from tests.test_urgent_reports import GAS
from web import export

GROUP = "room_tiancheng_3"
AWAY = "住户不在家，约好周三上门"


async def test_a_pause_stops_the_clock_and_resume_moves_the_deadlines(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    before = ticket(chat, 1)
    assert before.deadline_at == START + timedelta(hours=12)
    await chat.wait(timedelta(hours=1))
    sent = await chat.say("张燕", f"/挂起 1 {AWAY}", chat="private")
    assert [(s.chat_id, s.text) for s in sent] == [
        (GROUP, f"#1 已挂起：{AWAY}。条件具备后继续办理，最迟 11-30 10:00 恢复。"),
        ("wxid_zhangyan", f"#1 已挂起：{AWAY}。计时暂停，最迟 11-30 10:00 自动恢复（/恢复 1 可提前恢复）。"),
    ]
    assert sent[0].mention_ids == (chat.id_of("周阿姨"),)
    paused = ticket(chat, 1)
    assert (paused.paused_at, paused.resume_at) == (START + timedelta(hours=1), START + timedelta(days=7, hours=1))
    assert paused.next_due_at == paused.resume_at  # a stored timer: the scheduler and replay see it
    assert chat.app.services.store.next_due_time() == paused.resume_at
    # two days pass: no reminder, no escalation, no 12-hour status line
    assert await chat.wait(timedelta(hours=48), step=timedelta(hours=1)) == []
    assert ticket(chat, 1).level == 1
    sent = await chat.say("张燕", "/恢复 1", chat="private")
    assert [(s.chat_id, s.text) for s in sent] == [
        (GROUP, "#1 已恢复办理，由张燕跟进。"),
        ("wxid_zhangyan", "#1 已恢复办理，期限顺延至 11-25 21:00。"),
    ]
    resumed = ticket(chat, 1)
    assert resumed.deadline_at == before.deadline_at + timedelta(hours=48)
    assert before.remind_at is not None
    assert resumed.remind_at == before.remind_at + timedelta(hours=48)
    assert (resumed.paused_at, resumed.resume_at) == (None, None)
    assert actions(chat, 1) == ["created", "paused", "resumed"]
    # and the clock runs again: the moved deadline escalates
    await chat.wait(timedelta(hours=12), step=timedelta(minutes=30))
    assert ticket(chat, 1).level == 2


async def test_the_maximum_pause_resumes_by_itself(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/挂起 1 等配件到货", chat="private")
    sent = await chat.wait(timedelta(days=7), step=timedelta(hours=1))
    assert [(s.chat_id, s.text) for s in sent] == [
        (GROUP, "#1 已恢复办理，由张燕跟进。"),
        ("room_staff", "#1【噪音扰民】挂起已满7天，已自动恢复办理，期限顺延至 11-30 21:00。"),
    ]
    assert chat.to(sent, "room_staff")[0].mention_ids == ("wxid_zhangyan",)
    t = ticket(chat, 1)
    assert (t.paused_at, t.deadline_at) == (None, START + timedelta(days=7, hours=12))
    with chat.app.services.store.begin() as uow:
        last = uow.tickets.events(1)[-1]
    assert (last.action, last.note, last.data) == ("resumed", "挂起期满，自动恢复", '{"hours": 168.0}')


async def test_urgent_tickets_cannot_be_paused_and_wrong_uses_change_nothing(chat: Chat) -> None:
    await chat.say("周阿姨", GAS)
    sent = await chat.say("张燕", "/挂起 1 等燃气公司", chat="private")
    assert [s.text for s in sent] == ["#1 是紧急工单，不能挂起，请尽快处置。"]
    assert ticket(chat, 1).paused_at is None
    await chat.say("周阿姨", DOG)
    for command, answer in (
        ("/恢复 2", "#2 没有挂起，无需恢复。"),
        ("/挂起 2", "请写明挂起原因，例如：/挂起 2 住户不在家，约好周六上门"),
    ):
        assert [s.text for s in await chat.say("张燕", command, chat="private")] == [answer]
    assert actions(chat, 2) == ["created"]
    await chat.say("张燕", "/挂起 2 住户出差", chat="private")
    sent = await chat.say("张燕", "/挂起 2 又出差", chat="private")
    assert [s.text for s in sent] == ["#2 已在挂起中，最迟 11-30 09:00 自动恢复。"]
    assert actions(chat, 2) == ["created", "paused"]


async def test_resolving_a_paused_ticket_resumes_it_and_is_on_time(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", f"/挂起 1 {AWAY}", chat="private")
    await chat.wait(timedelta(hours=30), step=timedelta(hours=1))  # past the original 12-hour deadline
    await chat.say("张燕", "/办结 1 已上门沟通", chat="private")
    assert actions(chat, 1) == ["created", "paused", "resumed", "accepted", "resolved"]
    with chat.app.services.store.begin() as uow:
        resolved = uow.tickets.events(1)[-1]
    assert '"on_time": true' in resolved.data
    t = ticket(chat, 1)
    assert (t.state, t.paused_at, t.resume_at, t.next_due_at) == ("resolved", None, None, None)


async def test_the_digest_counts_tickets_paused_at_any_time_in_the_period(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("周阿姨", "楼下停车位总被外面的车占了，我们自己的车没地方停")
    await chat.say("张燕", "/挂起 1 等物业", chat="private")  # paused and resumed within the week
    await chat.say("张燕", "/恢复 1", chat="private")
    await chat.say("张燕", "/挂起 2 住户不在家", chat="private")  # still paused a week later
    await chat.wait(timedelta(days=6), step=timedelta(hours=6))
    community = chat.settings.all_communities[0]
    with chat.app.services.store.begin() as uow:
        whole = digest.compose(uow, chat.settings, community, "week", chat.clock.now())
        later = digest.compose(uow, chat.settings, community, "week", chat.clock.now() + timedelta(days=2))
    assert "· 挂起 2 · " in whole.text
    # #1 ran on and went up the ladder; #2's deadline passed on the wall clock only, not on its own
    assert "在办 2 · 超期 1\n" in whole.text
    assert "#1【噪音扰民】" in whole.text
    assert "#2【" not in whole.text
    assert "· 挂起 1 · " in later.text  # #1's pause lies before this week; #2 is still paused


async def test_a_paused_ticket_that_becomes_urgent_runs_again(chat: Chat) -> None:
    await chat.say("周阿姨", "2单元水管漏水了，麻烦处理一下")
    await chat.say("张燕", "/挂起 1 等物业的配件", chat="private")
    chat.clock.advance(timedelta(hours=5))
    await chat.say("刘大爷", "2单元水管爆了，水漫到楼道了！")
    t = ticket(chat, 1)
    assert (t.urgency, t.paused_at, t.resume_at) == ("urgent", None, None)
    assert t.deadline_at is not None
    assert t.next_due_at is not None
    assert t.next_due_at <= chat.clock.now() + timedelta(hours=2)
    assert actions(chat, 1)[-3:] == ["joined", "resumed", "urgent"]


async def test_a_paused_ticket_shows_as_paused_and_is_not_overdue(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/挂起 1 等配件", chat="private")
    await chat.wait(timedelta(hours=14), step=timedelta(hours=1))  # past the frozen 12-hour deadline
    mine = await chat.say("张燕", "/我的", chat="private")
    assert "#1【噪音扰民】已挂起" in mine[0].text
    shown = await chat.say("张燕", "/查询 1", chat="private")
    assert "已挂起" in shown[0].text
    assert "挂起中：最迟 11-30 09:00 自动恢复" in shown[0].text
    now = chat.clock.now()
    with chat.app.services.store.begin() as uow:
        page = headline(uow, Scope(community_ids=("default",)), now, now - timedelta(days=1), now - timedelta(days=7))
    assert (page.open, page.overdue) == (1, 0)  # the page's figures


async def asks_after(chat: Chat, command: str) -> list[tuple[str, str]]:
    """周阿姨 reports the dog, 张燕 sends `command` about it, 周阿姨 asks how it is going: the answers."""
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", command, chat="private")
    return [(s.chat_id, s.text) for s in await chat.say("周阿姨", "我反映的事怎么样了")]


async def test_a_resident_who_asks_about_a_paused_ticket_is_told_it_waits_and_why(chat: Chat) -> None:
    # "正在办理中" while the clock stands still told the resident the opposite of the pause line (#21 review)
    assert await asks_after(chat, f"/挂起 1 {AWAY}") == [
        (GROUP, f"#1【噪音扰民】已挂起：{AWAY}。条件具备后继续办理，最迟 11-30 09:00 恢复，由张燕跟进。")
    ]
    await chat.say("张燕", "/恢复 1", chat="private")
    sent = await chat.say("周阿姨", "我反映的事怎么样了")
    assert [s.text for s in sent] == ["#1【噪音扰民】正在办理中，目前由张燕跟进。"]


async def test_the_page_and_the_export_show_a_paused_ticket_as_paused(chat: Chat) -> None:
    # the list and the export said 待接单 beside a deadline already past and no 超期: why, nobody could tell
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/挂起 1 等配件", chat="private")
    await chat.wait(timedelta(hours=14), step=timedelta(hours=1))
    row = export.row(chat.settings, ticket(chat, 1), chat.clock.now())
    assert (row["状态"], row["是否超期"]) == ("已挂起", "")
    await chat.say("张燕", "/恢复 1", chat="private")
    assert export.row(chat.settings, ticket(chat, 1), chat.clock.now())["状态"] == "待接单"


async def test_a_pause_is_an_answer_for_the_response_rate(chat: Chat) -> None:
    # the group read why it waits: a worker who went, found nobody at home and paused it was counted as
    # never having answered in 响应率 (#21 review), though a 转12345 counts
    await chat.say("周阿姨", DOG)
    await chat.wait(timedelta(hours=1))
    await chat.say("张燕", f"/挂起 1 {AWAY}", chat="private")
    await chat.wait(timedelta(hours=13), step=timedelta(hours=1))  # past the promise
    promise = timedelta(hours=chat.settings.promise_hours)
    with chat.app.services.store.begin() as uow:
        rates = stats.community_rates(uow, "default", START, chat.clock.now(), promise).community
    assert (rates.due, rates.responded) == (1, 1)
    assert ticket(chat, 1).first_response_at == START + timedelta(hours=1)
