"""Likely requests (#16): what the classifier is unsure of reaches the grid worker privately, in batches;
/登记 N registers it for the resident with the usual group reply, /忽略 N dismisses it, both teach the
classifier; an item nobody decides lapses after 48 hours. The group hears nothing until a person decides.

The classifier's own verdicts are tested in tests/nlp; here fixed verdicts isolate the handlers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from handlers.deps import Services
from nlp.classifier import Classification
from storage.states import LikelyState
from tests.chat import Chat
from tests.conftest import TZ

UNSURE_TEXT = "门口那个东西一直在那儿,挡着大家走路"
# the real verdict type, so a field added to it cannot be missing here
LIKELY = Classification("occupation", False, "normal", likely=True, confidence=0.5)
LIKELY_URGENT = Classification("safety", False, "urgent", likely=True, confidence=0.5)
NOTHING = Classification("none", False, "normal")


class FixedClassifier:
    def __init__(self, verdict: Classification) -> None:
        self.verdict = verdict

    def classify(self, text: str) -> Classification:
        return self.verdict


def verdict(chat: Chat, fixed: Classification) -> None:
    services: Services = chat.app.services
    chat.app.services = replace(services, classifier=FixedClassifier(fixed))  # type: ignore[arg-type]


def item(chat: Chat, number: int = 1):  # type: ignore[no-untyped-def]
    with chat.app.services.store.begin() as uow:
        return uow.likely.get(number)


async def test_a_likely_request_says_nothing_in_the_group_and_reaches_the_worker_in_a_batch(chat: Chat) -> None:
    verdict(chat, LIKELY)
    assert await chat.say("周阿姨", UNSURE_TEXT) == []
    assert await chat.say("刘先生", "楼下那个也是，一直没人管") == []
    sent = await chat.wait(timedelta(minutes=5))
    assert [s.chat_id for s in sent] == ["wxid_zhangyan"]  # one private message for both
    lines = sent[0].text.split("\n")
    assert lines[0].startswith("有 2 条消息可能是居民诉求")
    assert lines[1] == (f"1. 疑似诉求（第十网格·美景天城3栋）周阿姨：{UNSURE_TEXT} 回复 /登记 1 立案，/忽略 1 不处理")
    assert lines[2].startswith("2. 疑似诉求（第十网格·美景天城3栋）刘先生：")
    assert await chat.wait(timedelta(minutes=30)) == []  # sent once, not at every tick
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.find() == []


async def test_register_opens_the_residents_ticket_with_the_usual_group_reply(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    await chat.wait(timedelta(minutes=5))
    sent = await chat.say("张燕", "/登记 1", chat="private")
    group = chat.to(sent, "room_tiancheng_3")
    assert [chat.render(s) for s in group] == ["@周阿姨 @张燕 已登记 #1【占道堆物】，由张燕跟进，12小时内给您回复。"]
    assert [s.text for s in chat.to(sent, "wxid_zhangyan")] == ["疑似诉求 1 已登记为 #1【占道堆物】，由张燕跟进。"]
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        held = uow.likely.get(1)
        taught = uow.tickets.corrections()
    assert ticket is not None
    assert ticket.reporter_id == chat.id_of("周阿姨")
    assert ticket.text == UNSURE_TEXT
    assert ticket.deadline_at is not None  # the ladder's clock runs as for any ticket
    assert held is not None
    assert held.state == LikelyState.REGISTERED
    assert held.ticket_id == 1
    assert taught == [(UNSURE_TEXT, "occupation")]  # a correction the classifier learns from


async def test_register_with_another_category(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    sent = await chat.say("张燕", "/登记 1 停车", chat="private")
    assert chat.to(sent, "room_tiancheng_3")[0].text.startswith("已登记 #1【停车问题】")


async def test_dismiss_changes_nothing_in_the_group_and_is_a_correction(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    sent = await chat.say("张燕", "/忽略 1", chat="private")
    assert [(s.chat_id, s.text) for s in sent] == [("wxid_zhangyan", "已忽略疑似诉求 1，群里不会有任何消息。")]
    assert await chat.wait(timedelta(minutes=10)) == []  # dismissed before its batch: never sent
    again = await chat.say("张燕", "/登记 1", chat="private")
    assert [s.text for s in again] == ["疑似诉求 1 已处理过（已忽略）。"]
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.find() == []
        assert uow.likely.corrections() == [(UNSURE_TEXT, "none")]


async def test_only_staff_within_reach_decide(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    refused = await chat.say("李网格", "/登记 1", chat="private")  # 第十一网格's worker
    assert [s.text for s in refused] == ["疑似诉求 1 不在您负责的网格。"]
    assert [s.text for s in await chat.say("张燕", "/忽略 99", chat="private")] == ["没有找到疑似诉求 99。"]
    assert [s.text for s in await chat.say("张燕", "/忽略", chat="private")] == ["请带上疑似诉求的编号，例如：/忽略 58"]
    huge = await chat.say("张燕", "/登记 99999999999999999999", chat="private")
    assert [s.text for s in huge] == ["没有找到疑似诉求 99999999999999999999。"]
    odd = await chat.say("张燕", "/登记 1.5", chat="private")
    assert [s.text for s in odd] == ["“1.5”不是工单号：工单号只写数字，后面空一格再写内容，例如：/登记 1024"]
    held = item(chat)
    assert held is not None
    assert held.state == LikelyState.WAITING
    # the community's secretary may decide for any grid
    sent = await chat.say("王欢", "/登记 1", chat="private")
    assert chat.to(sent, "room_tiancheng_3")[0].text.startswith("已登记 #1")


async def test_an_item_nobody_decides_lapses_after_48_hours(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    with chat.app.services.store.begin() as uow:
        assert uow.likely.waiting_for(["wxid_zhangyan"]) == 1
    await chat.wait(timedelta(hours=48), step=timedelta(minutes=30))
    lapsed = item(chat)
    assert lapsed is not None
    assert lapsed.state == LikelyState.LAPSED
    late = await chat.say("张燕", "/登记 1", chat="private")
    assert [s.text for s in late] == ["疑似诉求 1 已处理过（已过期失效）。"]
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.find() == []
        assert uow.likely.waiting_for(["wxid_zhangyan"]) == 0


async def test_batches_wait_out_quiet_hours_unless_it_may_be_an_emergency(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.at(datetime(2026, 11, 23, 23, 0, tzinfo=TZ))
    chat.new()
    await chat.say("周阿姨", UNSURE_TEXT)
    night = await chat.at(datetime(2026, 11, 24, 7, 0, tzinfo=TZ))
    assert night == []
    verdict(chat, LIKELY_URGENT)
    await chat.say("刘先生", "好像有点什么味道")
    soon = await chat.wait(timedelta(minutes=5))
    assert [s.chat_id for s in soon] == ["wxid_zhangyan"]
    assert "【可能紧急】" in soon[0].text
    assert "刘先生" in soon[0].text
    assert "周阿姨" not in soon[0].text
    morning = await chat.at(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    assert [s.chat_id for s in morning] == ["wxid_zhangyan"]
    assert "周阿姨" in morning[0].text


async def test_the_batch_and_the_lapse_are_stored_timers_the_scheduler_sees(chat: Chat) -> None:
    verdict(chat, LIKELY)
    store = chat.app.services.store
    before = store.next_due_time()
    await chat.say("周阿姨", UNSURE_TEXT)
    due = store.next_due_time()
    assert due is not None
    assert due <= chat.clock.now() + timedelta(minutes=5)
    assert before is None or due < before
    await chat.wait(timedelta(minutes=5))
    later = store.next_due_time()  # now the lapse, 48 hours on
    assert later is not None
    assert later >= chat.clock.now() + timedelta(hours=47)


async def test_mine_shows_how_many_wait(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    await chat.say("刘先生", "那个事情也麻烦看一下")
    sent = await chat.say("张燕", "/我的", chat="private")
    assert "另有 2 条疑似诉求待您确认" in sent[0].text


async def test_a_private_message_is_never_met_with_silence(chat: Chat) -> None:
    verdict(chat, NOTHING)
    await chat.say("吴女士", "早上好", chat="room_tiancheng_3")
    chat.new()
    sent = await chat.say("吴女士", "你们那边周末有人值班吗", chat="private")
    assert [s.text for s in sent] == ["收到，已转给张燕，看过后会回复您。"]
    batch = await chat.wait(timedelta(minutes=5))
    assert [s.chat_id for s in batch] == ["wxid_zhangyan"]
    assert "（第十网格·私聊）吴女士" in batch[0].text


async def test_a_resident_who_writes_english_is_answered_in_english(chat: Chat) -> None:
    verdict(chat, Classification("repairs", True, "normal", lang="en"))
    sent = await chat.say("Tom", "The elevator in building 3 is broken again")
    assert [s.text for s in chat.to(sent, "room_tiancheng_3")] == [
        "Registered as #1 (repairs). 张燕 will follow it up and reply within 12 hours."
    ]
    verdict(chat, Classification("safety", True, "urgent", lang="en"))
    urgent = await chat.say("Anna", "URGENT: strong gas smell in the stairwell of building 3")
    text = chat.to(urgent, "room_tiancheng_3")[0].text
    assert text.startswith("Registered as #2 (safety hazard), URGENT:")
    assert "call 119" in text


@pytest.mark.parametrize(
    "text",
    [
        "天然气管道好像漏了,嘶嘶响",
        "有个老人在小区花园摔倒了起不来，头上出血了",
        "URGENT: strong gas smell in the stairwell of building 3",
        "喂 三栋那个楼道里头冒烟了哦 好大的烟",
        "煤气好似漏咗啊 好大阵味",
    ],
)
async def test_an_emergency_at_3am_gets_the_advice_and_the_alarm(chat: Chat, text: str) -> None:
    """The real classifier: plain words, dialect and English, in the middle of the night."""
    await chat.at(datetime(2026, 11, 24, 3, 0, tzinfo=TZ))
    chat.new()
    sent = await chat.say("周阿姨", text)
    group = chat.to(sent, "room_tiancheng_3")
    assert len(group) == 1
    assert "紧急" in group[0].text or "URGENT" in group[0].text
    assert "119" in group[0].text  # the advice
    assert chat.to(sent, "room_staff"), "the staff chat is alarmed at once, quiet hours or not"


async def test_gridbot_nlp_train_reads_both_decisions(chat: Chat) -> None:
    from bot.cli.nlp import _database_rows

    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    await chat.say("刘先生", "楼下好热闹啊今天")
    await chat.say("张燕", "/登记 1", chat="private")
    await chat.say("张燕", "/忽略 2", chat="private")
    rows = _database_rows(chat.app.services.store.url, True)
    assert sorted(rows) == sorted([(UNSURE_TEXT, "occupation"), ("楼下好热闹啊今天", "none")])


@pytest.mark.parametrize("text", ["我家老人摔倒了起不来", "我老公又打我了，我不敢回家"])
async def test_an_emergency_in_private_gets_the_advice_and_the_alarm(chat: Chat, text: str) -> None:
    """#22: these got silence. The real classifier; the resident wrote in a group before (their grid)."""
    await chat.say("吴女士", "早上好", chat="room_tiancheng_3")
    chat.new()
    sent = await chat.say("吴女士", text, chat="private")
    resident = chat.id_of("吴女士")
    answer = chat.to(sent, resident)
    assert len(answer) == 1
    assert "紧急" in answer[0].text
    assert "110" in answer[0].text  # the advice
    assert chat.to(sent, "room_staff"), "the staff chat is alarmed"


async def test_the_timeline_of_a_registered_likely_request_names_every_step_in_chinese(chat: Chat) -> None:
    verdict(chat, LIKELY)
    await chat.say("周阿姨", UNSURE_TEXT)
    await chat.say("张燕", "/登记 1", chat="private")
    shown = await chat.say("张燕", "/查询 1", chat="private")
    lines = shown[0].text.split("\n")
    assert lines[-1].endswith("张燕 补单：补登记")  # it showed the stored action, "missed"
    assert not any(ch.isascii() and ch.isalpha() for line in lines[-2:] for ch in line)
