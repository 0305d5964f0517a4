"""Issues 17 and 22: careless and hostile commands get a precise answer and change nothing — malformed and
huge ticket numbers, /退回 of an urgent ticket, /合并 N N, /转办 to the grid it is in or to another community,
/代班 bounds, /绑定 across communities, /积分 of another community's person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.texts import Texts
from bot.runtime.app import build_app
from handlers.domain import tickets
from tests.chat import Chat
from tests.conftest import START, TZ
from tests.web.seed import web_settings

T = Texts()
DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
GAS = "3栋2单元楼道里有煤气味，很浓！"


def state(chat: Chat) -> list[tuple[Any, ...]]:
    """Every ticket with its events, the stand-ins and the group bindings: what a refused command must not touch."""
    with chat.app.services.store.begin() as uow:
        rows: list[tuple[Any, ...]] = [(t, [e.action for e in uow.tickets.events(t.id)]) for t in uow.tickets.find()]
        rows.append(tuple(sorted(uow.directory.standins(chat.clock.now()).items())))
        rows.append(tuple((c, uow.chats.get(c)) for c in ("room_tiancheng_3", "room_new", "room_longcheng_9")))
    return rows


def open_tickets(chat: Chat, count: int, grid_id: str = "g10", *, deadlines: bool = True) -> None:
    settings = chat.app.services.settings
    grid = settings.grids_by_id[grid_id]
    with chat.app.services.turn() as deps:
        for i in range(count):
            t = tickets.open_ticket(
                deps,
                msg=None,
                chat_id=grid.groups[0],
                chat_topic="楼",
                reporter_id=f"wxid_res_{i}",
                reporter_name="周阿姨",
                text=f"第{i}件事",
                category="noise",
                urgency="normal",
                grid=grid,
                community=settings.community_of_grid[grid_id],
            )
            if not deadlines:
                tickets.update(deps, t, **tickets.NO_DEADLINES)


async def refused(chat: Chat, who: str, text: str, answer: str, where: str = "private") -> None:
    """`who` types `text`: exactly `answer` comes back, to them, and nothing else changes."""
    before = state(chat)
    chat.clock.advance(timedelta(seconds=10))
    sent = await chat.say(who, text, chat=where)
    assert [s.text for s in sent] == [answer], text
    assert state(chat) == before, text


# -- ticket numbers (issue 22, item 4) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "given"),
    [
        ("/进展 7.5 已上门", "7.5"),
        ("/接单 1.5", "1.5"),
        ("/接单 1; DROP TABLE tickets;--", "1;"),
        ("/接单 7,已上门", "7,已上门"),
        ("/办结 7.0 修好了", "7.0"),
        ("/核查 7.5", "7.5"),
        ("/合并 7 1.5", "1.5"),
        ("/合并 7.5 1", "7.5"),
    ],
)
async def test_a_malformed_ticket_number_is_the_format_answer(chat: Chat, text: str, given: str) -> None:
    open_tickets(chat, 7)
    verb = text[1:].split()[0]
    who = "王欢" if verb == "核查" else "张燕"
    await refused(chat, who, text, T.err_bad_ticket.format(given=given, verb=verb))


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "0"])
@pytest.mark.parametrize("verb", ["接单", "进展", "核查", "合并"])
async def test_a_number_past_any_ticket_is_not_found(chat: Chat, number: str, verb: str) -> None:
    open_tickets(chat, 1)
    text = {"进展": f"/进展 {number} 已上门", "合并": f"/合并 {number} 1"}.get(verb, f"/{verb} {number}")
    await refused(chat, "王欢", text, T.err_no_ticket.format(ticket=int(number)))


# -- careless commands (issue 22, item 7) ---------------------------------------------------------------


async def test_an_urgent_ticket_is_not_rejected_below_the_community_level(chat: Chat) -> None:
    await chat.say("周阿姨", GAS)
    for who in ("张燕", "杨海霞"):
        await refused(chat, who, "/退回 1 不归我管", T.err_urgent_reject.format(ticket=1))
    await chat.say("王欢", "/退回 1 已核实是邻居在做饭", chat="private")
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        assert ticket is not None
        assert ticket.state == "rejected"


async def test_an_ordinary_ticket_is_still_rejected_by_its_worker(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/退回 1 属于住户私事", chat="private")
    assert T.rejected_ack.format(ticket=1) in [s.text for s in sent]


@pytest.mark.parametrize("text", ["/合并 1 1", "/合并 1 #1", "/合并 1 1 1"])
async def test_merging_a_ticket_into_itself_is_refused(chat: Chat, text: str) -> None:
    open_tickets(chat, 2)
    await refused(chat, "张燕", text, T.err_merge_self.format(ticket=1))


async def test_transfer_to_the_grid_the_ticket_is_in_posts_nothing(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    for target in ("第十网格", "第十网格：楼栋划错了", "g10"):
        await refused(chat, "张燕", f"/转办 1 {target}", T.err_same_grid.format(ticket=1, grid="第十网格"))


async def test_naming_oneself_as_stand_in_gets_that_reason(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await refused(chat, "张燕", "/代班 张燕 3天", T.err_standin_self)
    await refused(chat, "李网格", "/代班 李网格 12-30", T.err_standin_self)


@pytest.mark.parametrize("period", ["99999999天", "0天", "91天", "9" * 1900 + "天"])
async def test_a_stand_in_period_out_of_range_is_the_format_answer(chat: Chat, period: str) -> None:
    await chat.say("周阿姨", DOG)
    await refused(chat, "张燕", f"/代班 李网格 {period}", T.err_standin_format)


# -- /代班 bounds (issue 17) ----------------------------------------------------------------------------


async def test_a_stand_in_needs_a_suitable_role(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await refused(
        chat,
        "杨海霞",
        "/代班 张燕 3天",
        T.err_standin_role.format(name="张燕", role="网格员", mine="片区负责人", allowed="片区负责人、社区书记"),
    )
    await refused(
        chat,
        "王欢",
        "/代班 李网格 3天",
        T.err_standin_role.format(name="李网格", role="网格员", mine="社区书记", allowed="社区书记、街道网格中心"),
    )


async def test_a_stand_in_cannot_pass_the_tickets_on(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/代班 李网格 3天", chat="private")
    assert sent[-1].text.startswith("已设置：")
    await refused(chat, "李网格", "/代班 杨海霞 3天", T.err_standin_onward.format(who="张燕"))
    with chat.app.services.store.begin() as uow:
        assert [t.holder_id for t in uow.tickets.find()] == ["wxid_li"]


async def test_someone_on_leave_cannot_stand_in(chat: Chat) -> None:
    sent = await chat.say("李网格", "/代班 杨海霞 3天", chat="private")
    assert sent[-1].text.startswith("已设置：")
    await chat.say("周阿姨", DOG)
    await refused(chat, "张燕", "/代班 李网格 3天", T.err_standin_away.format(name="李网格"))


async def test_tickets_go_back_to_their_holder_when_the_stand_in_ends(chat: Chat) -> None:
    open_tickets(chat, 2, deadlines=False)  # no escalation in between: only the stand-in moves them
    await chat.say("张燕", "/接单 2", chat="private")
    await chat.say("张燕", "/代班 李网格 2天", chat="private")
    await chat.say("李网格", "/接单 1", chat="private")
    open_tickets(chat, 1, deadlines=False)  # #3 arrives while 张燕 is away: 李网格 gets it
    open_tickets(chat, 1, "g11", deadlines=False)  # #4 is 李网格's own grid's: it stays
    with chat.app.services.store.begin() as uow:
        assert {t.id: t.holder_id for t in uow.tickets.find()} == {i: "wxid_li" for i in (1, 2, 3, 4)}
    sent = await chat.wait(timedelta(days=2, hours=1), step=timedelta(hours=1))
    with chat.app.services.store.begin() as uow:
        back = {1: "wxid_zhangyan", 2: "wxid_zhangyan", 3: "wxid_zhangyan", 4: "wxid_li"}
        assert {t.id: t.holder_id for t in uow.tickets.find()} == back
        assert [e.action for e in uow.tickets.events(1)][-1] == "standin_ended"
        assert uow.directory.ended_standins(chat.clock.now()) == []
    told = [s.text for s in sent if s.chat_id == "wxid_zhangyan"]
    assert T.standin_ended.format(by="李网格", count=3, tickets="#1、#2、#3") in told
    # once wound up, later sweeps hand nothing back again
    assert [s for s in await chat.wait(timedelta(hours=2)) if "代班已结束" in s.text] == []


async def test_a_new_stand_in_takes_over_from_the_old_one(chat: Chat) -> None:
    open_tickets(chat, 1, deadlines=False)
    await chat.say("张燕", "/代班 李网格 5天", chat="private")
    await chat.say("张燕", "/代班 杨海霞 3天", chat="private")
    with chat.app.services.store.begin() as uow:
        assert [t.holder_id for t in uow.tickets.find()] == ["wxid_yanghx"]
        assert [e.action for e in uow.tickets.events(1)] == ["created", "standin", "standin_ended", "standin"]
    await chat.wait(timedelta(days=3, hours=1), step=timedelta(hours=1))
    with chat.app.services.store.begin() as uow:
        assert [t.holder_id for t in uow.tickets.find()] == ["wxid_zhangyan"]


# -- across communities (issue 17): a street of two communities --------------------------------------------


@pytest.fixture
async def street(tmp_path: Path) -> AsyncIterator[Chat]:
    settings = web_settings(tmp_path)
    clock = FakeClock(START, TZ)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=f"sqlite:///{tmp_path / 'street.db'}", clock=clock)
    await app.start()
    yield Chat(app=app, adapter=adapter, clock=clock, settings=settings)
    app.services.store.dispose()


async def test_transfer_stays_inside_the_senders_communities(street: Chat) -> None:
    open_tickets(street, 1)
    await refused(street, "张燕", "/转办 1 第二十网格", T.err_grid_other_community.format(grid="第二十网格"))
    await refused(street, "王欢", "/转办 1 g20 楼栋划错了", T.err_grid_other_community.format(grid="第二十网格"))
    sent = await street.say("张燕", "/转办 1 第十一网格", chat="private")
    with street.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        assert ticket is not None
        assert ticket.grid_id == "g11", [s.text for s in sent]


async def test_bind_follows_the_admin_pages_rule(street: Chat) -> None:
    # another community's group is not theirs to rebind, nor is another community's grid theirs to bind to
    await refused(
        street,
        "赵书记",
        "/绑定 第二十网格",
        T.err_bind_other_community.format(grid="第十网格"),
        where="room_tiancheng_3",
    )
    await refused(street, "王欢", "/绑定 第二十网格", T.err_grid_other_community.format(grid="第二十网格"), "room_new")
    # a group config.yaml (or the 管理 page) binds is changed there: a chat binding would be ignored
    await refused(street, "王欢", "/绑定 第十一网格", T.err_bind_fixed.format(grid="第十网格"), "room_tiancheng_3")
    sent = await street.say("赵书记", "/绑定 第二十网格", chat="room_new")
    assert [s.text for s in sent] == [T.bound.format(grid="第二十网格")]
    with street.app.services.store.begin() as uow:
        bound = uow.chats.get("room_new")
        assert bound is not None
        assert bound.grid_id == "g20"


async def test_points_name_only_colleagues(street: Chat) -> None:
    await refused(street, "张燕", "/积分 吴网格", T.err_no_colleague.format(name="吴网格"))
    await refused(street, "张燕", "/积分 wxid_wu", T.err_no_colleague.format(name="wxid_wu"))
    sent = await street.say("张燕", "/积分 李网格", chat="private")
    assert sent[0].text.startswith("李网格")
