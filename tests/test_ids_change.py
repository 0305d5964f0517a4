"""Ids that change (#18 §3): a re-login gives every room and contact a new id; groups, staff and residents
are found again (topic, then alias, then display name), ambiguity is refused and /绑定 resolves it."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.messages import ChatEvent, IncomingMessage, Seen
from bot.core.settings import load_settings
from bot.runtime.app import build_app
from tests.chat import Chat
from tests.conftest import DATA, START, TZ

PARKING = "楼下停车位总被外面的车占了，我们自己的车没地方停"
DOG = "楼下有人养狗，到晚上老叫唤，我年纪大了，根本没法休息好。"
ROOMS = {
    "room_tiancheng_3": ("r2@chatroom", "美景天城3栋"),
    "room_longcheng_1": ("r3@chatroom", "美景龙城1栋"),
    "room_jingyuan_2": ("r4@chatroom", "美景景园2栋"),
    "room_staff": ("r5@chatroom", "美景社区工作群"),
}
STAFF = {
    "wxid_zhangyan": ("c1", "张燕"),
    "wxid_li": ("c2", "李网格"),
    "wxid_yanghx": ("c3", "杨海霞"),
    "wxid_wanghuan": ("c4", "王欢"),
    "wxid_center": ("c5", "街道网格中心"),
    "wxid_super": ("c6", "严主任"),
}


def roster(chat: Chat, rooms: list[Seen], contacts: list[Seen]) -> ChatEvent:
    return ChatEvent("roster", "", "", chat.clock.now(), rooms=tuple(rooms), contacts=tuple(contacts))


def relogin(chat: Chat, *, extra_rooms: tuple[Seen, ...] = (), residents: tuple[Seen, ...] = ()) -> ChatEvent:
    """Everything the test config knows, under new ids."""
    rooms = [Seen(new, topic) for new, topic in ROOMS.values()] + list(extra_rooms)
    contacts = [Seen(new, name) for new, name in STAFF.values()] + list(residents)
    return roster(chat, rooms, contacts)


def said(chat: Chat, sender: str, name: str, text: str, room: str, topic: str = "") -> IncomingMessage:
    return IncomingMessage(
        message_id=f"{sender}-{text}",
        chat_id=room or sender,
        chat_topic=topic,
        sender_id=sender,
        sender_name=name,
        text=text,
        timestamp=chat.clock.now(),
    )


def staff_lines(chat: Chat, staff_chat: str) -> str:
    return "\n".join(s.text for s in chat.new() if s.chat_id == staff_chat)


def id_events(chat: Chat) -> list[tuple[str, str, object]]:
    with chat.app.services.store.begin() as uow:
        return [(e.kind, e.key, e.after) for e in uow.directory.events() if e.kind.endswith("-id")]


async def test_a_relogin_keeps_tickets_roles_bindings_and_the_rating(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    resident = chat.person("周阿姨")[0]
    await chat.say("张燕", "/办结 1 已与养狗住户沟通，晚上狗关在屋里", chat="private")
    chat.new()

    await chat.app.chat_event(relogin(chat, residents=(Seen("c9", "周阿姨"),)))

    report = staff_lines(chat, "r5@chatroom")  # the staff chat, under its new id
    assert "群「美景天城3栋」" in report
    assert "张燕" in report
    assert "居民 1 人" in report
    assert (
        "group-id",
        "room_tiancheng_3",
        {"platform_id": "r2@chatroom", "how": "topic", "account": "main"},
    ) in id_events(chat)
    assert ("person-id", resident, {"platform_id": "c9", "how": "name", "account": "main"}) in id_events(chat)

    # the resident's rating under the new ids reaches ticket #1, and the answer goes to the new room
    out = await chat.deliver(said(chat, "c9", "周阿姨", "满意，谢谢", "r2@chatroom", "美景天城3栋"))
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
    assert ticket is not None
    assert ticket.state == "closed"
    assert ticket.reporter_id == resident
    assert all(s.chat_id in ("r2@chatroom", "c9", "c1") for s in out)

    # the grid worker keeps her role under her new id, and a new report in the group reaches her grid
    mine = await chat.deliver(said(chat, "c1", "张燕", "/我的", "c1"))
    assert [s.chat_id for s in mine] == ["c1"]
    assert "此命令仅限" not in mine[0].text
    out = await chat.deliver(said(chat, "c9", "周阿姨", PARKING, "r2@chatroom"))
    reply = next(s for s in out if s.chat_id == "r2@chatroom")
    assert "#2" in reply.text
    assert "张燕" in reply.text
    assert set(reply.mention_ids) == {"c9", "c1"}


async def test_two_rooms_with_one_topic_are_refused_and_bind_confirms(chat: Chat) -> None:
    twin = Seen("r2b@chatroom", "美景天城3栋")
    await chat.app.chat_event(relogin(chat, extra_rooms=(twin,)))
    report = staff_lines(chat, "r5@chatroom")
    assert "群「美景天城3栋」有两个同名群，请用 /绑定 确认" in report
    assert not any(key == "room_tiancheng_3" for _, key, _ in id_events(chat))

    # the secretary confirms in the right room, and from then on it is 美景天城3栋
    out = await chat.deliver(said(chat, "c4", "王欢", "/绑定 美景天城3栋", "r2b@chatroom", "美景天城3栋"))
    assert [s.text for s in out if s.chat_id == "r2b@chatroom"] == [
        "本群已重新对应为「美景天城3栋」，原有工单和绑定照旧。"
    ]
    assert (
        "group-id",
        "room_tiancheng_3",
        {"platform_id": "r2b@chatroom", "how": "/绑定", "account": "main"},
    ) in id_events(chat)
    out = await chat.deliver(said(chat, "c9", "周阿姨", DOG, "r2b@chatroom", "美景天城3栋"))
    reply = next(s for s in out if s.chat_id == "r2b@chatroom")
    assert "张燕" in reply.text


async def chat_with(tmp_path: Path, db_url: str, old: str, new: str) -> Chat:
    """The test config with `old` replaced by `new`, through the memory adapter."""
    cfg = tmp_path / "changed.yaml"
    cfg.write_text((DATA / "config.yaml").read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    settings = load_settings(cfg, env={})
    clock = FakeClock(START, TZ)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=db_url, clock=clock)
    await app.start()
    return Chat(app=app, adapter=adapter, clock=clock, settings=settings)


async def test_alias_before_display_name_and_a_shared_name_refused(tmp_path: Path, db_url: str) -> None:
    alias = "{id: wxid_zhangyan, name: 张燕, alias: 十网格张燕,"
    chat = await chat_with(tmp_path, db_url, "{id: wxid_zhangyan, name: 张燕,", alias)
    contacts = [
        Seen("n1", "张燕"),  # a resident who shares her name
        Seen("n2", "燕子", alias="十网格张燕"),  # her, renamed, found by the alias the account gave her
        Seen("n3", "李网格"),
        Seen("n4", "李网格"),  # two contacts named 李网格 and no alias: refused
    ]
    await chat.app.chat_event(roster(chat, [Seen("r5@chatroom", "美景社区工作群")], contacts))
    report = staff_lines(chat, "r5@chatroom")
    assert "「李网格」对应到两个联系人" in report
    events = id_events(chat)
    assert ("person-id", "wxid_zhangyan", {"platform_id": "n2", "how": "alias", "account": "main"}) in events
    assert not any(key == "wxid_li" for _, key, _ in events)
    assert "没有找到群「美景天城3栋」" in report
    chat.app.services.store.dispose()


async def test_a_group_configured_by_topic_is_bound_at_the_first_login(tmp_path: Path, db_url: str) -> None:
    by_topic = "groups: [{topic: 美景天城3栋}, room_longcheng_1]"
    chat = await chat_with(tmp_path, db_url, "groups: [room_tiancheng_3, room_longcheng_1]", by_topic)
    assert chat.settings.grid_of_group["美景天城3栋"].id == "g10"
    assert chat.settings.known_topics["美景天城3栋"] == "美景天城3栋"
    await chat.app.chat_event(roster(chat, [Seen("x1@chatroom", "美景天城3栋")], []))
    out = await chat.deliver(said(chat, "wxid_res_7", "周阿姨", DOG, "x1@chatroom", "美景天城3栋"))
    reply = next(s for s in out if s.chat_id == "x1@chatroom")
    assert "#1" in reply.text
    assert "张燕" in reply.text
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
    assert ticket is not None
    assert (ticket.chat_id, ticket.grid_id) == ("美景天城3栋", "g10")
    chat.app.services.store.dispose()


NEIGHBOURS = "周阿姨 孙大爷 吴女士 郑师傅 王奶奶 赵叔 钱阿姨 冯大爷 陈女士 褚先生 卫阿姨".split()


async def test_residents_not_found_again_are_named_never_numbered(chat: Chat) -> None:
    """Staff are told who may come back as a stranger: the names residents reported under, ten at most, and
    never a phone number (a resident whose WeChat name is one is counted only)."""
    for name in [*NEIGHBOURS, "13812345678"]:
        await chat.say(name, DOG)
    chat.new()
    await chat.app.chat_event(relogin(chat, residents=(Seen("c9", "周阿姨"),)))
    report = staff_lines(chat, "r5@chatroom")
    assert "居民 1 人" in report  # 周阿姨, found by her name
    (line,) = [s for s in report.splitlines() if s.startswith("未能重新对应的居民")]
    named = "、".join(NEIGHBOURS[1:])  # the ten not found, in the order they reported; the number is counted
    assert line.startswith(f"未能重新对应的居民：{named}等11人。")
    assert "5678" not in report

    # the next login finds all but two: both named, no "等"
    everyone = tuple(Seen(f"c{n}", name) for n, name in enumerate([*NEIGHBOURS[:-2], "13812345678"], start=20))
    await chat.app.chat_event(relogin(chat, residents=everyone))
    report = staff_lines(chat, "r5@chatroom")
    assert "未能重新对应的居民：褚先生、卫阿姨。" in report
