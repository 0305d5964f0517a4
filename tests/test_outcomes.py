"""Issue 21: 办结's outcomes beyond 已解决 — 部分解决 (what is left goes on as a ticket) and 无法解决 (why, and
where it was referred) — told honestly to the residents, rated, and counted in the weekly digest."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.core.settings import Settings
from bot.core.settings_work import ScoreWeights
from handlers.domain.rates import score
from handlers.jobs import digest
from storage.stats import Rates
from tests.chat import Chat
from tests.test_rating import DOG, PROMPT, actions, ticket

GROUP = "room_tiancheng_3"
PARTIAL = "/办结 1 部分解决：已和住户沟通，晚上狗关在屋里 剩余：白天还叫，等物业协调"
UNSOLVED = "/办结 1 无法解决：养犬登记归公安管理，社区无执法权 转交：派出所"


def resolved_data(chat: Chat, number: int) -> dict[str, object]:
    with chat.app.services.store.begin() as uow:
        found = [e for e in uow.tickets.events(number) if e.action == "resolved"]
    return dict(json.loads(found[-1].data))


async def test_plain_resolve_is_solved(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/办结 1 已与养狗住户沟通", chat="private")
    assert ticket(chat, 1).outcome == "solved"
    assert resolved_data(chat, 1)["outcome"] == "solved"


async def test_partly_solved_tells_what_is_left_and_carries_it_on_as_a_ticket(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", PARTIAL, chat="private")
    assert [s.text for s in chat.to(sent, GROUP)] == [
        "#1 部分解决：已和住户沟通，晚上狗关在屋里\n未解决部分：白天还叫，等物业协调，已登记为 #2 继续办理。\n" + PROMPT
    ]
    assert chat.to(sent, GROUP)[0].mention_ids == (chat.id_of("周阿姨"),)
    assert [s.text for s in chat.to(sent, "wxid_zhangyan")] == [
        "#1 已办结（部分解决），未解决部分已登记为 #2，由张燕跟进。"
    ]
    first, left = ticket(chat, 1), ticket(chat, 2)
    assert (first.state, first.outcome, first.result, first.outcome_note) == (
        "resolved",
        "partial",
        "已和住户沟通，晚上狗关在屋里",
        "白天还叫，等物业协调",
    )
    assert resolved_data(chat, 1) == {
        "on_time": True,
        "outcome": "partial",
        "left": "白天还叫，等物业协调",
        "followup": 2,
    }
    assert (left.state, left.holder_id, left.text, left.category, left.chat_id) == (
        "accepted",
        "wxid_zhangyan",
        "白天还叫，等物业协调",
        first.category,
        GROUP,
    )
    assert left.deadline_at is not None  # its own deadlines
    assert actions(chat, 2) == ["created", "continued", "accepted"]
    # the part done is rated like any result; the follow-up stays open
    assert await chat.say("周阿姨", "基本满意") == []
    assert (ticket(chat, 1).state, ticket(chat, 1).rating) == ("closed", "basic")
    assert ticket(chat, 2).state == "accepted"


async def test_unsolved_carries_why_and_the_body_it_was_referred_to(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", UNSOLVED, chat="private")
    assert [s.text for s in chat.to(sent, GROUP)] == [
        "#1 无法解决：养犬登记归公安管理，社区无执法权。已转交派出所\n" + PROMPT
    ]
    t = ticket(chat, 1)
    assert (t.state, t.outcome, t.result, t.outcome_note) == (
        "resolved",
        "unsolved",
        "养犬登记归公安管理，社区无执法权",
        "派出所",
    )
    assert resolved_data(chat, 1)["referred_to"] == "派出所"
    assert await chat.say("周阿姨", "满意") == []  # an honest "cannot" is rated too
    assert ticket(chat, 1).rating == "satisfied"


async def test_unsolved_without_a_body_and_the_status_answer(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/办结 1 无法解决：住户拒绝沟通", chat="private")
    assert [s.text for s in chat.to(sent, GROUP)] == ["#1 无法解决：住户拒绝沟通\n" + PROMPT]
    sent = await chat.say("周阿姨", "我反映的事怎么样了")
    assert [s.text for s in chat.to(sent, GROUP)] == [
        "#1【噪音扰民】已办结：无法解决：住户拒绝沟通。如仍有问题，请回复“不满意”。"
    ]


async def test_an_outcome_without_its_parts_is_refused_and_changes_nothing(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    for command, answer in (
        ("/办结 1 部分解决：晚上狗关在屋里", "部分解决请写明已办的和剩余的"),
        ("/办结 1 部分解决 剩余：白天还叫", "部分解决请写明已办的和剩余的"),
        ("/办结 1 无法解决", "无法解决请写明原因"),
        ("/办结 1 无法解决：不归社区管 转交：", "无法解决请写明原因"),
        ("/办结 1 已解决", "请写明办理结果"),
    ):
        sent = await chat.say("张燕", command, chat="private")
        assert [s.chat_id for s in sent] == ["wxid_zhangyan"], command
        assert sent[0].text.startswith(answer), command
    assert ticket(chat, 1).state == "open"
    assert actions(chat, 1) == ["created"]


async def test_the_weekly_digest_counts_each_outcome(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("周阿姨", "楼下停车位总被外面的车占了，我们自己的车没地方停")
    await chat.say("张燕", PARTIAL, chat="private")
    await chat.say("张燕", "/办结 2 无法解决：消防通道归消防部门 转交：消防救援站", chat="private")
    await chat.say("张燕", "/办结 3 已请物业协调，白天也关好", chat="private")  # the follow-up, solved
    chat.clock.advance(timedelta(hours=1))
    with chat.app.services.store.begin() as uow:
        community = chat.settings.all_communities[0]
        week = digest.compose(uow, chat.settings, community, "week", chat.clock.now())
        day = digest.compose(uow, chat.settings, community, "day", chat.clock.now())
    assert "新增 3 · 办结 3 · 在办 0" in week.text
    assert "\n部分解决 1 · 无法解决 1 · 挂起 0 · 转12345 0\n" in week.text
    assert "部分解决" not in day.text  # the daily digest stays short


def test_the_combined_score_weighs_the_rates_that_have_something_to_count(settings: Settings) -> None:
    everything = Rates(due=5, responded=3, closed=4, solved=4, rated=4, satisfied=3)
    assert score(settings, everything) == pytest.approx(30 * 0.6 + 35 * 1 + 35 * 0.75)
    assert score(settings, Rates(due=2, responded=1)) == pytest.approx(50)  # no closures, no ratings yet
    assert score(settings, Rates()) is None
    weights = ScoreWeights(response=0, solved=1, satisfied=1)
    custom = settings.model_copy(update={"digests": settings.digests.model_copy(update={"score_weights": weights})})
    assert score(custom, everything) == pytest.approx(100 * (1 + 0.75) / 2)
