"""Issue 6, closing the loop: ratings, reopening, 核查 and 返工, through the memory adapter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.settings import load_settings
from bot.runtime.app import build_app
from handlers.resident.rating import parse_rating, split_reply
from storage import stats
from storage.records import Ticket
from tests.chat import Chat
from tests.conftest import DATA, START, TZ

GROUP = "room_tiancheng_3"
DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
PARKING = "楼下停车位总被外面的车占了，我们自己的车没地方停"
NEIGHBOR = "楼上邻居总是往我家阳台扔烟头，说了几次也不听，两家吵了好几次"

PROMPT = "满意请回复“满意”，仍有问题请回复“不满意”。"
VERIFIER = "  - {id: wxid_verify, name: 赵核查, role: verifier}\n"
CATEGORIES = "categories:\n  parking: {verify: true}\n  neighbor: {sensitive: true}\n"


async def closing_chat(tmp_path: Path, db_url: str) -> Chat:
    """The test config plus a verifier, 核查 on parking and neighbour disputes marked sensitive."""
    base = (DATA / "config.yaml").read_text(encoding="utf-8")
    head, rest = base.split("grids:", 1)
    cfg = tmp_path / "closing.yaml"
    cfg.write_text(head + VERIFIER + "grids:" + rest + CATEGORIES, encoding="utf-8")
    settings = load_settings(cfg, env={})
    clock = FakeClock(START, TZ)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=db_url, clock=clock)
    await app.start()
    return Chat(app=app, adapter=adapter, clock=clock, settings=settings)


def ticket(chat: Chat, number: int) -> Ticket:
    with chat.app.services.store.begin() as uow:
        found = uow.tickets.get(number)
    assert found is not None
    return found


def actions(chat: Chat, number: int) -> list[str]:
    with chat.app.services.store.begin() as uow:
        return [e.action for e in uow.tickets.events(number)]


async def resolved_dog(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/办结 1 已与养狗住户沟通，晚上狗关在屋里", chat="private")


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("满意，谢谢小李", "satisfied"),
        ("满意", "satisfied"),
        ("5", "satisfied"),
        ("５分", "satisfied"),
        ("3", "basic"),
        ("基本满意吧", "basic"),
        ("还行", "basic"),
        ("不满意", "unsatisfied"),
        ("还是没解决", "unsatisfied"),
        ("又开始了，昨晚叫到一点", "unsatisfied"),
        ("1", "unsatisfied"),
        ("今天天气不错，楼下超市在打折，大家有空可以去看看买点东西", None),
    ],
)
def test_ratings_as_people_type_them(text: str, verdict: str | None) -> None:
    assert parse_rating(text) == verdict


def test_quoted_result_and_mentions_are_not_read_as_the_rating() -> None:
    quoted = "「网格助手：#12 已办结：已沟通\n" + PROMPT + "」\n- - - - - - - - - - - - - - -\n满意"
    assert split_reply(quoted) == ("满意", 12)
    assert split_reply("@网格助手\u2005#7 还是没解决") == ("还是没解决", 7)
    assert parse_rating(split_reply(quoted)[0]) == "satisfied"


async def test_satisfied_closes_quietly_and_a_later_relapse_reopens(chat: Chat) -> None:
    await resolved_dog(chat)
    assert await chat.say("周阿姨", "满意，谢谢小李") == []
    t = ticket(chat, 1)
    assert (t.state, t.rating) == ("closed", "satisfied")
    # the next evening, within the 48-hour window: "又开始了" reopens it at its level
    await chat.wait(timedelta(hours=30), step=timedelta(hours=1))
    sent = await chat.say("周阿姨", "又开始了，昨晚又叫到半夜")
    reopened_at = chat.clock.now()
    t = ticket(chat, 1)
    assert (t.state, t.level, t.holder_id, t.rating) == ("accepted", 1, "wxid_zhangyan", "unsatisfied")
    assert t.deadline_at == reopened_at + timedelta(hours=12)
    assert [(s.chat_id, s.text) for s in chat.to(sent, GROUP)] == [(GROUP, "#1 已重新交给张燕办理，会尽快给您答复。")]
    assert chat.to(sent, GROUP)[0].mention_ids == (chat.id_of("周阿姨"),)
    to_holder = chat.to(sent, "wxid_zhangyan")
    assert len(to_holder) == 1
    assert to_holder[0].text.startswith("#1【噪音扰民】反映人表示仍未解决，已重新打开，请在 11-25 03:00 前办理")
    assert actions(chat, 1)[-3:] == ["resolved", "rated", "reopened"]


async def test_unsatisfied_reopens_at_its_level_with_that_levels_deadline(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/转办 1 需要片区协调", chat="private")
    await chat.say("杨海霞", "/办结 1 已协调", chat="private")
    chat.clock.advance(timedelta(hours=1))
    sent = await chat.say("周阿姨", "@网格助手 不满意，还是天天叫")
    t = ticket(chat, 1)
    assert (t.state, t.level, t.holder_id) == ("accepted", 2, "wxid_yanghx")
    assert t.deadline_at == chat.clock.now() + timedelta(hours=12)
    assert [s.text for s in chat.to(sent, GROUP)] == ["#1 已重新交给杨海霞办理，会尽快给您答复。"]
    assert len(chat.to(sent, "wxid_yanghx")) == 1


async def test_no_answer_within_the_window_is_no_rating(chat: Chat) -> None:
    await resolved_dog(chat)
    await chat.wait(timedelta(hours=49), step=timedelta(hours=1))
    t = ticket(chat, 1)
    assert (t.state, t.rating) == ("closed", "")
    assert actions(chat, 1)[-1] == "closed"
    # too late to rate: a later "满意" changes nothing
    await chat.say("周阿姨", "满意")
    assert ticket(chat, 1).rating == ""
    assert "rated" not in actions(chat, 1)


async def test_two_results_to_rate_the_number_picks_one(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("周阿姨", PARKING)
    await chat.say("张燕", "/办结 1 已沟通", chat="private")
    await chat.say("张燕", "/办结 2 已挪车", chat="private")
    await chat.say("周阿姨", "#1 不满意")
    assert ticket(chat, 1).state == "accepted"
    assert ticket(chat, 2).state == "resolved"
    await chat.say("周阿姨", "满意")  # the one still asked about
    assert (ticket(chat, 2).state, ticket(chat, 2).rating) == ("closed", "satisfied")


async def test_quoting_the_result_rates_that_ticket(chat: Chat) -> None:
    await resolved_dog(chat)
    quote = "「网格助手：#1 已办结：已与养狗住户沟通\n" + PROMPT + "」\n- - - - - - - -\n满意"
    await chat.say("周阿姨", quote)
    assert (ticket(chat, 1).state, ticket(chat, 1).rating) == ("closed", "satisfied")


async def test_verification_holds_the_result_until_a_verifier_confirms(tmp_path: Path, db_url: str) -> None:
    chat = await closing_chat(tmp_path, db_url)
    await chat.say("周阿姨", PARKING)
    sent = await chat.say("张燕", "/办结 1 已联系车主挪车", chat="private")
    assert chat.to(sent, GROUP) == []  # nothing to the group before 核查
    staff = chat.to(sent, "room_staff")
    assert len(staff) == 1
    assert staff[0].mention_ids == ("wxid_verify",)
    assert staff[0].text.startswith("#1【停车问题】张燕已办结，请核查：已联系车主挪车")
    assert [s.text for s in chat.to(sent, "wxid_zhangyan")] == ["#1 已办结，等待赵核查核查，核查通过后结果发到原群。"]
    assert ticket(chat, 1).state == "verifying"
    # only a verifier (or the community-wide roles) may confirm
    refused = await chat.say("李网格", "/核查 1", chat="private")
    assert [s.text for s in refused] == ["只有核查员、社区书记或督办人员可以核查和返工。"]
    sent = await chat.say("赵核查", "/核查 1", chat="private")
    assert [s.text for s in chat.to(sent, "wxid_verify")] == ["#1 核查通过，结果已发给反映人。"]
    group = chat.to(sent, GROUP)
    assert [g.text.split("\n")[0] for g in group] == ["#1 已办结：已联系车主挪车"]
    await chat.say("周阿姨", "满意")
    assert (ticket(chat, 1).state, ticket(chat, 1).rating) == ("closed", "satisfied")
    assert actions(chat, 1) == ["created", "accepted", "resolved", "verified", "rated"]
    chat.app.services.store.dispose()


async def test_rework_sends_it_back_with_a_new_deadline(tmp_path: Path, db_url: str) -> None:
    chat = await closing_chat(tmp_path, db_url)
    await chat.say("周阿姨", PARKING)
    await chat.say("张燕", "/办结 1 已联系车主挪车", chat="private")
    chat.clock.advance(timedelta(hours=2))
    sent = await chat.say("赵核查", "/核查 1 不通过 外来车还占着车位", chat="private")
    assert [s.text for s in chat.to(sent, "wxid_verify")] == ["#1 已退回张燕返工。"]
    to_worker = chat.to(sent, "wxid_zhangyan")
    assert [s.text for s in to_worker] == [
        "#1【停车问题】核查未通过，需要返工：外来车还占着车位。请在 11-23 23:00 前重新办结。"
    ]
    t = ticket(chat, 1)
    assert (t.state, t.holder_id, t.deadline_at) == ("accepted", "wxid_zhangyan", START + timedelta(hours=14))
    assert chat.to(sent, GROUP) == []
    # the second 办结 goes to the verifier again; /返工 works the same as 核查 不通过
    await chat.say("张燕", "/办结 1 已拖车", chat="private")
    await chat.say("赵核查", "/返工 1 车位仍被占", chat="private")
    assert actions(chat, 1).count("rework") == 2
    bad = await chat.say("赵核查", "/返工 1", chat="private")
    assert [s.text for s in bad] == ["请写明返工原因，例如：/返工 1 灯仍不亮"]
    # resolved in time and verified at last: still not on time, because it was reworked
    await chat.say("张燕", "/办结 1 已请物业加装地锁", chat="private")
    await chat.say("赵核查", "/核查 1 通过", chat="private")
    with chat.app.services.store.begin() as uow:
        figures = stats.digest_figures(uow, "default", START, chat.clock.now() + timedelta(minutes=1))
    assert (figures.total.closed, figures.total.on_time) == (1, 0)
    chat.app.services.store.dispose()


async def test_sensitive_category_is_answered_privately(tmp_path: Path, db_url: str) -> None:
    chat = await closing_chat(tmp_path, db_url)
    resident = chat.id_of("孙女士")
    sent = await chat.say("孙女士", NEIGHBOR)
    assert chat.to(sent, GROUP) == []
    assert next(s.text for s in chat.to(sent, resident)).startswith("您反映的情况已登记为 #1【邻里纠纷】")
    sent = await chat.say("张燕", "/办结 1 已上门调解", chat="private")
    assert chat.to(sent, GROUP) == []
    private = chat.to(sent, resident)
    assert [s.text.split("\n")[0] for s in private] == ["#1【邻里纠纷】已办结：已上门调解"]
    assert private[0].mention_ids == ()
    await chat.say("孙女士", "满意", chat="private")
    assert ticket(chat, 1).rating == "satisfied"
    chat.app.services.store.dispose()


async def test_help_lists_the_closing_commands_by_role(tmp_path: Path, db_url: str) -> None:
    chat = await closing_chat(tmp_path, db_url)
    worker = (await chat.say("张燕", "/帮助", chat="private"))[0].text
    verifier = (await chat.say("赵核查", "/帮助", chat="private"))[0].text
    supervisor = (await chat.say("严主任", "/帮助", chat="private"))[0].text
    assert "/积分" in worker
    assert "/排行" in worker
    assert "/核查" not in worker
    assert "/日报" not in worker
    assert "/核查" in verifier
    assert "/日报" not in verifier
    assert "/核查" in supervisor
    assert "/日报 /周报 /月报" in supervisor
    chat.app.services.store.dispose()


async def test_asking_in_the_group_about_a_sensitive_ticket_is_answered_privately(tmp_path: Path, db_url: str) -> None:
    chat = await closing_chat(tmp_path, db_url)
    resident = chat.id_of("孙女士")
    await chat.say("孙女士", NEIGHBOR)
    await chat.say("孙女士", DOG)
    chat.new()
    sent = await chat.say("孙女士", "我反映的事怎么样了")
    # the group hears only of the dog; the neighbour dispute goes to her alone
    assert [s.text for s in chat.to(sent, GROUP)] == ["#2【噪音扰民】正在办理中，目前由张燕跟进。"]
    assert [s.text for s in chat.to(sent, resident)] == ["#1【邻里纠纷】正在办理中，目前由张燕跟进。"]
    chat.app.services.store.dispose()
