"""Ids that change with two bot accounts (#18 §3/§4): with wechat4u each account sees every room and contact
under an id of its own, and a new one at each of its logins. Each account has its own id map: one account's
re-login re-binds its map only, a resident writing through the other account reaches the same group, grid and
ticket, /绑定 binds for the account it was written to, and a key only the other account has seen is found by
name, never taken for "still there" because this account's roster happens to hold an id spelled the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from bot.core.identity import GROUP, PERSON
from bot.core.messages import ChatEvent, IncomingMessage, Seen
from bot.core.settings import load_settings
from bot.runtime.speaking import Speaking
from handlers.jobs.rebind import load_identities
from handlers.router import process, store
from tests.chat import Chat
from tests.conftest import DATA, _chat

DOG = "楼下有人养狗，到晚上老叫唤，我年纪大了，根本没法休息好。"
LIGHT = "楼道灯坏了好几天了，晚上黑漆漆的"
GROUPS = {"room_tiancheng_3": "美景天城3栋", "room_longcheng_1": "美景龙城1栋", "room_staff": "美景社区工作群"}
TOPICS = {**GROUPS, "twin": "美景天城3栋"}  # "twin": a second room of that name, seen by b only
STAFF = {"wxid_zhangyan": "张燕", "wxid_li": "李网格", "wxid_wanghuan": "王欢", "wxid_center": "街道网格中心"}


def ids(account: str, login: int) -> dict[str, str]:
    """What `account` calls each room and contact at its `login`-th login (wechat4u: new ones each time)."""
    rooms = {k: f"@@{account}{login}-{k}" for k in GROUPS}
    people = {k: f"@{account}{login}-{k}" for k in STAFF}
    return {**rooms, **people, "zhou": f"@{account}{login}-zhou", "sun": f"@{account}{login}-sun"}


@dataclass
class Side:
    chat: Chat
    ids: dict[str, str]

    @property
    def account(self) -> str:
        return self.chat.settings.account.id

    async def login(self, login: int, *, residents: tuple[str, ...] = ("zhou", "sun")) -> None:
        """A login of this account: its roster, every room and contact under this login's ids."""
        self.ids = ids(self.account, login)
        names = {"zhou": "周阿姨", "sun": "孙大爷"}
        rooms = tuple(Seen(self.ids[k], topic) for k, topic in GROUPS.items())
        people = tuple(Seen(self.ids[k], name) for k, name in STAFF.items())
        people += tuple(Seen(self.ids[r], names[r]) for r in residents)
        now = self.chat.clock.now()
        await self.chat.app.chat_event(ChatEvent("roster", "", "", now, rooms=rooms, contacts=people))

    def said(self, n: int, who: str, name: str, text: str, room: str = "room_tiancheng_3") -> IncomingMessage:
        """`who` writes `text` in `room` ("" for a private chat), as this account receives it: its own ids."""
        sender = self.ids[who]
        return IncomingMessage(
            message_id=f"{self.account}-{n}",
            chat_id=self.ids[room] if room else sender,
            chat_topic=TOPICS.get(room, ""),
            sender_id=sender,
            sender_name=name,
            text=text,
            timestamp=self.chat.clock.now(),
        )

    def map(self) -> dict[tuple[str, str], str]:
        with self.chat.app.services.store.begin() as uow:
            return uow.identities.all(self.account)


@dataclass
class Pair:
    a: Side  # speaks
    b: Side  # stands by, on the same database


async def staff_report(pair: Pair) -> str:
    """What the staff chat got since the last look: a speaks, so a sends what either account queued."""
    await pair.a.chat.app.dispatcher.drain()
    return "\n".join(s.text for s in pair.a.chat.new() if s.chat_id == pair.a.ids["room_staff"])


def _settings(tmp_path: Path, account: dict[str, Any]) -> Any:
    overrides = {"account": account, "data_dir": str(tmp_path / str(account["id"]))}
    return load_settings(DATA / "config.yaml", env={}, overrides=overrides)


@pytest.fixture
async def pair(tmp_path: Path, db_url: str) -> AsyncIterator[Pair]:
    """Accounts a and b on one database (SQLite and PostgreSQL), each logged in once with ids of its own."""
    a_settings = _settings(tmp_path, {"id": "a", "peer_names": ["网格助手B"]})
    b_settings = _settings(tmp_path, {"id": "b", "standby": True, "peer_names": ["网格助手"]})
    async for a in _chat(a_settings, db_url):
        async for b in _chat(b_settings, db_url):
            for side in (a, b):
                app = side.app
                app.speaking = Speaking(app.services, app.adapter, app.dispatcher, app.services.clock)
            pair = Pair(Side(a, {}), Side(b, {}))
            await pair.a.login(1)
            await pair.b.login(1)
            a.new()
            yield pair


async def test_each_account_has_its_own_map_and_a_relogin_rebinds_only_its_own(pair: Pair) -> None:
    a, b = pair.a, pair.b
    assert a.map()[(GROUP, "room_tiancheng_3")] == "@@a1-room_tiancheng_3"
    assert b.map()[(GROUP, "room_tiancheng_3")] == "@@b1-room_tiancheng_3"
    assert b.map()[(PERSON, "wxid_zhangyan")] == "@b1-wxid_zhangyan"
    b_before = b.map()

    await a.login(2)
    assert a.map()[(GROUP, "room_tiancheng_3")] == "@@a2-room_tiancheng_3"
    assert a.map()[(PERSON, "wxid_zhangyan")] == "@a2-wxid_zhangyan"
    assert b.map() == b_before
    # each process translates with its own account's map
    assert a.chat.app.services.identity.key_of(GROUP, "@@a2-room_tiancheng_3") == "room_tiancheng_3"
    assert b.chat.app.services.identity.key_of(GROUP, "@@b1-room_tiancheng_3") == "room_tiancheng_3"
    assert b.chat.app.services.identity.key_of(GROUP, "@@a2-room_tiancheng_3") == "@@a2-room_tiancheng_3"
    # the change log says which account re-bound
    with a.chat.app.services.store.begin() as uow:
        accounts = [e.after["account"] for e in uow.directory.events() if e.key == "room_tiancheng_3"]
    assert sorted(accounts) == ["a", "a", "b"]


async def b_takes_over(pair: Pair) -> None:
    """a stops (a clean stop gives the lease up at once); b, past its wait at start-up, speaks from now on."""
    a, b = pair.a.chat.app, pair.b.chat.app
    assert a.speaking is not None
    assert b.speaking is not None
    assert await a.speaking.tick() is True
    a.speaking.release()
    for side in (pair.a, pair.b):
        side.chat.clock.advance(timedelta(seconds=pair.b.chat.settings.account.takeover_seconds))
    assert await b.speaking.tick() is True
    await b.dispatcher.drain()
    pair.b.chat.new()


async def test_a_resident_through_the_other_account_reaches_her_group_grid_and_ticket(pair: Pair) -> None:
    a, b = pair.a, pair.b
    # 周阿姨 reports through a; a closes it; only then does b see her again, at its next login
    out = await a.chat.deliver(a.said(1, "zhou", "周阿姨", DOG))
    assert "#1" in next(s for s in out if s.chat_id == "@@a1-room_tiancheng_3").text
    await a.chat.deliver(a.said(2, "wxid_zhangyan", "张燕", "/办结 1 已与养狗住户沟通", room=""))
    # b's login finds her (a key only a has seen: a's id of her) by her name, under b's id
    await b.login(2)
    assert b.map()[(PERSON, "@a1-zhou")] == "@b2-zhou"
    assert a.map().get((PERSON, "@a1-zhou")) is None  # a's own id: no row in a's map
    await b_takes_over(pair)

    # her 不满意 reaches only b, under b's ids: ticket #1 is reopened and the answer goes to b's room
    out = await b.chat.deliver(b.said(3, "zhou", "周阿姨", "不满意，狗还是叫"))
    with b.chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
    assert ticket is not None
    assert (ticket.state, ticket.reporter_id, ticket.chat_id) == ("accepted", "@a1-zhou", "room_tiancheng_3")
    answer = next(s for s in out if s.chat_id == "@@b2-room_tiancheng_3")
    assert "#1" in answer.text
    assert "@b2-zhou" in answer.mention_ids
    assert {s.chat_id for s in out} <= {"@@b2-room_tiancheng_3", "@b2-zhou", "@b2-wxid_zhangyan"}

    # 孙大爷's new report through b lands on the group's grid: 张燕, @-mentioned under b's id of her
    out = await b.chat.deliver(b.said(4, "sun", "孙大爷", LIGHT))
    reply = next(s for s in out if s.chat_id == "@@b2-room_tiancheng_3")
    assert "#2" in reply.text
    assert "张燕" in reply.text
    assert set(reply.mention_ids) == {"@b2-sun", "@b2-wxid_zhangyan"}
    with b.chat.app.services.store.begin() as uow:
        second = uow.tickets.get(2)
    assert second is not None
    assert (second.chat_id, second.grid_id) == ("room_tiancheng_3", "g10")


async def test_a_resident_first_seen_after_the_logins_is_learnt_from_the_copy(pair: Pair) -> None:
    """No login in between: b's copy of her report tells b who she is (a's message, b's id of her)."""
    a, b = pair.a, pair.b
    await a.chat.deliver(a.said(1, "zhou", "周阿姨", DOG))
    assert await b.chat.deliver(b.said(1, "zhou", "周阿姨", DOG)) == []  # b's copy: one message, one ticket
    assert b.map()[(PERSON, "@a1-zhou")] == "@b1-zhou"
    with b.chat.app.services.store.begin() as uow:
        (event,) = [e for e in uow.directory.events() if e.key == "@a1-zhou"]
    assert event.after == {"platform_id": "@b1-zhou", "how": "copy", "account": "b"}
    assert (PERSON, "@a1-zhou") not in a.map()  # a's own id of her: nothing to store for a
    await a.chat.deliver(a.said(2, "wxid_zhangyan", "张燕", "/办结 1 已与养狗住户沟通", room=""))
    await b_takes_over(pair)
    await b.chat.deliver(b.said(3, "zhou", "周阿姨", "满意，谢谢"))
    with b.chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
    assert ticket is not None
    assert (ticket.state, ticket.reporter_id) == ("closed", "@a1-zhou")


async def test_a_copy_from_one_of_two_writers_sharing_a_name_teaches_nothing(pair: Pair) -> None:
    """Copies pair by name and text, not by id: two residents shown as 周阿姨 who both write 收到 may pair
    crosswise, and learning from that would swap them in b's map for good. b learns neither."""
    a, b = pair.a, pair.b
    await a.chat.deliver(a.said(1, "zhou", "周阿姨", "收到"))
    await a.chat.deliver(a.said(2, "sun", "周阿姨", "收到"))
    await b.chat.deliver(b.said(2, "sun", "周阿姨", "收到"))  # b got them the other way round
    await b.chat.deliver(b.said(1, "zhou", "周阿姨", "收到"))
    assert (PERSON, "@a1-zhou") not in b.map()
    assert (PERSON, "@a1-sun") not in b.map()
    with b.chat.app.services.store.begin() as uow:
        assert not [e for e in uow.directory.events() if e.after.get("how") == "copy"]


async def test_bind_through_one_account_binds_for_that_account_only(pair: Pair) -> None:
    a, b = pair.a, pair.b
    # b's next login sees two rooms named 美景天城3栋: refused, and the staff chat is told which account
    b.ids = {**ids("b", 2), "twin": "@@b2-twin"}
    rooms = tuple(Seen(b.ids[k], t) for k, t in TOPICS.items())
    people = tuple(Seen(b.ids[k], n) for k, n in STAFF.items())
    await b.chat.app.chat_event(ChatEvent("roster", "", "", b.chat.clock.now(), rooms=rooms, contacts=people))
    report = await staff_report(pair)
    assert "网格助手（账号 b）重新登录后" in report
    assert "群「美景天城3栋」有两个同名群，请用 /绑定 确认" in report
    assert b.map()[(GROUP, "room_tiancheng_3")] == "@@b1-room_tiancheng_3"  # unchanged: nothing guessed

    # the secretary confirms in the right room; only b received it (a is not in that room)
    await b.chat.deliver(b.said(1, "wxid_wanghuan", "王欢", "/绑定 美景天城3栋", room="twin"))
    assert b.map()[(GROUP, "room_tiancheng_3")] == "@@b2-twin"
    assert a.map()[(GROUP, "room_tiancheng_3")] == "@@a1-room_tiancheng_3"
    with b.chat.app.services.store.begin() as uow:
        (event,) = [e for e in uow.directory.events() if e.after.get("how") == "/绑定"]
    assert event.after == {"platform_id": "@@b2-twin", "how": "/绑定", "account": "b"}
    # a report written in that room through b is 美景天城3栋's, on 张燕's grid
    await b.chat.deliver(b.said(2, "sun", "孙大爷", LIGHT, room="twin"))
    with b.chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
    assert ticket is not None
    assert (ticket.chat_id, ticket.grid_id, ticket.holder_id) == ("room_tiancheng_3", "g10", "wxid_zhangyan")
    await a.chat.wait(timedelta(minutes=1))  # a reloads the maps too (the directory's version moved): its own
    assert b.chat.app.services.identity.key_of(GROUP, "@@b2-twin") == "room_tiancheng_3"
    assert a.chat.app.services.identity.key_of(GROUP, "@@b2-twin") == "@@b2-twin"


@pytest.mark.parametrize("copy_first", [False, True], ids=["copy after the command", "copy before it is handled"])
async def test_bind_in_a_room_both_accounts_are_in_binds_it_for_each(pair: Pair, copy_first: bool) -> None:
    """Both logins saw two rooms named 美景天城3栋. /绑定 is written once, received by both: a handles it (it
    stored it first), b's copy is not handled; yet each account's map gets its own id of that room."""
    a, b = pair.a, pair.b
    for side in (a, b):
        side.ids = {**ids(side.account, 2), "twin": f"@@{side.account}2-twin"}
        rooms = tuple(Seen(side.ids[k], t) for k, t in TOPICS.items())
        people = tuple(Seen(side.ids[k], n) for k, n in STAFF.items())
        now = side.chat.clock.now()
        await side.chat.app.chat_event(ChatEvent("roster", "", "", now, rooms=rooms, contacts=people))
    report = await staff_report(pair)
    assert report.count("有两个同名群") == 2  # each account says so, and which account it is
    assert "网格助手（账号 a）" in report
    assert "网格助手（账号 b）" in report

    seen_by_a = a.said(1, "wxid_wanghuan", "王欢", "/绑定 美景天城3栋", room="twin")
    seen_by_b = b.said(1, "wxid_wanghuan", "王欢", "/绑定 美景天城3栋", room="twin")
    if copy_first:  # a stored it, b's copy arrives, then a handles it
        services = a.chat.app.services
        stored, new = store(services.identity.inbound(seen_by_a), services)
        assert new
        await b.chat.deliver(seen_by_b)
        assert await process(stored.pk, services)
        await a.chat.app.dispatcher.drain()
        out = a.chat.new()
    else:
        out = await a.chat.deliver(seen_by_a)
        assert await b.chat.deliver(seen_by_b) == []
    assert [s.text for s in out if s.chat_id == "@@a2-twin"] == [
        "本群已重新对应为「美景天城3栋」，原有工单和绑定照旧。"
    ]
    assert a.map()[(GROUP, "room_tiancheng_3")] == "@@a2-twin"
    assert b.map()[(GROUP, "room_tiancheng_3")] == "@@b2-twin"
    with a.chat.app.services.store.begin() as uow:
        binds = [e.after for e in uow.directory.events() if e.after.get("how") == "/绑定"]
    bound = {after["account"]: after["platform_id"] for after in binds}
    assert len(binds) == 2
    assert bound == {"a": "@@a2-twin", "b": "@@b2-twin"}


@pytest.mark.parametrize("copy_first", [False, True], ids=["copy after the command", "copy before it is handled"])
async def test_a_room_outside_config_bound_to_a_grid_is_that_grids_for_both(pair: Pair, copy_first: bool) -> None:
    """美景新苑1栋 is not in config: each account keeps it under its own first id. /绑定 第十网格, handled by
    a, binds b's row too; b's reports there reach 张燕; a's next login finds its own row, not b's."""
    a, b = pair.a, pair.b
    for side in (a, b):
        side.ids["new"] = f"@@{side.account}1-new"
        event = ChatEvent("joined", side.ids["new"], "美景新苑1栋", side.chat.clock.now())
        await side.chat.app.chat_event(event)
    await staff_report(pair)
    TOPICS["new"] = "美景新苑1栋"
    try:
        seen_by_a = a.said(1, "wxid_wanghuan", "王欢", "/绑定 第十网格", room="new")
        seen_by_b = b.said(1, "wxid_wanghuan", "王欢", "/绑定 第十网格", room="new")
        if copy_first:
            services = a.chat.app.services
            stored, _ = store(services.identity.inbound(seen_by_a), services)
            await b.chat.deliver(seen_by_b)
            assert await process(stored.pk, services)
        else:
            await a.chat.deliver(seen_by_a)
            await b.chat.deliver(seen_by_b)
        with a.chat.app.services.store.begin() as uow:
            rows = {g.chat_id: g.grid_id for g in uow.chats.all() if g.topic == "美景新苑1栋"}
        assert rows == {"@@a1-new": "g10", "@@b1-new": "g10"}

        await b_takes_over(pair)
        out = await b.chat.deliver(b.said(2, "sun", "孙大爷", LIGHT, room="new"))
        reply = next(s for s in out if s.chat_id == "@@b1-new")
        assert "张燕" in reply.text

        # a logs in again: it re-binds its own row of the room, and leaves b's row of it to b
        a.ids = {**ids("a", 2), "new": "@@a2-new"}
        rooms = tuple(Seen(a.ids[k], t) for k, t in TOPICS.items() if k != "twin")
        people = tuple(Seen(a.ids[k], n) for k, n in STAFF.items())
        await a.chat.app.chat_event(ChatEvent("roster", "", "", a.chat.clock.now(), rooms=rooms, contacts=people))
        assert a.map()[(GROUP, "@@a1-new")] == "@@a2-new"
        assert (GROUP, "@@b1-new") not in a.map()
        await b.chat.app.dispatcher.drain()
        report = "\n".join(s.text for s in b.chat.new() if s.chat_id == b.ids["room_staff"])
        assert "群「美景新苑1栋」" in report
        assert "没有找到群「美景新苑1栋」" not in report
    finally:
        del TOPICS["new"]


@pytest.mark.parametrize(
    ("theirs", "bound"),
    [
        ("某住户", "@b2-zhou"),  # b's roster has another person under the id a gave 周阿姨: not her
        ("周阿姨", None),  # the same person under the same id (a puppet with stable ids): nothing to store
    ],
)
async def test_a_key_only_the_other_account_has_seen_is_found_by_name(
    pair: Pair, theirs: str, bound: str | None
) -> None:
    a, b = pair.a, pair.b
    await a.chat.deliver(a.said(1, "zhou", "周阿姨", DOG))  # only a received it: her key is a's id of her
    key = a.ids["zhou"]
    b.ids = ids("b", 2)
    rooms = tuple(Seen(b.ids[k], t) for k, t in GROUPS.items())
    people = [Seen(b.ids[k], n) for k, n in STAFF.items()]
    people.append(Seen(key, theirs))  # an id spelled like a's id of her, in b's roster
    if bound:
        people.append(Seen(b.ids["zhou"], "周阿姨"))
    a.chat.new()
    await b.chat.app.chat_event(ChatEvent("roster", "", "", b.chat.clock.now(), rooms=rooms, contacts=tuple(people)))
    assert b.map().get((PERSON, key)) == bound
    report = await staff_report(pair)
    assert ("居民 1 人" in report) is (bound is not None)
    assert "未能重新对应的居民" not in report


async def test_the_speaking_account_named_for_a_pair_takes_over_the_single_accounts_map(pair: Pair) -> None:
    """An office that ran one account (its map is account main's since migration 0017) names it a for a
    standby pair: a's start takes main's map as its own; the standby never does."""
    from storage._sql import IDENTITIES

    start = pair.a.chat.clock.now()
    with pair.a.chat.app.services.store.begin() as uow:
        uow.sql.run(delete(IDENTITIES))
        uow.identities.bind("main", GROUP, "room_tiancheng_3", "@@old-r3", at=start, by="test", how="topic")
    load_identities(pair.b.chat.app.services)  # b stands by: main's map is not its own
    assert pair.b.map() == {}
    load_identities(pair.a.chat.app.services)
    assert pair.a.map() == {(GROUP, "room_tiancheng_3"): "@@old-r3"}
    assert pair.a.chat.app.services.identity.key_of(GROUP, "@@old-r3") == "room_tiancheng_3"
    with pair.a.chat.app.services.store.begin() as uow:
        assert uow.identities.all("main") == {}
        uow.identities.bind("main", GROUP, "room_longcheng_1", "@@old-r1", at=start, by="test", how="topic")
    load_identities(pair.a.chat.app.services)  # a has a map of its own now: nothing more moves
    assert pair.a.map() == {(GROUP, "room_tiancheng_3"): "@@old-r3"}
